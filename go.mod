module yanma

go 1.24

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/makiuchi-d/gozxing v0.1.1 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	gocv.io/x/gocv v0.31.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
)

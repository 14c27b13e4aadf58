package qr

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var noDeadline time.Time

// FuzzRead feeds arbitrary image files through the whole pure-Go cascade:
// whatever the bytes, Read returns (codes or a sentinel) and never panics.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"hello.png", "jws.png", "dark.png", "two.png", "blank.png", "truncated.png"} {
		b, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		codes, err := Read(Gray(img), DefaultCascade(), noDeadline)
		if err == nil && len(codes) == 0 {
			t.Fatal("no error and no code")
		}
	})
}

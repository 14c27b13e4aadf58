package qr

import (
	"image"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// barrel renders a version-22 code through a lens with barrel distortion
// (as a cheap wide-angle camera shows it), k the distortion strength.
func barrel(t testing.TB, text string, module int, k float64) *image.Gray {
	t.Helper()
	hints := map[gozxing.EncodeHintType]interface{}{gozxing.EncodeHintType_ERROR_CORRECTION: "M"}
	bm, err := qrcodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		t.Fatal(err)
	}
	n := bm.GetWidth()
	side := n * module
	g := image.NewGray(image.Rect(0, 0, side, side))
	c := float64(side) / 2
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			dx, dy := (float64(x)-c)/c, (float64(y)-c)/c
			f := 1 + k*(dx*dx+dy*dy)
			sx, sy := c+dx*f*c, c+dy*f*c
			v := byte(255)
			mx, my := int(sx)/module, int(sy)/module
			if sx >= 0 && sy >= 0 && mx < n && my < n && bm.Get(mx, my) {
				v = 0
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	return g
}

// TestLocalSampling: on a large code bent by the lens, one perspective
// transform for the whole grid misreads, and sampling cell by cell between
// the alignment patterns reads it.
func TestLocalSampling(t *testing.T) {
	text := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 22)[:740] // version 22 at EC M
	g := barrel(t, text, 4, 0.035)
	bm, err := newFastHybrid(newGraySource(g)).GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	info, err := detector.NewFinderPatternFinder(bm, nil).Find(nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{bm: bm, dec: decoder.NewDecoder()}
	dr, err := detector.NewDetector(bm).ProcessFinderPatternInfo(info)
	if err == nil {
		if _, err := r.dec.Decode(dr.GetBits(), nil); err == nil {
			t.Skip("gozxing reads this distortion by itself; the test shows nothing")
		}
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	dim := 105
	v, _ := decoder.Version_GetProvisionalVersionForDimension(dim)
	pitch := (gozxing.ResultPoint_Distance(tl, tr) + gozxing.ResultPoint_Distance(tl, bl)) / 2 / float64(dim-7)
	res, err := r.readLocal(tl, tr, bl, nil, dim, v, pitch)
	if err != nil {
		t.Fatalf("local sampling: %v", err)
	}
	if res.GetText() != text {
		t.Fatalf("read %q", res.GetText())
	}
	codes, err := Decode(g, Options{})
	if err != nil || codes[0].Text != text {
		t.Fatalf("Decode: %v", err)
	}
}

func qrcodeWriter() *qrcode.QRCodeWriter { return qrcode.NewQRCodeWriter() }

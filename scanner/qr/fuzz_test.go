package qr

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
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

// FuzzBinarizer: on any pixels, of any size, the fast binarizer gives
// exactly gozxing's HybridBinarizer bits, plain and inverted, and an Image
// read with every option answers without panicking.
func FuzzBinarizer(f *testing.F) {
	for _, name := range []string{"hello.png", "dark.png", "blank.png"} {
		g := load(f, name)
		w, h := min(g.Rect.Dx(), 128), min(g.Rect.Dy(), 128)
		data := []byte{byte(w - 1), byte(h - 1)}
		for y := 0; y < h; y++ {
			data = append(data, g.Pix[y*g.Stride:y*g.Stride+w]...)
		}
		f.Add(data)
	}
	f.Add([]byte{41, 40, 0, 255, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || data[0] == 0 || data[1] == 0 {
			return
		}
		// Up to 128×128: large enough for the binarizer's 5×5 blocks of 8
		// pixels, small enough for many runs a second.
		w, h := int(data[0])%128+1, int(data[1])%128+1
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			if len(data) > 2 {
				g.Pix[i] = data[2+i%(len(data)-2)]
			}
		}
		for _, inv := range []bool{false, true} {
			var src gozxing.LuminanceSource = newGraySource(g)
			fast := newFastHybrid(src)
			if inv {
				src, fast = src.Invert(), newInvertedHybrid(src)
			}
			want, werr := gozxing.NewHybridBinarizer(src).GetBlackMatrix()
			got, gerr := fast.GetBlackMatrix()
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("inverted %v: errors %v and %v", inv, werr, gerr)
			}
			if werr != nil {
				continue
			}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if got.Get(x, y) != want.Get(x, y) {
						t.Fatalf("%dx%d inverted %v: bit (%d,%d) differs", w, h, inv, x, y)
					}
				}
			}
		}
		im := NewImage(g)
		for _, o := range []Options{{}, {Invert: true}, {Binarizer: GlobalHistogram}, {Binarizer: GlobalHistogram, Invert: true}, {TryHarder: true}, {Multi: true}} {
			if codes, err := im.Decode(o); err == nil && len(codes) == 0 {
				t.Fatalf("%+v: no error and no code", o)
			}
		}
	})
}

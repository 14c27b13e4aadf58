package qr

import (
	"image"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
)

// TestFastHybridSameBits: the fast binarizer gives exactly gozxing's
// HybridBinarizer matrix, on codes, on noise and on odd sizes, and so does
// its inverted form on gozxing's inverted luminance.
func TestFastHybridSameBits(t *testing.T) {
	noise := func(w, h int) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
		for i := range g.Pix {
			g.Pix[i] = byte(r.IntN(256))
		}
		return g
	}
	tests := []struct {
		name string
		img  *image.Gray
	}{
		{name: "code", img: load(t, "jws.png")},
		{name: "two codes", img: load(t, "two.png")},
		{name: "flat", img: load(t, "blank.png")},
		{name: "noise 1280x720", img: noise(1280, 720)},
		{name: "noise odd size", img: noise(83, 47)},
		{name: "tiny", img: noise(30, 30)},
		{name: "finder field", img: finderField(333, 201, 3)},
	}
	for _, tt := range tests {
		for _, inv := range []bool{false, true} {
			name := tt.name
			if inv {
				name += " inverted"
			}
			t.Run(name, func(t *testing.T) {
				var src gozxing.LuminanceSource = newGraySource(tt.img)
				fast := newFastHybrid(src)
				if inv {
					src, fast = src.Invert(), newInvertedHybrid(src)
				}
				want, err := gozxing.NewHybridBinarizer(src).GetBlackMatrix()
				if err != nil {
					t.Fatal(err)
				}
				got, err := fast.GetBlackMatrix()
				if err != nil {
					t.Fatal(err)
				}
				w, h := want.GetWidth(), want.GetHeight()
				if got.GetWidth() != w || got.GetHeight() != h {
					t.Fatalf("size %dx%d, want %dx%d", got.GetWidth(), got.GetHeight(), w, h)
				}
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						if got.Get(x, y) != want.Get(x, y) {
							t.Fatalf("bit (%d,%d) differs", x, y)
						}
					}
				}
			})
		}
	}
}

func BenchmarkBinarize(b *testing.B) {
	g := finderField(1280, 720, 1)
	b.Run("gozxing", func(b *testing.B) {
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			_, _ = gozxing.NewHybridBinarizer(newGraySource(g)).GetBlackMatrix()
		}
		b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
	})
	b.Run("fast", func(b *testing.B) {
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			_, _ = newFastHybrid(newGraySource(g)).GetBlackMatrix()
		}
		b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
	})
}

// cpuTime is the process's user+system CPU time: on a loaded machine the
// wall time per op measures the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package scanner

import (
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

// credentialText is a credential-sized text (≈ 560 characters, version 18
// at EC M), like a code with a holder proof.
var credentialText = "eyJhbGciOiJFZERTQSIsInR5cCI6ImhjK2p3dCIsImtpZCI6ImsxIn0." + strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 12) + "." + strings.Repeat("c2lnbmF0dXJl", 7)

// sceneFrame is a w×h camera-like frame: a textured, cluttered background
// with, when code is set, a phone screen showing it at px pixels per module.
func sceneFrame(tb testing.TB, w, h int, code string, px int) gocv.Mat {
	tb.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range g.Pix {
		g.Pix[i] = byte(100 + r.IntN(40))
	}
	for k := 0; k < 10; k++ {
		x0, y0 := r.IntN(w), r.IntN(h)
		c := color.Gray{Y: byte(r.IntN(256))}
		for y := y0; y < min(h, y0+r.IntN(h/3)); y++ {
			for x := x0; x < min(w, x0+r.IntN(w/3)); x++ {
				g.SetGray(x, y, c)
			}
		}
	}
	if code != "" {
		img := mustRender(tb, code, px)
		b := img.Bounds()
		at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Set(at.X+x, at.Y+y, img.At(x, y))
			}
		}
	}
	m, err := toBGR(g)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// BenchmarkPipeline is the whole per-frame pipeline, frame in → event out:
// a BGR camera frame through gray conversion, the pass cascade, gozxing and
// the Scanner's presentation logic, yielding one Scan per frame.
func BenchmarkPipeline(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
		px   int
	}{
		{"640x480", 640, 480, 3},
		{"1280x720", 1280, 720, 5},
	} {
		b.Run(size.name, func(b *testing.B) {
			frame := sceneFrame(b, size.w, size.h, credentialText, size.px)
			defer frame.Close()
			src := &loopSource{mat: frame, N: 1 << 62}
			sc := NewScanner(src, NewDecoder(), ScannerOptions{})
			defer sc.Close()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := sc.Next(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkNoCode is a frame with nothing to read: the cheap pass, then the
// harder passes until the frame budget is spent. Most camera frames are
// this.
func BenchmarkNoCode(b *testing.B) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"640x480", 640, 480}, {"1280x720", 1280, 720}} {
		b.Run(size.name, func(b *testing.B) {
			frame := sceneFrame(b, size.w, size.h, "", 0)
			defer frame.Close()
			dec := NewDecoder()
			b.ReportAllocs()
			b.ResetTimer()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				_, _ = dec.DecodeMat(frame)
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkNegativePhoto is the 2592×1456 photo that kept Java ZXing busy
// for hours (zxing issue 1567), with the default frame budget.
func BenchmarkNegativePhoto(b *testing.B) {
	m := gocv.IMRead("testdata/triggeringImage1567.jpg", gocv.IMReadColor)
	defer m.Close()
	dec := NewDecoder()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		_, _ = dec.DecodeMat(m)
	}
	reportCPU(b, start)
}

// BenchmarkDecodeImage is the pure-Go path (no OpenCV) on a 1280×720 frame.
func BenchmarkDecodeImage(b *testing.B) {
	frame := sceneFrame(b, 1280, 720, credentialText, 5)
	img, err := frame.ToImage()
	frame.Close()
	if err != nil {
		b.Fatal(err)
	}
	dec := NewDecoder()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := dec.DecodeImage(img); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ms/op metric: on a shared, loaded machine the wall
// time per op (ns/op) says more about the neighbours than about the code.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

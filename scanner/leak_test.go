package scanner

import (
	"context"
	"errors"
	"image"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// leakFrames is how many frames the leak tests run through: enough that a
// leak of one frame buffer per frame would show as hundreds of megabytes.
const leakFrames = 3000

// rssBytes is the process's resident set (Mats are C memory, which the Go
// heap statistics do not see).
func rssBytes(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * int64(os.Getpagesize())
}

// loopSource serves the same frame over and over, as a camera does, each
// a new presentation so every frame is decoded and yields a Scan.
type loopSource struct {
	mat  gocv.Mat
	n, N int
}

func (l *loopSource) Read(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if l.n >= l.N {
		return Frame{}, io.EOF
	}
	l.n++
	return Frame{Mat: l.mat, Index: l.n, Cut: true}, nil
}
func (l *loopSource) Close() error   { return nil }
func (l *loopSource) String() string { return "loop" }

// TestMemoryFlat runs thousands of frames through the whole pipeline
// (gray, passes, gozxing, the Scanner) and checks that neither the Go heap
// nor the process's C memory grows with the frame count. The bounds are
// generous: this is a leak check, not a measurement.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of frames")
	}
	code := mustRender(t, "memory flat "+strings.Repeat("x", 200), 3)
	frame, err := toBGR(Presentations(320, 240, []image.Image{code}, 1, 0)[0])
	if err != nil {
		t.Fatal(err)
	}
	defer frame.Close()
	blank, err := toBGR(grayFrame(320, 240, 200))
	if err != nil {
		t.Fatal(err)
	}
	defer blank.Close()

	run := func(n int) {
		src := &loopSource{mat: frame, N: n}
		sc := NewScanner(src, testDecoder(), ScannerOptions{})
		for {
			_, err := sc.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		sc.Close()
		// No-code frames run every pass of the cascade.
		dec := testDecoder()
		for i := 0; i < n/10; i++ {
			if _, err := dec.DecodeMat(blank); !errors.Is(err, ErrNoCode) {
				t.Fatal(err)
			}
		}
	}
	run(100) // warm up caches and pools
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rss0 := rssBytes(t)
	run(leakFrames)
	runtime.GC()
	runtime.ReadMemStats(&after)
	rss1 := rssBytes(t)
	const slack = 64 << 20
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > slack {
		t.Errorf("Go heap grew by %d MB over %d frames", grow>>20, leakFrames)
	}
	if grow := rss1 - rss0; grow > slack {
		t.Errorf("resident memory grew by %d MB over %d frames", grow>>20, leakFrames)
	}
}

// grayFrame is a w×h frame of one grey level: no code anywhere.
func grayFrame(w, h int, level byte) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = level
	}
	return g
}

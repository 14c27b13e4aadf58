package scanner

import (
	"context"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gocv.io/x/gocv"
)

// grayMat is img as a single-channel Mat (the caller closes it).
func grayMat(t testing.TB, img image.Image) gocv.Mat {
	t.Helper()
	bgr, err := toBGR(img)
	if err != nil {
		t.Fatal(err)
	}
	defer bgr.Close()
	gray := gocv.NewMat()
	gocv.CvtColor(bgr, &gray, gocv.ColorBGRToGray)
	return gray
}

func readText(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func loadPNG(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mustRender(t testing.TB, text string, module int) image.Image {
	t.Helper()
	img, err := RenderQR(text, module)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// recorder is a slog.Handler that keeps the messages logged, so a test can
// check that an event (camera lost, camera back) was said.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// testDecoder has no frame budget: tests check what is read, not how fast,
// and the race detector slows gozxing tenfold.
func testDecoder() *Decoder { return NewDecoder(WithBudget(0)) }

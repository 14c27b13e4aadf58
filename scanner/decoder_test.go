package scanner

import (
	"context"
	"errors"
	"image"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"
)

func TestDecodeImage(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    []string
		wantErr error
	}{
		{name: "short text", file: "hello.png", want: []string{"yanma 验码 test"}},
		{name: "credential-sized", file: "jws.png", want: []string{readText(t, "jws.txt")}},
		{name: "dark mode", file: "dark.png", want: []string{"dark mode code"}},
		{name: "two codes", file: "two.png", want: []string{"first person code", "second person code"}},
		{name: "no code", file: "blank.png", wantErr: ErrNoCode},
	}
	dec := NewDecoder(WithBudget(0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dec.DecodeImage(loadPNG(t, tt.file))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeImage err = %v, want %v", err, tt.wantErr)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("DecodeImage = %q, want %q", got, tt.want)
			}

			m := gocv.IMRead(filepath.Join("testdata", tt.file), gocv.IMReadColor)
			defer m.Close()
			got, err = dec.DecodeMat(m)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeMat err = %v, want %v", err, tt.wantErr)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("DecodeMat = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeMatEdges(t *testing.T) {
	empty := gocv.NewMat()
	defer empty.Close()
	twoCh := gocv.NewMatWithSize(50, 50, gocv.MatTypeCV8UC2)
	defer twoCh.Close()
	dec := testDecoder()
	tests := []struct {
		name    string
		m       gocv.Mat
		wantErr error
	}{
		{name: "zero Mat", m: gocv.Mat{}, wantErr: ErrNoCode},
		{name: "empty Mat", m: empty, wantErr: ErrNoCode},
		{name: "two channels", m: twoCh, wantErr: ErrUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := dec.DecodeMat(tt.m); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRenderQRRoundTrip(t *testing.T) {
	jws := readText(t, "jws.txt")
	tests := []struct {
		name   string
		text   string
		module int
	}{
		{name: "short, 1 px", text: "A", module: 1},
		{name: "short, 4 px", text: "hello", module: 4},
		{name: "credential, 3 px", text: jws, module: 3},
		{name: "credential with proof, 2 px", text: jws + "~" + jws[:200], module: 2},
		{name: "chinese", text: "验码 健康码 绿码", module: 3},
	}
	dec := NewDecoder(WithBudget(0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := mustRender(t, tt.text, tt.module)
			got, err := dec.DecodeImage(img)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, []string{tt.text}) {
				t.Errorf("got %q", got)
			}
		})
	}
	for _, bad := range []string{"", strings.Repeat("x", 5000)} {
		if _, err := RenderQR(bad, 2); !errors.Is(err, ErrEncode) {
			t.Errorf("RenderQR(len %d) err = %v, want ErrEncode", len(bad), err)
		}
	}
}

func TestDecodeFileImages(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		want    []FrameCodes
		wantErr error
	}{
		{name: "image with a code", path: "testdata/hello.png", want: []FrameCodes{{File: "testdata/hello.png", Frame: -1, Codes: []string{"yanma 验码 test"}}}},
		{name: "image without", path: "testdata/blank.png", want: []FrameCodes{{File: "testdata/blank.png", Frame: -1}}},
		{name: "missing file", path: "testdata/nope.png", wantErr: fs.ErrNotExist},
		{name: "truncated image", path: "testdata/truncated.png", wantErr: ErrUnreadable},
		{name: "text file", path: "testdata/notimage.txt", wantErr: ErrUnreadable},
		{name: "directory", path: "testdata", wantErr: ErrUnreadable},
	}
	dec := testDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []FrameCodes
			err := DecodeFile(context.Background(), dec, tt.path, func(fc FrameCodes) error {
				got = append(got, fc)
				return nil
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !slices.EqualFunc(got, tt.want, func(a, b FrameCodes) bool {
				return a.File == b.File && a.Frame == b.Frame && slices.Equal(a.Codes, b.Codes)
			}) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestNegativePhoto: the noisy photo of zxing issue 1567, which kept Java
// ZXing busy for hours, decodes to nothing and comes back, with and without
// a frame budget. The bound is structural (the frame is scaled to
// DefaultMaxSide, and scanner/qr caps the finder-pattern candidates); the
// time it takes is in the benchmarks.
func TestNegativePhoto(t *testing.T) {
	path := filepath.Join("testdata", "triggeringImage1567.jpg")
	m := gocv.IMRead(path, gocv.IMReadColor)
	defer m.Close()
	if m.Empty() {
		t.Fatal("OpenCV cannot read the photo")
	}
	for _, budget := range []time.Duration{DefaultBudget, 0} {
		codes, err := NewDecoder(WithBudget(budget)).DecodeMat(m)
		if !errors.Is(err, ErrNoCode) {
			t.Fatalf("budget %v: codes %q, err %v; want ErrNoCode", budget, codes, err)
		}
	}
	var frames []FrameCodes
	err := DecodeFile(context.Background(), testDecoder(), path, func(fc FrameCodes) error {
		frames = append(frames, fc)
		return nil
	})
	if err != nil || len(frames) != 1 || len(frames[0].Codes) != 0 {
		t.Fatalf("DecodeFile: %+v, %v", frames, err)
	}
}

func TestDecodeFileStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := DecodeFile(ctx, testDecoder(), "testdata/hello.png", func(FrameCodes) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: err = %v", err)
	}
	stop := errors.New("stop")
	err = DecodeFile(context.Background(), testDecoder(), "testdata/hello.png", func(FrameCodes) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("callback error: err = %v", err)
	}
}

func TestDecodeImageSizes(t *testing.T) {
	// A code on a frame larger than the decoder's max side is still read
	// after the frame is scaled down.
	code := mustRender(t, "big frame", 12)
	frames := Presentations(3000, 2000, []image.Image{code}, 1, 0)
	dec := NewDecoder(WithBudget(0), WithMaxSide(1000))
	got, err := dec.DecodeImage(frames[0])
	if err != nil || !slices.Equal(got, []string{"big frame"}) {
		t.Fatalf("DecodeImage = %q, %v", got, err)
	}
	m, err := toBGR(frames[0])
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	got, err = dec.DecodeMat(m)
	if err != nil || !slices.Equal(got, []string{"big frame"}) {
		t.Fatalf("DecodeMat = %q, %v", got, err)
	}
}

// TestFirstPassAlwaysRuns: however late the clock says it is, the cheap first
// pass runs whole, so a slow machine still reads plain codes.
func TestFirstPassAlwaysRuns(t *testing.T) {
	t0 := time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	late := func() time.Time { t0 = t0.Add(time.Hour); return t0 }
	dec := NewDecoder(WithBudget(time.Millisecond), WithClock(late))
	m := gocv.IMRead(filepath.Join("testdata", "hello.png"), gocv.IMReadColor)
	defer m.Close()
	got, err := dec.DecodeMat(m)
	if err != nil || !slices.Equal(got, []string{"yanma 验码 test"}) {
		t.Fatalf("DecodeMat = %q, %v", got, err)
	}
	// A dark-mode code needs a later pass, which the spent budget skips.
	d := gocv.IMRead(filepath.Join("testdata", "dark.png"), gocv.IMReadColor)
	defer d.Close()
	if _, err := dec.DecodeMat(d); !errors.Is(err, ErrBudget) || !errors.Is(err, ErrNoCode) {
		t.Fatalf("dark code past the budget: err = %v, want ErrBudget (an ErrNoCode)", err)
	}
}

// TestTurnedCode: a code turned by 45° in a frame is read, and the points
// reported for it (mapped back from whichever pass read it) lie on it.
func TestTurnedCode(t *testing.T) {
	code := mustRender(t, credentialText, 3)
	gray := grayMat(t, Presentations(900, 900, []image.Image{code}, 1, 0)[0])
	defer gray.Close()
	turned, _ := rotate45(gray)
	defer turned.Close()
	codes, err := testDecoder().DecodeMatCodes(turned)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 1 || codes[0].Text != credentialText {
		t.Fatalf("codes %+v", codes)
	}
	c := image.Pt(turned.Cols()/2, turned.Rows()/2)
	reach := code.Bounds().Dx() * 3 / 4 // half the diagonal, about
	for _, p := range codes[0].Points {
		if d := p.Sub(c); d.X*d.X+d.Y*d.Y > reach*reach {
			t.Errorf("point %v is off the code centred at %v", p, c)
		}
	}
}

// TestNothingCodeLike: the camera decoder answers a frame in which nothing
// looks like a code (no candidate region, and the cheap pass read nothing)
// with ErrNoCode as soon as the region search is done, instead of spending
// the rest of its budget on whole-frame passes: the clock here says the
// budget is spent from the third reading on, and a frame with a code-like
// region does run out of it.
func TestNothingCodeLike(t *testing.T) {
	t0 := time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC)
	newDec := func() *Decoder {
		reads := 0
		clock := func() time.Time {
			reads++
			if reads <= 2 { // the deadline, and the check before the region pass
				return t0
			}
			return t0.Add(time.Hour)
		}
		return NewDecoder(WithClock(clock))
	}
	scene := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range scene.Pix {
		scene.Pix[i] = byte(90 + (i%640)/16) // a soft gradient: a wall
	}
	for y := 100; y < 300; y++ {
		for x := 80; x < 260; x++ {
			scene.Pix[y*640+x] = 30 // a dark box on it
		}
	}
	blank, err := gocv.ImageGrayToMatGray(scene)
	if err != nil {
		t.Fatal(err)
	}
	defer blank.Close()
	if qs := findQuads(blank); len(qs) != 0 {
		t.Fatalf("the empty scene has candidate regions %v: the test shows nothing", qs)
	}
	if _, err := newDec().DecodeMat(blank); !errors.Is(err, ErrNoCode) || errors.Is(err, ErrBudget) {
		t.Errorf("empty scene: err = %v, want ErrNoCode and not ErrBudget", err)
	}
	dark := gocv.IMRead(filepath.Join("testdata", "dark.png"), gocv.IMReadColor)
	defer dark.Close()
	if _, err := newDec().DecodeMat(dark); !errors.Is(err, ErrBudget) {
		t.Errorf("dark-mode code (a candidate region): err = %v, want ErrBudget", err)
	}
}

func TestBudgetFor(t *testing.T) {
	for _, c := range []struct {
		fps  float64
		want time.Duration
	}{
		{30, DefaultBudget},
		{15, 50 * time.Millisecond},
		{25, 30 * time.Millisecond},
		{60, 12500 * time.Microsecond},
		{120, 10 * time.Millisecond}, // floor: the cheap passes need their time
		{5, 100 * time.Millisecond},  // ceiling: the person is waiting
		{0, DefaultBudget},           // a camera that does not say
		{-1, DefaultBudget},
		{math.NaN(), DefaultBudget},
		{math.Inf(1), DefaultBudget},
	} {
		if got := BudgetFor(c.fps); got != c.want {
			t.Errorf("BudgetFor(%v) = %v, want %v", c.fps, got, c.want)
		}
	}
}

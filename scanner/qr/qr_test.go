package qr

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testdata is shared with the scanner package.
const testdata = "../testdata"

func load(t testing.TB, name string) *image.Gray {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return Gray(img)
}

func want(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func textsOf(codes []Code) []string {
	var out []string
	for _, c := range codes {
		out = append(out, c.Text)
	}
	slices.Sort(out)
	return out
}

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    []string
		wantErr error
	}{
		{name: "short text", file: "hello.png", want: []string{"yanma 验码 test"}},
		{name: "credential-sized", file: "jws.png", want: []string{want(t, "jws.txt")}},
		{name: "dark mode", file: "dark.png", want: []string{"dark mode code"}},
		{name: "two codes", file: "two.png", want: []string{"first person code", "second person code"}},
		{name: "no code", file: "blank.png", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			codes, err := Read(load(t, tt.file), DefaultCascade(), noDeadline)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := textsOf(codes); !slices.Equal(got, tt.want) {
				t.Errorf("texts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodePasses(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		opt     Options
		wantErr error
	}{
		{name: "normal code, plain pass", file: "hello.png", opt: Options{}},
		{name: "normal code, global histogram", file: "hello.png", opt: Options{Binarizer: GlobalHistogram}},
		{name: "normal code, try harder", file: "hello.png", opt: Options{TryHarder: true}},
		{name: "dark code needs inversion", file: "dark.png", opt: Options{}, wantErr: ErrNotFound},
		{name: "dark code inverted", file: "dark.png", opt: Options{Invert: true}},
		{name: "no centre budget at all", file: "hello.png", opt: Options{MaxCenters: 1}, wantErr: ErrBudget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(load(t, tt.file), tt.opt)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// finderField tiles an image with QR finder patterns (7×7 modules of the
// 1:1:3:1:1 ring) at random sizes: each is a candidate centre for gozxing,
// and no three of them make a code. Unbounded, the cubic selection over
// thousands of candidates is what kept Java ZXing busy for hours.
func finderField(w, h int, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	r := rand.New(rand.NewPCG(seed, seed))
	for y := 0; y+40 < h; y += 40 {
		for x := 0; x+40 < w; x += 40 {
			m := 2 + r.IntN(3)
			for my := 0; my < 7; my++ {
				for mx := 0; mx < 7; mx++ {
					ring := min(mx, my, 6-mx, 6-my)
					if ring == 1 {
						continue
					}
					for dy := 0; dy < m; dy++ {
						for dx := 0; dx < m; dx++ {
							g.SetGray(x+mx*m+dx, y+my*m+dy, color.Gray{})
						}
					}
				}
			}
		}
	}
	return g
}

// TestCandidateFloodBounded: an image full of finder patterns yields no code
// and comes back, cut short by the centre budget in every pass. (How long it
// takes is a benchmark, not a test; the real photo of zxing issue 1567 is
// tested in the scanner package, which reads it through OpenCV: Go's JPEG
// decoder does not do its arithmetic coding.)
func TestCandidateFloodBounded(t *testing.T) {
	g := finderField(1280, 720, 1)
	for _, p := range DefaultCascade() {
		codes, err := Decode(g, p.Options)
		// Inverted, the rings are no finder patterns: nothing to cut short.
		if !errors.Is(err, ErrBudget) && !(p.Invert && errors.Is(err, ErrNotFound)) {
			t.Fatalf("pass %+v: codes %v, err %v; want ErrBudget", p, codes, err)
		}
	}
}

func TestDecodeEdges(t *testing.T) {
	tests := []struct {
		name    string
		img     *image.Gray
		wantErr error
	}{
		{name: "nil", img: nil, wantErr: ErrNotFound},
		{name: "empty", img: image.NewGray(image.Rect(0, 0, 0, 0)), wantErr: ErrNotFound},
		{name: "one pixel", img: image.NewGray(image.Rect(0, 0, 1, 1)), wantErr: ErrNotFound},
		{name: "short buffer", img: &image.Gray{Pix: make([]byte, 10), Stride: 100, Rect: image.Rect(0, 0, 100, 100)}, wantErr: ErrDecoder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.img, Options{}); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSubImagePoints(t *testing.T) {
	full := load(t, "two.png")
	right := full.SubImage(image.Rect(full.Rect.Dx()/2, 0, full.Rect.Dx(), full.Rect.Dy())).(*image.Gray)
	codes, err := Decode(right, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if codes[0].Text != "second person code" {
		t.Fatalf("text %q", codes[0].Text)
	}
	for _, p := range codes[0].Points {
		if !p.In(right.Rect) {
			t.Errorf("point %v outside the sub-image %v", p, right.Rect)
		}
	}
}

func TestGrayConversions(t *testing.T) {
	src := load(t, "hello.png")
	rgba := image.NewRGBA(src.Rect)
	nrgba := image.NewNRGBA(src.Rect)
	ycc := image.NewYCbCr(src.Rect, image.YCbCrSubsampleRatio420)
	for i, v := range src.Pix {
		y, x := i/src.Stride, i%src.Stride
		copy(rgba.Pix[rgba.PixOffset(x, y):], []byte{v, v, v, 255})
		copy(nrgba.Pix[nrgba.PixOffset(x, y):], []byte{v, v, v, 255})
		ycc.Y[ycc.YOffset(x, y)] = v
	}
	paletted := image.NewPaletted(src.Rect, nil)
	for _, img := range []image.Image{src, rgba, nrgba, ycc} {
		g := Gray(img)
		if !bytes.Equal(g.Pix, src.Pix) {
			t.Errorf("%T: luminance differs", img)
		}
	}
	if g := Gray(paletted); g.Rect != src.Rect {
		t.Errorf("paletted: rect %v", g.Rect)
	}
}

// TestImageKeepsBinarizations: one Image read with every option in turn
// answers as a fresh Decode of each would, in either order; the kept
// binarizations do not leak from one option into another.
func TestImageKeepsBinarizations(t *testing.T) {
	opts := []Options{
		{},
		{Invert: true},
		{Binarizer: GlobalHistogram},
		{Binarizer: GlobalHistogram, Invert: true},
		{TryHarder: true},
		{TryHarder: true, Invert: true},
	}
	for _, file := range []string{"hello.png", "dark.png"} {
		g := load(t, file)
		want := make([]error, len(opts))
		texts := make([][]string, len(opts))
		for i, o := range opts {
			codes, err := Decode(g, o)
			texts[i], want[i] = textsOf(codes), err
		}
		if !slices.ContainsFunc(want, func(err error) bool { return err == nil }) ||
			!slices.ContainsFunc(want, func(err error) bool { return err != nil }) {
			t.Fatalf("%s: every option answers alike (%v): the test shows nothing", file, want)
		}
		for _, order := range [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}} {
			im := NewImage(g)
			for _, i := range order {
				codes, err := im.Decode(opts[i])
				if !errors.Is(err, want[i]) || !slices.Equal(textsOf(codes), texts[i]) {
					t.Errorf("%s %+v after others: %q, %v; want %q, %v", file, opts[i], textsOf(codes), err, texts[i], want[i])
				}
			}
		}
	}
}

// TestDeadlineClock: the deadline is read on the clock the options give,
// not on the wall clock (a benchmark passes its CPU time).
func TestDeadlineClock(t *testing.T) {
	g := load(t, "hello.png")
	start := time.Now()
	if _, err := Decode(g, Options{Deadline: start.Add(time.Hour)}); err != nil {
		t.Fatalf("an hour of budget on the wall clock: %v", err)
	}
	late := func() time.Time { return start.Add(2 * time.Hour) }
	if _, err := Decode(g, Options{Deadline: start.Add(time.Hour), Now: late}); !errors.Is(err, ErrBudget) {
		t.Fatalf("a clock past the deadline: err = %v, want ErrBudget", err)
	}
}

// TestCentres: an Image says how many finder-pattern candidates its last
// Decode came across: a code's three at least, none on a blank page.
func TestCentres(t *testing.T) {
	code := NewImage(load(t, "hello.png"))
	if _, err := code.Decode(Options{}); err != nil {
		t.Fatal(err)
	}
	if n := code.Centres(); n < 3 {
		t.Errorf("a read code: %d centres, want at least its 3 finder patterns", n)
	}
	blank := NewImage(load(t, "blank.png"))
	if _, err := blank.Decode(Options{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("blank: err = %v, want ErrNotFound", err)
	}
	if n := blank.Centres(); n != 0 {
		t.Errorf("blank: %d centres, want 0", n)
	}
}

package scanner

import (
	"context"
	"errors"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/serial"
)

// writeTestVideo writes codes shown one after another, each for framesEach
// frames with blanks between, as an MJPG .avi under t.TempDir().
func writeTestVideo(t testing.TB, texts []string, framesEach, blanks int) string {
	t.Helper()
	var codes []image.Image
	for _, s := range texts {
		codes = append(codes, mustRender(t, s, 4))
	}
	path := filepath.Join(t.TempDir(), "codes.avi")
	if err := WriteVideo(path, 30, Presentations(640, 480, codes, framesEach, blanks)); err != nil {
		t.Fatal(err)
	}
	return path
}

// scanAll runs a Scanner to its source's end and returns the texts in order.
func scanAll(t testing.TB, sc *Scanner) []Scan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out []Scan
	for {
		s, err := sc.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, s)
	}
}

func scanTexts(scans []Scan) []string {
	var out []string
	for _, s := range scans {
		out = append(out, s.Text)
	}
	return out
}

func TestVideoRoundTrip(t *testing.T) {
	texts := []string{"person one", "person two", "person three"}
	const each, blanks = 12, 4
	path := writeTestVideo(t, texts, each, blanks)

	var frames []FrameCodes
	err := DecodeFile(context.Background(), testDecoder(), path, func(fc FrameCodes) error {
		frames = append(frames, fc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(texts)*each + (len(texts)-1)*blanks; len(frames) != want {
		t.Fatalf("%d frames read back, want %d", len(frames), want)
	}
	for i, fc := range frames {
		var want []string
		if slot := i % (each + blanks); slot < each {
			want = []string{texts[i/(each+blanks)]}
		}
		if fc.Frame != i || !slices.Equal(fc.Codes, want) {
			t.Errorf("frame %d: got #%d %q, want %q", i, fc.Frame, fc.Codes, want)
		}
	}
}

func TestScannerOnePerPresentation(t *testing.T) {
	tests := []struct {
		name   string
		texts  []string
		each   int
		blanks int
		want   []string
	}{
		{name: "three people", texts: []string{"A", "B", "C"}, each: 20, blanks: 5, want: []string{"A", "B", "C"}},
		{name: "different code at once", texts: []string{"A", "B"}, each: 10, blanks: 0, want: []string{"A", "B"}},
		// 0.5 s away is still the same presentation without Done (Gap 1 s)…
		{name: "same code back soon", texts: []string{"A", "A"}, each: 10, blanks: 15, want: []string{"A"}},
		// …but 1.5 s away it is a new one.
		{name: "same code back later", texts: []string{"A", "A"}, each: 10, blanks: 45, want: []string{"A", "A"}},
		{name: "held three seconds", texts: []string{"A"}, each: 90, want: []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestVideo(t, tt.texts, tt.each, tt.blanks)
			src, err := OpenSource("file:"+path, SourceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sc := NewScanner(src, testDecoder(), ScannerOptions{})
			defer sc.Close()
			scans := scanAll(t, sc)
			if got := scanTexts(scans); !slices.Equal(got, tt.want) {
				t.Fatalf("scans %q, want %q", got, tt.want)
			}
			for _, s := range scans {
				if s.Source != path || s.Frame < 0 {
					t.Errorf("scan %+v: want source %s and a frame index", s, path)
				}
			}
		})
	}
}

func TestScannerPreview(t *testing.T) {
	path := writeTestVideo(t, []string{"preview me"}, 3, 0)
	src, err := OpenSource("file:"+path, SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var previews, withCode int
	sc := NewScanner(src, testDecoder(), ScannerOptions{OnFrame: func(p Preview) {
		previews++
		if len(p.Codes) == 1 && !p.Codes[0].Outline().Empty() && p.Mat.Cols() == 640 {
			withCode++
		}
	}})
	defer sc.Close()
	scanAll(t, sc)
	if previews != 3 || withCode != 3 {
		t.Fatalf("previews %d, with an outlined code %d; want 3, 3", previews, withCode)
	}
}

// fakeSource plays a script of frames: the edge of the package, standing in
// for a camera whose timing a test must control.
type fakeSource struct {
	frames []Frame
	closed bool
}

func (f *fakeSource) Read(ctx context.Context) (Frame, error) {
	if err := ctx.Err(); err != nil {
		return Frame{}, err
	}
	if len(f.frames) == 0 {
		return Frame{}, io.EOF
	}
	fr := f.frames[0]
	f.frames = f.frames[1:]
	return fr, nil
}
func (f *fakeSource) Close() error   { f.closed = true; return nil }
func (f *fakeSource) String() string { return "fake" }

// script makes one frame per entry, 100 ms apart; "" is a frame without a
// code, "|" calls Done on the scanner before the next frame.
func TestScannerDone(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{name: "held, no Done", script: "A A A - A A", want: []string{"A"}},
		{name: "away briefly, no Done", script: "A A - - - A", want: []string{"A"}},
		{name: "away briefly after Done", script: "A | A - - - A", want: []string{"A", "A"}},
		{name: "still held after Done", script: "A | A A A A A", want: []string{"A"}},
		{name: "one missed frame after Done", script: "A | A - A A", want: []string{"A"}},
		{name: "two codes in a frame", script: "AB AB B", want: []string{"A", "B"}},
		{name: "switch codes", script: "A B A", want: []string{"A", "B"}},
		{name: "switch codes with Done", script: "A | B | - - - A", want: []string{"A", "B", "A"}},
		{name: "long gap", script: "A - - - - - - - - - - - A", want: []string{"A", "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Date(2020, 2, 1, 8, 0, 0, 0, time.UTC)
			type step struct {
				frame Frame
				done  bool
			}
			var steps []step
			n := 0
			for _, tok := range strings.Fields(tt.script) {
				if tok == "|" {
					steps[len(steps)-1].done = true
					continue
				}
				var texts []string
				if tok != "-" {
					for _, r := range tok {
						texts = append(texts, string(r))
					}
				} else {
					texts = []string{}
				}
				steps = append(steps, step{frame: Frame{Texts: texts, Index: n, At: t0.Add(time.Duration(n) * 100 * time.Millisecond)}})
				n++
			}
			// Feed frames one at a time so Done lands between the right ones.
			src := &fakeSource{}
			sc := NewScanner(src, nil, ScannerOptions{})
			var got []string
			for _, st := range steps {
				src.frames = append(src.frames, st.frame)
				for {
					s, err := sc.Next(context.Background())
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, s.Text)
				}
				if st.done {
					sc.Done()
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("scans %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStdinSource(t *testing.T) {
	in := "A\n\n  B \r\nA\n" + strings.Repeat("x", maxLine+10) + "\nC"
	src, err := OpenSource("stdin", SourceOptions{Stdin: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(src, testDecoder(), ScannerOptions{})
	defer sc.Close()
	scans := scanAll(t, sc)
	// Every typed line is its own presentation: the same code typed twice is
	// two scans. The overlong line is dropped.
	if got := scanTexts(scans); !slices.Equal(got, []string{"A", "B", "A", "C"}) {
		t.Fatalf("scans %q", got)
	}
	if _, err := sc.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %v, want io.EOF", err)
	}
}

func TestStdinHonoursContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	src, err := OpenSource("stdin", SourceOptions{Stdin: pr})
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(src, testDecoder(), ScannerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = pw.Write([]byte("first\n")) }()
	if s, err := sc.Next(ctx); err != nil || s.Text != "first" {
		t.Fatalf("Next = %+v, %v", s, err)
	}
	cancel()
	if _, err := sc.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Next: %v", err)
	}
	if err := sc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestImagesSource(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"hello.png", "blank.png", "two.png", "notimage.txt", "truncated.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		// A second copy of hello: a new image is a new presentation.
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "hello.png" {
			if err := os.WriteFile(filepath.Join(dir, "hello2.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := &recorder{}
	src, err := OpenSource("images:"+dir, SourceOptions{Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(src, testDecoder(), ScannerOptions{})
	defer sc.Close()
	got := scanTexts(scanAll(t, sc))
	want := []string{"yanma 验码 test", "yanma 验码 test", "first person code", "second person code"}
	slices.Sort(got[2:])
	if !slices.Equal(got, want) {
		t.Fatalf("scans %q, want %q", got, want)
	}
	if rec.count("skipping unreadable image") != 1 {
		t.Errorf("the truncated image was not reported: %q", rec.msgs)
	}
}

func TestStillFileSource(t *testing.T) {
	src, err := OpenSource("file:testdata/hello.png", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(src, testDecoder(), ScannerOptions{})
	defer sc.Close()
	scans := scanAll(t, sc)
	if len(scans) != 1 || scans[0].Text != "yanma 验码 test" || scans[0].Frame != -1 {
		t.Fatalf("scans %+v", scans)
	}
}

func TestOpenSourceErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name    string
		spec    string
		wantErr error
	}{
		{name: "unknown kind", spec: "webcam:0", wantErr: ErrBadSpec},
		{name: "no argument", spec: "file:", wantErr: ErrBadSpec},
		{name: "empty spec", spec: "", wantErr: ErrBadSpec},
		{name: "stdin with argument", spec: "stdin:x", wantErr: ErrBadSpec},
		{name: "missing file", spec: "file:testdata/nope.avi", wantErr: fs.ErrNotExist},
		{name: "missing image", spec: "file:testdata/nope.png", wantErr: fs.ErrNotExist},
		{name: "text file", spec: "file:testdata/notimage.txt", wantErr: ErrUnreadable},
		{name: "truncated image", spec: "file:testdata/truncated.png", wantErr: ErrUnreadable},
		{name: "folder as file", spec: "file:testdata", wantErr: ErrUnreadable},
		{name: "missing folder", spec: "images:testdata/nope", wantErr: fs.ErrNotExist},
		{name: "empty folder", spec: "images:" + empty, wantErr: ErrEmptySource},
		{name: "missing tty", spec: "tty:/dev/nope-scanner", wantErr: fs.ErrNotExist},
		{name: "tty baud not a number", spec: "tty:/dev/nope-scanner@fast", wantErr: ErrBadSpec},
		{name: "tty without a path", spec: "tty:@9600", wantErr: ErrBadSpec},
		{name: "tty baud termios cannot set", spec: "tty:/dev/nope-scanner@12345", wantErr: serial.ErrUnsupportedBaud},
		{name: "absent camera", spec: "camera:/dev/nope-video", wantErr: ErrCamera},
		{name: "tty that is no terminal", spec: "tty:" + os.DevNull, wantErr: syscall.ENOTTY},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := OpenSource(tt.spec, SourceOptions{})
			if src != nil {
				src.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			// The officer reads this on the kiosk: it names the spec at
			// the start, and a path spec only there.
			if msg := err.Error(); !strings.HasPrefix(msg, "source "+tt.spec+": ") || strings.Contains(tt.spec, "/") && strings.Count(msg, tt.spec) != 1 {
				t.Errorf("message %q: want the spec %q named once, first", msg, tt.spec)
			}
		})
	}
}

// fakeCamera serves frames from a video until it is "unplugged" after a
// number of frames.
type fakeCamera struct {
	vc      *gocv.VideoCapture
	unplugs int // frames until it fails; -1 never
}

func (c *fakeCamera) Read(m *gocv.Mat) bool {
	if c.unplugs == 0 {
		return false
	}
	c.unplugs--
	return c.vc.Read(m)
}
func (c *fakeCamera) Close() error { return c.vc.Close() }

func TestCameraReopens(t *testing.T) {
	path := writeTestVideo(t, []string{"camera code"}, 40, 0)
	opens := 0
	open := func() (capture, error) {
		opens++
		switch opens {
		case 2, 3: // unplugged: the device is gone for two tries
			return nil, ErrCamera
		}
		vc, err := gocv.VideoCaptureFile(path)
		if err != nil {
			return nil, err
		}
		unplug := -1
		if opens == 1 {
			unplug = 5
		}
		return &fakeCamera{vc: vc, unplugs: unplug}, nil
	}
	rec := &recorder{}
	var events []DeviceEvent
	onDevice := func(ev DeviceEvent) { events = append(events, ev) }
	src, err := newCameraSource("camera:fake", open, SourceOptions{Logger: slog.New(rec), Reopen: time.Millisecond, OnDevice: onDevice}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	read := 0
	for ; read < 20; read++ {
		f, err := src.Read(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", read, err)
		}
		if f.Mat.Empty() || f.Index != read {
			t.Fatalf("frame %d: index %d, empty %v", read, f.Index, f.Mat.Empty())
		}
	}
	if opens != 4 {
		t.Errorf("opened %d times, want 4 (first, two failures, back)", opens)
	}
	if rec.count("camera lost, reopening") != 1 || rec.count("camera back") != 1 {
		t.Errorf("log %q: want the loss and the return said once each", rec.msgs)
	}
	if len(events) != 2 || !events[0].Lost || !errors.Is(events[0].Err, ErrCamera) || events[1].Lost || events[1].Source != "camera:fake" {
		t.Errorf("device events %+v: want lost (ErrCamera), then back", events)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.Read(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Read: %v", err)
	}
}

func TestWriteVideoErrors(t *testing.T) {
	dir := t.TempDir()
	a := image.NewGray(image.Rect(0, 0, 64, 48))
	b := image.NewGray(image.Rect(0, 0, 32, 48))
	tests := []struct {
		name    string
		frames  []image.Image
		wantErr error
	}{
		{name: "no frames", frames: nil, wantErr: ErrFrameSize},
		{name: "sizes differ", frames: []image.Image{a, b}, wantErr: ErrFrameSize},
		{name: "empty frame", frames: []image.Image{image.NewGray(image.Rectangle{})}, wantErr: ErrFrameSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteVideo(filepath.Join(dir, tt.name+".avi"), 30, tt.frames)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestDoneFromAnotherGoroutine: the UI may call Done while the scan loop is
// in Next; the race detector checks the Scanner's locking.
func TestDoneFromAnotherGoroutine(t *testing.T) {
	t0 := time.Date(2020, 2, 1, 8, 0, 0, 0, time.UTC)
	src := &fakeSource{}
	for i := 0; i < 2000; i++ {
		src.frames = append(src.frames, Frame{Texts: []string{"A"}, Index: i, At: t0.Add(time.Duration(i) * 10 * time.Millisecond)})
	}
	sc := NewScanner(src, nil, ScannerOptions{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				sc.Done()
			}
		}
	}()
	n := len(scanAll(t, sc))
	close(stop)
	<-done
	// A held code with Done called all along is still one presentation.
	if n != 1 {
		t.Fatalf("%d scans of one held code, want 1", n)
	}
}

// TestCameraSettings: a camera source says what its capture agreed to
// (here a V4L2-less capture of an MJPG video, read through the same
// gocv.VideoCapture a camera is), and nothing once closed.
func TestCameraSettings(t *testing.T) {
	path := writeTestVideo(t, []string{"settings"}, 3, 0)
	open := func() (capture, error) { return gocv.VideoCaptureFile(path) }
	src, err := newCameraSource("camera:file", open, SourceOptions{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	got, ok := src.Settings()
	if !ok || got.Width != 640 || got.Height != 480 || got.FourCC != "MJPG" || got.FPS <= 0 {
		t.Errorf("Settings() = %+v, %v; want 640×480 MJPG", got, ok)
	}
	src.Close()
	if _, ok := src.Settings(); ok {
		t.Error("a closed camera still says what it agreed to")
	}
}

func TestValidFourCC(t *testing.T) {
	for s, want := range map[string]bool{"MJPG": true, "YUYV": true, "H264": true, "-": true, "": false, "MJPEG": false, "YUV": false, "MJ\x00G": false, "MJ\u00e9": false} {
		if got := ValidFourCC(s); got != want {
			t.Errorf("ValidFourCC(%q) = %v, want %v", s, got, want)
		}
	}
}

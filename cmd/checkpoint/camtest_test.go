package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/scanner"
)

// TestCameraTestVideo runs camera-test over a real video (gocv writes it,
// the same source code path as run reads it) and checks what it counted.
func TestCameraTestVideo(t *testing.T) {
	dir := t.TempDir()
	var codes []image.Image
	for _, text := range []string{"https://example.invalid/#one", "https://example.invalid/#two"} {
		qr, err := scanner.RenderQR(text, 4)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, qr)
	}
	video := filepath.Join(dir, "kiosk.avi")
	// Each code for 4 frames, 2 blank frames between them: 10 frames.
	if err := scanner.WriteVideo(video, 10, scanner.Presentations(640, 480, codes, 4, 2)); err != nil {
		t.Fatal(err)
	}

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"camera-test", "--source", "file:" + video, "--json", "--fps", "15"}, nil, &out, &errb); err != nil {
		t.Fatalf("camera-test: %v (stderr %q)", err, errb.String())
	}
	var rep frameReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("not one JSON object: %q: %v", out.String(), err)
	}
	if rep.Frames != 10 || rep.Width != 640 || rep.Height != 480 || rep.Mixed {
		t.Errorf("frames %d of %d×%d (mixed %v), want 10 of 640×480", rep.Frames, rep.Width, rep.Height, rep.Mixed)
	}
	if rep.WithCode != 8 || rep.Codes != 2 {
		t.Errorf("%d frames with a code, %d codes; want 8 and 2", rep.WithCode, rep.Codes)
	}
	if rep.BudgetMS != 50 || rep.AskedFPS != 15 {
		t.Errorf("budget %v ms at %v fps, want 50 ms at 15 (three quarters of the frame time)", rep.BudgetMS, rep.AskedFPS)
	}
	if rep.Camera {
		t.Error("a file reported as a camera")
	}
	if !(rep.MedianMS > 0 && rep.MedianMS <= rep.P95MS && rep.P95MS <= rep.MaxMS) {
		t.Errorf("decode times out of order: median %v, p95 %v, max %v", rep.MedianMS, rep.P95MS, rep.MaxMS)
	}
	if rep.Seconds <= 0 || rep.PerSecond <= 0 {
		t.Errorf("no rate: %v frames/s over %v s", rep.PerSecond, rep.Seconds)
	}
	if strings.Contains(out.String(), "example.invalid") {
		t.Error("the report shows a code's content; it should only count codes")
	}

	// The text report says the same for a person.
	out.Reset()
	if err := run(context.Background(), []string{"camera-test", "--source", "file:" + video}, nil, &out, &errb); err != nil {
		t.Fatalf("camera-test: %v", err)
	}
	for _, want := range []string{"frames       10 of 640×480", "found in 8 of 10 frames; different codes: 2", "frame budget 25 ms", "keeps up     "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestCameraTestBadInput: every wrong use says why and exits non-zero.
func TestCameraTestBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.avi")
	if err := os.WriteFile(junk, []byte("RIFF not really a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--source", "stdin"}, "scanner gun"},
		{[]string{"--source", "tty:/dev/ttyACM0"}, "scanner gun"},
		{[]string{"--source", "file:" + filepath.Join(dir, "missing.mp4")}, "missing.mp4"},
		{[]string{"--source", "file:" + junk}, "junk.avi"},
		{[]string{"--source", "images:" + dir}, "no images"},
		{[]string{"--source", "nonsense"}, "want camera:N"},
		{[]string{"--for", "-1s"}, "--for"},
		{[]string{"--fps", "0"}, "--fps"},
		{[]string{"--frame-budget", "-5ms"}, "--frame-budget"},
		{[]string{"--pixel-format", "MJPEG"}, "--pixel-format"},
		{[]string{"extra"}, "unexpected"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"camera-test"}, c.args...), nil, &out, &errb)
		if err == nil || !strings.Contains(err.Error()+errb.String(), c.want) {
			t.Errorf("camera-test %q: err=%v stderr=%q, want an error saying %q", c.args, err, errb.String(), c.want)
		}
		if out.Len() != 0 {
			t.Errorf("camera-test %q printed a report: %q", c.args, out.String())
		}
	}
}

// TestCameraVerdict: what the report concludes from what was measured.
func TestCameraVerdict(t *testing.T) {
	base := func() frameReport {
		return frameReport{
			Camera: true, Width: 1280, Height: 720, AskedWidth: 1280, AskedHeight: 720, AskedFPS: 30,
			Frames: 300, Seconds: 10, PerSecond: 30, MedianMS: 3, P95MS: 9, MaxMS: 26, BudgetMS: 25,
			decode: []time.Duration{3 * time.Millisecond, 9 * time.Millisecond, 26 * time.Millisecond},
		}
	}
	r := base()
	r.judge()
	if !r.KeepsUp || len(r.Advice) != 0 || r.OverBudget != 1 {
		t.Errorf("a camera at its rate, decoding in time: keeps up %v, advice %q, over budget %d", r.KeepsUp, r.Advice, r.OverBudget)
	}

	r = base()
	r.P95MS = 40
	r.judge()
	if r.KeepsUp || !adviceSays(r, "lower --frame-budget") {
		t.Errorf("95 %% of frames over the frame time: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}

	r = base()
	r.PerSecond = 15
	r.judge()
	if r.KeepsUp || !adviceSays(r, "dim light") {
		t.Errorf("camera at half the asked rate: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}

	r = base()
	r.Width, r.Height = 640, 480
	r.judge()
	if !r.KeepsUp || !adviceSays(r, "gives 640×480, not the 1280×720 asked") {
		t.Errorf("camera fell back to 640×480: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}

	r = base()
	r.AskedFormat = "MJPG"
	r.Agreed = &cameraMode{Width: 1280, Height: 720, FPS: 10, FourCC: "YUYV"}
	r.PerSecond = 10
	r.judge()
	if r.KeepsUp || !adviceSays(r, "gives YUYV, not the MJPG asked") || !adviceSays(r, "10.0 frames a second came") {
		t.Errorf("camera fell back to YUYV at 10 fps: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}
	if txt := r.text(); !strings.Contains(txt, "agreed to 1280×720 YUYV at 10 frames a second") {
		t.Errorf("the report does not say what the camera agreed to:\n%s", txt)
	}

	r = base()
	r.AskedFormat = "-" // the camera's own format: whatever it gives is what was asked
	r.Agreed = &cameraMode{Width: 1280, Height: 720, FPS: 30, FourCC: "YUYV"}
	r.judge()
	if !r.KeepsUp || len(r.Advice) != 0 {
		t.Errorf("the camera's own format: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}

	r = base()
	r.Camera = false
	r.PerSecond = 200 // a file reads as fast as it decodes: its rate is no camera's
	r.Width = 640
	r.judge()
	if !r.KeepsUp || len(r.Advice) != 0 {
		t.Errorf("a file: keeps up %v, advice %q", r.KeepsUp, r.Advice)
	}
}

func adviceSays(r frameReport, s string) bool {
	for _, a := range r.Advice {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

// TestRunFrameBudget: run's --frame-budget follows --fps unless given;
// --pixel-format takes a four-character code or -.
func TestRunFrameBudget(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	for _, c := range []struct {
		args []string
		want time.Duration
	}{
		{[]string{"--source", "stdin"}, 25 * time.Millisecond},
		{[]string{"--source", "stdin", "--fps", "15"}, 50 * time.Millisecond},
		{[]string{"--source", "stdin", "--fps", "120"}, 10 * time.Millisecond},
		{[]string{"--source", "stdin", "--fps", "60", "--frame-budget", "40ms"}, 40 * time.Millisecond},
	} {
		cfg, err := parseRunFlags(e, c.args)
		if err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if cfg.budget != c.want {
			t.Errorf("%q: budget %v, want %v", c.args, cfg.budget, c.want)
		}
	}
	if _, err := parseRunFlags(e, []string{"--frame-budget", "-1ms"}); err == nil || !strings.Contains(err.Error(), "--frame-budget") {
		t.Errorf("a negative budget: %v", err)
	}
	for _, f := range []string{"MJPG", "YUYV", "H264", "-"} {
		if cfg, err := parseRunFlags(e, []string{"--pixel-format", f}); err != nil || cfg.pixelFormat != f {
			t.Errorf("--pixel-format %s: %v, %q", f, err, cfg.pixelFormat)
		}
	}
	for _, f := range []string{"", "MJPEG", "YUV", "MJ\x00G"} {
		if _, err := parseRunFlags(e, []string{"--pixel-format", f}); err == nil || !strings.Contains(err.Error(), "--pixel-format") {
			t.Errorf("--pixel-format %q accepted", f)
		}
	}
}

// silentCamera is a camera that never sends a frame (unplugged, or held
// by another program): Read waits for ctx like the real one's reopen loop.
type silentCamera struct{}

func (silentCamera) Read(ctx context.Context) (scanner.Frame, error) {
	<-ctx.Done()
	return scanner.Frame{}, ctx.Err()
}
func (silentCamera) Close() error   { return nil }
func (silentCamera) String() string { return "camera:9" }

func TestCameraTestNoFrame(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := measureFrames(ctx, silentCamera{}, scanner.NewDecoder(), time.Now)
	if err == nil || !strings.Contains(err.Error(), "camera:9 gave no frame") {
		t.Fatalf("a camera that sends nothing: %v", err)
	}
}

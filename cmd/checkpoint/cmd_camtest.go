package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"yanma/scanner"
)

// cmdCameraTest is what an installer runs once at a new kiosk: it reads a
// source for a while exactly as `run` would (same camera settings, same
// decoder and frame budget) and says what the camera really gives and
// whether this machine decodes its frames in time. Cameras silently fall
// back to another size or rate, and a slow kiosk falls behind: both are
// found here rather than at the first queue.
func cmdCameraTest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("camera-test", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	source := fs.String("source", getenv("YANMA_SOURCE", "camera:0"), "camera:N, camera:/dev/videoN, file:PATH or images:DIR")
	dur := fs.Duration("for", 10*time.Second, "how long to read frames (a file or folder ends sooner when it has fewer)")
	var cam cameraFlags
	cam.register(fs)
	asJSON := fs.Bool("json", false, "one JSON object instead of the text report")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: checkpoint camera-test [--source S] [--for 10s] [--width W --height H --fps F --pixel-format MJPG] [--frame-budget D] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("camera-test: unexpected arguments %q", fs.Args())
	}
	if *dur <= 0 {
		return fmt.Errorf("camera-test: --for %v: want a positive duration", *dur)
	}
	if err := cam.check(); err != nil {
		return fmt.Errorf("camera-test: %w", err)
	}
	if *source == "stdin" || strings.HasPrefix(*source, "tty:") {
		return fmt.Errorf("camera-test: %s is a scanner gun: it sends decoded text, there are no frames to test", *source)
	}
	src, err := scanner.OpenSource(*source, cam.sourceOptions(e.log))
	if err != nil {
		return fmt.Errorf("camera-test: %w", err)
	}
	defer src.Close()
	rctx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	rep, err := measureFrames(rctx, src, cam.decoder(), time.Now)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // the installer pressed Ctrl-C: no report
	}
	if err != nil {
		return fmt.Errorf("camera-test: %w", err)
	}
	rep.Source = *source
	rep.Camera = strings.HasPrefix(*source, "camera:")
	rep.AskedWidth, rep.AskedHeight, rep.AskedFPS, rep.AskedFormat = cam.width, cam.height, cam.fps, cam.pixelFormat
	if c, ok := src.(interface {
		Settings() (scanner.CameraSettings, bool)
	}); ok {
		if set, ok := c.Settings(); ok {
			rep.Agreed = &cameraMode{Width: set.Width, Height: set.Height, FPS: set.FPS, FourCC: set.FourCC}
		}
	}
	rep.BudgetMS = ms(cam.budget)
	rep.judge()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	_, err = io.WriteString(e.stdout, rep.text())
	return err
}

// cameraFlags are the camera's and the decoder's settings, the same flags
// for run and camera-test, so that the test measures what run will do.
type cameraFlags struct {
	width, height int
	fps           float64
	pixelFormat   string
	budget        time.Duration
}

func (c *cameraFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&c.width, "width", 1280, "camera frame width")
	fs.IntVar(&c.height, "height", 720, "camera frame height")
	fs.Float64Var(&c.fps, "fps", 30, "camera frame rate")
	fs.StringVar(&c.pixelFormat, "pixel-format", "MJPG", "pixel format asked of the camera (MJPG, YUYV, …; - for the camera's own): USB cameras give 1280×720 at 30 fps only as MJPG")
	fs.DurationVar(&c.budget, "frame-budget", 0, "the most time one frame's decoding may take (default: three quarters of the time between frames at --fps, 25ms at 30 fps); see checkpoint camera-test")
}

// check validates the flags and sets the budget's default.
func (c *cameraFlags) check() error {
	if c.fps <= 0 {
		return fmt.Errorf("--fps %v: want a positive rate (the frame budget and the report follow from it)", c.fps)
	}
	if c.width < 0 || c.height < 0 {
		return fmt.Errorf("--width %d --height %d: want sizes of at least 0 (0: the camera's own)", c.width, c.height)
	}
	if !scanner.ValidFourCC(c.pixelFormat) {
		return fmt.Errorf("--pixel-format %q: want a four-character code such as MJPG or YUYV, or - for the camera's own", c.pixelFormat)
	}
	if c.budget < 0 {
		return fmt.Errorf("--frame-budget %v: want a positive duration, or 0 for the default", c.budget)
	}
	if c.budget == 0 {
		c.budget = scanner.BudgetFor(c.fps)
	}
	return nil
}

func (c *cameraFlags) sourceOptions(log *slog.Logger) scanner.SourceOptions {
	return scanner.SourceOptions{Width: c.width, Height: c.height, FPS: c.fps, FourCC: c.pixelFormat, Logger: log}
}

func (c *cameraFlags) decoder() *scanner.Decoder {
	return scanner.NewDecoder(scanner.WithBudget(c.budget))
}

// frameReport is what camera-test measured. Times are in milliseconds.
type frameReport struct {
	Source string `json:"source"`
	Camera bool   `json:"camera"`
	// Width and Height are the frames' size as they came (the first
	// frame's); Mixed says later frames differed.
	Width  int  `json:"width"`
	Height int  `json:"height"`
	Mixed  bool `json:"mixed_sizes,omitempty"`
	// AskedWidth, AskedHeight and AskedFPS are what the camera was asked for.
	AskedWidth  int     `json:"asked_width"`
	AskedHeight int     `json:"asked_height"`
	AskedFPS    float64 `json:"asked_fps"`
	AskedFormat string  `json:"asked_pixel_format"`
	// Agreed is what the camera's driver said it set, when it says.
	Agreed *cameraMode `json:"camera_agreed,omitempty"`
	// Frames were read and decoded, Seconds of wall time from the first
	// frame's arrival to the last one's decode: PerSecond after the first.
	Frames    int     `json:"frames"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"frames_per_second"`
	// Decoding one frame: median, 95th percentile, slowest; BudgetMS is
	// the decoder's frame budget and OverBudget the frames that took
	// longer (a pass that started in time may end after it).
	MedianMS   float64 `json:"decode_median_ms"`
	P95MS      float64 `json:"decode_p95_ms"`
	MaxMS      float64 `json:"decode_max_ms"`
	BudgetMS   float64 `json:"budget_ms"`
	OverBudget int     `json:"over_budget"`
	// WithCode frames held a code; Codes is how many different codes.
	WithCode int `json:"frames_with_code"`
	Codes    int `json:"different_codes"`
	// KeepsUp is the verdict; Advice says what to change when it does not,
	// or what else is amiss.
	KeepsUp bool     `json:"keeps_up"`
	Advice  []string `json:"advice,omitempty"`

	decode []time.Duration
}

// cameraMode is a camera's size, rate and pixel format.
type cameraMode struct {
	Width  int     `json:"width"`
	Height int     `json:"height"`
	FPS    float64 `json:"fps"`
	FourCC string  `json:"pixel_format"`
}

// measureFrames reads src until it ends or ctx does, decoding every frame
// with dec and timing it on now. Frames without a picture (typed lines) are
// not counted. A source that ends early is not an error; one that gave no
// frame at all is.
func measureFrames(ctx context.Context, src scanner.Source, dec *scanner.Decoder, now func() time.Time) (frameReport, error) {
	var r frameReport
	codes := map[string]bool{}
	// The rate is counted from the first frame's arrival: a camera takes
	// a moment to start its stream, which is no part of its rate.
	var first, last time.Time
	var carry scanner.Carry // as the running terminal's scanner carries it
	for {
		f, err := src.Read(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) || (ctx.Err() != nil && errors.Is(err, ctx.Err())) {
				break
			}
			return r, fmt.Errorf("read %s: %w", src, err)
		}
		if f.Mat.Ptr() == nil || f.Mat.Empty() {
			continue
		}
		w, h := f.Mat.Cols(), f.Mat.Rows()
		if r.Frames == 0 {
			first = now()
			r.Width, r.Height = w, h
		} else if w != r.Width || h != r.Height {
			r.Mixed = true
		}
		t0 := now()
		if f.Cut {
			carry.Reset()
		}
		found, err := dec.DecodeFrame(f.Mat, &carry)
		took := now().Sub(t0)
		if err != nil && !errors.Is(err, scanner.ErrNoCode) && !errors.Is(err, scanner.ErrBudget) {
			return r, fmt.Errorf("decode frame %d of %s: %w", f.Index, src, err)
		}
		r.Frames++
		last = now()
		r.decode = append(r.decode, took)
		if len(found) > 0 {
			r.WithCode++
		}
		for _, c := range found {
			codes[c.Text] = true
		}
	}
	if r.Frames == 0 {
		if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return r, err
		}
		return r, fmt.Errorf("%s gave no frame", src)
	}
	r.Seconds = last.Sub(first).Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Frames-1) / r.Seconds
	}
	r.Codes = len(codes)
	s := slices.Clone(r.decode)
	slices.Sort(s)
	r.MedianMS = ms(s[len(s)/2])
	r.P95MS = ms(s[min(len(s)-1, int(math.Ceil(0.95*float64(len(s))))-1)])
	r.MaxMS = ms(s[len(s)-1])
	return r, nil
}

// judge sets the verdict: the decoder keeps up when 95 % of frames decode
// within the time between two frames at the asked rate, and, for a camera,
// when the camera gives what it was asked.
func (r *frameReport) judge() {
	interval := 1000 / r.AskedFPS
	r.KeepsUp = r.P95MS <= interval
	for _, c := range r.decode {
		if ms(c) > r.BudgetMS {
			r.OverBudget++
		}
	}
	if !r.KeepsUp {
		r.Advice = append(r.Advice, fmt.Sprintf("decoding takes longer than the %.0f ms between frames: lower --frame-budget, or ask the camera for fewer pixels (--width/--height)", interval))
	}
	if r.Camera {
		if r.Width != r.AskedWidth || r.Height != r.AskedHeight {
			r.Advice = append(r.Advice, fmt.Sprintf("the camera gives %d×%d, not the %d×%d asked: it may not offer that size (v4l2-ctl --list-formats-ext lists what it does)", r.Width, r.Height, r.AskedWidth, r.AskedHeight))
		}
		if a := r.Agreed; a != nil && r.AskedFormat != "-" && a.FourCC != "" && !strings.EqualFold(a.FourCC, r.AskedFormat) {
			r.Advice = append(r.Advice, fmt.Sprintf("the camera gives %s, not the %s asked: at 1280×720 most USB 2 cameras manage 30 frames a second only as MJPG", a.FourCC, r.AskedFormat))
		}
		if r.Seconds >= 2 && r.PerSecond < 0.8*r.AskedFPS {
			r.KeepsUp = false
			r.Advice = append(r.Advice, fmt.Sprintf("%.1f frames a second came, %.0f were asked: in dim light many USB cameras lengthen their exposure and halve their rate; more light on the phone, or a camera with fixed exposure, helps", r.PerSecond, r.AskedFPS))
		}
	}
	if r.Mixed {
		r.Advice = append(r.Advice, "the frames changed size during the test")
	}
}

// text is the report for a person.
func (r *frameReport) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source       %s\n", r.Source)
	fmt.Fprintf(&b, "frames       %d of %d×%d", r.Frames, r.Width, r.Height)
	if r.Frames > 1 {
		fmt.Fprintf(&b, " in %.1f s: %.1f a second", r.Seconds, r.PerSecond)
	}
	if r.Camera {
		fmt.Fprintf(&b, " (asked: %d×%d %s at %g)", r.AskedWidth, r.AskedHeight, r.AskedFormat, r.AskedFPS)
	}
	b.WriteString("\n")
	if a := r.Agreed; a != nil {
		fmt.Fprintf(&b, "camera       agreed to %d×%d %s at %g frames a second\n", a.Width, a.Height, a.FourCC, a.FPS)
	}
	fmt.Fprintf(&b, "decoding     median %.1f ms, 95 %% within %.1f ms, slowest %.1f ms; frame budget %.0f ms (%s over)\n",
		r.MedianMS, r.P95MS, r.MaxMS, r.BudgetMS, countOf(r.OverBudget, "frame", "frames"))
	fmt.Fprintf(&b, "codes        found in %d of %d frames; different codes: %d\n", r.WithCode, r.Frames, r.Codes)
	verdict := "yes"
	if !r.KeepsUp {
		verdict = "no"
	}
	fmt.Fprintf(&b, "keeps up     %s: 95 %% of frames decode within %.0f %% of the %.0f ms between frames at %g a second\n",
		verdict, 100*r.P95MS/(1000/r.AskedFPS), 1000/r.AskedFPS, r.AskedFPS)
	for _, a := range r.Advice {
		fmt.Fprintf(&b, "note         %s\n", a)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner"
	"yanma/store"
	"yanma/verify"
)

// runConfig is `checkpoint run`'s configuration, validated once.
type runConfig struct {
	source      string
	site        verify.Site
	display     string
	temps       string
	acceptStale bool
	offline     bool
	width       int
	height      int
	fps         float64
	preview     bool
	hold        time.Duration
}

func parseRunFlags(e *env, args []string) (runConfig, error) {
	var c runConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.source, "source", getenv("YANMA_SOURCE", "camera:0"), "camera:N, camera:/dev/videoN, file:PATH, images:DIR or stdin")
	site := fs.String("site", getenv("YANMA_SITE", "road"), "road, community, mall, transit or enterprise")
	fs.StringVar(&c.display, "ui", "plain", "plain or json")
	fs.StringVar(&c.temps, "temps", "", "scripted temperatures, comma-separated, used in order instead of the keypad (demos, tests)")
	fs.BoolVar(&c.acceptStale, "accept-stale", false, "let codes pass with a warning when the data is older than the policy allows")
	fs.BoolVar(&c.offline, "offline", false, "do not sync (no upstream)")
	fs.IntVar(&c.width, "width", 1280, "camera frame width")
	fs.IntVar(&c.height, "height", 720, "camera frame height")
	fs.Float64Var(&c.fps, "fps", 30, "camera frame rate")
	fs.BoolVar(&c.preview, "preview", false, "show the camera feed in a window, framed in the verdict's colour")
	fs.DurationVar(&c.hold, "hold", 5*time.Second, "how long a verdict stays on screen")
	if err := fs.Parse(args); err != nil {
		return c, exitError{2}
	}
	if fs.NArg() != 0 {
		return c, fmt.Errorf("run: unexpected arguments %q", fs.Args())
	}
	var err error
	if c.site, err = parseSite(*site); err != nil {
		return c, err
	}
	switch c.display {
	case "plain", "json":
	default:
		return c, fmt.Errorf("--ui %q: want plain or json", c.display)
	}
	return c, nil
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	cfg, err := parseRunFlags(e, args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	db, err := e.openDB()
	if err != nil {
		return err
	}
	defer db.Close()

	var display ui.Display
	switch cfg.display {
	case "json":
		display = newJSONDisplay(e.stdout)
	default:
		display = &plainDisplay{w: e.stdout, lang: e.lang}
	}

	lines := newLineInput(ctx, e.stdin)
	var temps thermometer = keypad{lines}
	if cfg.temps != "" {
		if temps, err = parseScripted(cfg.temps); err != nil {
			return err
		}
	}

	var pv *preview
	if cfg.preview {
		if cfg.source == "stdin" {
			return fmt.Errorf("--preview needs a camera, video or images source")
		}
		pv = newPreview(cfg.hold, e.now)
		display = teeDisplay{display, pv}
		pctx, stopPreview := context.WithCancel(ctx)
		go pv.run(pctx)
		defer pv.wait()
		defer stopPreview()
	}

	var src scanSource
	if cfg.source == "stdin" {
		src = lineScans{lines}
	} else {
		s, err := scanner.OpenSource(cfg.source, scanner.SourceOptions{
			Width: cfg.width, Height: cfg.height, FPS: cfg.fps, Logger: e.log,
		})
		if err != nil {
			return fmt.Errorf("open source %s: %w", cfg.source, err)
		}
		var opt scanner.ScannerOptions
		if pv != nil {
			opt.OnFrame = pv.onFrame
		}
		sc := scanner.NewScanner(s, scanner.NewDecoder(), opt)
		defer sc.Close()
		src = cameraScans{sc}
	}

	t := &terminal{
		verifier: verify.New(db, db, db, verify.WithClock(e.now), verify.WithAcceptStaleData(cfg.acceptStale)),
		rec:      db,
		site:     cfg.site,
		display:  display,
		temps:    temps,
		now:      e.now,
		log:      e.log,
	}
	syncer, err := e.startSync(ctx, db, cfg.offline, display)
	if err != nil {
		return err
	}
	if syncer != nil {
		t.kick = syncer.Kick
	}
	err = t.serve(ctx, src)
	if syncer != nil {
		syncer.flush(context.WithoutCancel(ctx))
	}
	return err
}

// statusOf reads the status line from the store (and the sync loop, when one runs).
func statusOf(db *store.DB, online bool, lastErr error) *ui.Status {
	st := db.SyncStatus()
	s := &ui.Status{Online: online, TrustAsOf: st.TrustAsOf, RevocationsAsOf: st.RevocationsAsOf}
	if n, oldest, err := db.OutboxStats(); err == nil {
		s.OutboxWaiting, s.OutboxOldest = n, oldest
	}
	if lastErr != nil {
		s.LastError = lastErr.Error()
	}
	if !st.ClockMeasured.IsZero() {
		off := st.ClockOffset
		if off < 0 {
			off = -off
		}
		s.ClockWarning = off > 5*time.Minute
	}
	return s
}

package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/export"
	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/cmd/checkpoint/internal/sound"
	"yanma/cmd/checkpoint/internal/thermo"
	"yanma/cmd/checkpoint/internal/tui"
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
	thermometer string
	baud        int
	sound       string
	acceptStale bool
	offline     bool
	cameraFlags
	preview   bool
	hold      time.Duration
	profile   assets.Profile
	retention int
	direction string
}

func parseRunFlags(e *env, args []string) (runConfig, error) {
	var c runConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&c.source, "source", getenv("YANMA_SOURCE", "camera:0"), "camera:N, camera:/dev/videoN, file:PATH, images:DIR, stdin or tty:PATH[@BAUD] (a serial scanner gun)")
	site := fs.String("site", getenv("YANMA_SITE", "road"), "road, community, mall, transit or enterprise")
	fs.StringVar(&c.display, "ui", getenv("YANMA_UI", "plain"), "tui (full screen), plain (a line per person) or json (an object per event)")
	fs.StringVar(&c.temps, "temps", "", "scripted temperatures, comma-separated, used in order instead of the keypad (demos, tests)")
	fs.StringVar(&c.thermometer, "thermometer", getenv("YANMA_THERMOMETER", ""), "serial port of an infrared thermometer (e.g. /dev/ttyUSB0); the keypad still works")
	fs.IntVar(&c.baud, "baud", 9600, "the thermometer's baud rate")
	fs.StringVar(&c.sound, "sound", "auto", "auto (on with --ui tui), on or off")
	fs.BoolVar(&c.acceptStale, "accept-stale", false, "let codes pass with a warning when the data is older than the policy allows")
	fs.BoolVar(&c.offline, "offline", false, "do not sync (no upstream)")
	c.cameraFlags.register(fs)
	fs.BoolVar(&c.preview, "preview", false, "show the camera feed in a window, framed in the verdict's colour")
	fs.DurationVar(&c.hold, "hold", tui.DefaultHoldFor, "how long a verdict stays on screen (default: the site profile's)")
	fs.StringVar(&c.direction, "direction", getenv("YANMA_DIRECTION", ""), "in or out, at gates that record both ways (community)")
	fs.IntVar(&c.retention, "retention-days", store.DefaultRetentionDays, "entries older than this are deleted")
	if err := fs.Parse(args); err != nil {
		return c, exitError{2}
	}
	holdSet := false
	fs.Visit(func(f *flag.Flag) { holdSet = holdSet || f.Name == "hold" })
	if fs.NArg() != 0 {
		return c, fmt.Errorf("run: unexpected arguments %q", fs.Args())
	}
	var err error
	if c.site, err = parseSite(*site); err != nil {
		return c, err
	}
	cfg, err := assets.DefaultConfig()
	if err != nil {
		return c, fmt.Errorf("default configuration: %w", err)
	}
	if c.profile, err = cfg.Profile(string(c.site)); err != nil {
		return c, err
	}
	if c.direction != "" && !slices.Contains(c.profile.Directions, c.direction) {
		if len(c.profile.Directions) == 0 {
			return c, fmt.Errorf("--direction %q: a %s site records no direction; leave it out", c.direction, c.site)
		}
		return c, fmt.Errorf("--direction %q: a %s site records %s", c.direction, c.site, strings.Join(c.profile.Directions, " or "))
	}
	if c.direction == "" && len(c.profile.Directions) > 0 {
		c.direction = c.profile.Directions[0] // one lane per kiosk; the first is the way in
	}
	if !holdSet && c.profile.HoldFor > 0 {
		c.hold = time.Duration(c.profile.HoldFor)
	}
	if c.hold <= 0 {
		return c, fmt.Errorf("--hold %v: want a positive duration", c.hold)
	}
	if c.retention < 1 {
		return c, fmt.Errorf("--retention-days %d: want at least 1", c.retention)
	}
	switch c.display {
	case "tui", "plain", "json":
	default:
		return c, fmt.Errorf("--ui %q: want tui, plain or json", c.display)
	}
	switch c.sound {
	case "auto", "on", "off":
	default:
		return c, fmt.Errorf("--sound %q: want auto, on or off", c.sound)
	}
	if err := c.cameraFlags.check(); err != nil {
		return c, err
	}
	if c.preview && (c.source == "stdin" || strings.HasPrefix(c.source, "tty:")) {
		return c, fmt.Errorf("--preview needs a camera, video or images source")
	}
	if c.temps != "" && c.thermometer != "" {
		return c, fmt.Errorf("--temps and --thermometer exclude each other")
	}
	return c, nil
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	cfg, err := parseRunFlags(e, args)
	if err != nil {
		return err
	}
	db, err := e.openDB()
	if err != nil {
		return err
	}
	// Deferred in this order so that, on the way out, ctx is cancelled
	// first, then every goroutine of the run has ended, then the file closes:
	// nothing writes to the store or the streams after run returns.
	defer db.Close()
	var wg gosync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// While this run holds the file, status and export reach it through
	// its control socket (control.go); it goes with ctx, before the file
	// closes. A kiosk that cannot serve the socket still scans.
	if ctl, err := e.listenControl(ctx, db); err != nil {
		e.log.Error("control socket not served: status and export cannot reach this run", "err", err)
	} else {
		wg.Go(func() { ctl.serve(ctx) })
	}
	// Expired entries go, and the file is compacted if it needs it, before
	// the first person; then daily, without compaction, while serving.
	e.maintain(ctx, db, cfg.retention, false)
	wg.Go(func() {
		tick := time.NewTicker(24 * time.Hour)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				e.maintain(ctx, db, cfg.retention, true)
			}
		}
	})

	soundOn := cfg.sound == "on" || (cfg.sound == "auto" && cfg.display == "tui")
	player := sound.New(sound.Options{Lang: e.lang, Off: !soundOn, Logger: e.log})
	wg.Go(func() { player.Run(ctx) })

	// The officer's keyboard: read from stdin, or collected by the TUI.
	var lines *lineInput
	var display ui.Display
	var screen *tui.TUI
	switch cfg.display {
	case "tui":
		ch := make(chan string)
		screen = tui.New(tui.Options{
			Lang: e.lang, Site: cfg.site, Lines: ch, Input: e.stdin, Output: e.stdout,
			HoldFor: cfg.hold, Sound: player, Counters: todaysCounters(db, e.now()), Now: e.now,
			HideID: !cfg.profile.ShowID, Thermometer: cfg.thermometer != "",
		})
		display, lines = screen, fromChannel(ch)
	case "json":
		display, lines = teeDisplay{newJSONDisplay(e.stdout), player}, newLineInput(ctx, e.stdin, e.log)
	default:
		display, lines = teeDisplay{&plainDisplay{w: e.stdout, lang: e.lang}, player}, newLineInput(ctx, e.stdin, e.log)
	}

	// poke refreshes the status line at once (sync.go, reportStatus).
	poke := make(chan struct{}, 1)
	kick := func() {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	lost := &lostDevice{}

	var temps thermometer = keypad{lines}
	switch {
	case cfg.temps != "":
		if temps, err = parseScripted(cfg.temps); err != nil {
			return err
		}
	case cfg.thermometer != "":
		// Like the camera and the scanner gun, a thermometer that is not
		// there (yet: USB enumerates after the kiosk starts at boot) or
		// is unplugged is waited for; the keypad answers meanwhile. A
		// path that is no serial device is refused now.
		th, err := thermo.Open(ctx, cfg.thermometer, cfg.baud, thermo.WithLogger(e.log),
			thermo.WithReconnect(2*time.Second, func(away bool, _ error) {
				lost.setThermometer(away)
				kick()
			}))
		if err != nil {
			return err // names the thermometer and its path
		}
		defer th.Close()
		temps = thermo.First(th, keypad{lines})
	}

	var pv *preview
	if cfg.preview {
		pv = newPreview(cfg.hold, e.now)
		display = teeDisplay{display, pv}
		pctx, stopPreview := context.WithCancel(ctx)
		wg.Go(func() { pv.run(pctx) })
		defer stopPreview()
	}

	srcOpt := cfg.sourceOptions(e.log)
	srcOpt.OnDevice = func(ev scanner.DeviceEvent) {
		lost.set(ev)
		kick()
	}

	var src scanSource
	if cfg.source == "stdin" {
		src = lineScans{lines}
	} else {
		var opt scanner.ScannerOptions
		if pv != nil {
			opt.OnFrame = pv.onFrame
		}
		open := func() (*scanner.Scanner, error) {
			s, err := scanner.OpenSource(cfg.source, srcOpt)
			if err != nil {
				return nil, err // names the source
			}
			return scanner.NewScanner(s, cfg.decoder(), opt), nil
		}
		if gun := strings.HasPrefix(cfg.source, "tty:"); gun || strings.HasPrefix(cfg.source, "camera:") {
			dev := &waitingDevice{open: open, gun: gun, display: display, now: e.now, log: e.log, every: 2 * time.Second, lang: e.lang}
			defer dev.Close()
			src = dev
		} else {
			sc, err := open() // a missing or unreadable file is the user's mistake: say so now
			if err != nil {
				return err
			}
			defer sc.Close()
			src = cameraScans{sc}
		}
	}

	t := &terminal{
		verifier:   verify.New(db, db, db, verify.WithClock(e.now), verify.WithAcceptStaleData(cfg.acceptStale)),
		rec:        db,
		site:       cfg.site,
		direction:  cfg.direction,
		attendance: &attendance{entries: db, profile: cfg.profile, lang: e.lang},
		display:    display,
		temps:      temps,
		now:        e.now,
		log:        e.log,
	}
	syncer, err := e.startSync(ctx, &wg, db, cfg.offline)
	if err != nil {
		return err
	}
	t.recorded = func(reported bool) {
		if reported && syncer != nil {
			syncer.Kick()
		}
		kick()
	}
	wg.Go(func() { reportStatus(ctx, e, db, syncer, display, poke, lost.mark) })

	if screen == nil {
		err = t.serve(ctx, src)
	} else {
		// The screen stays up until the officer quits, even after a
		// finite source ends; quitting ends the scan loop.
		served := make(chan error, 1)
		go func() {
			err := t.serve(ctx, src)
			if err != nil {
				// The screen stays up; the officer must see that scanning stopped.
				display.Show(ui.Event{Kind: ui.KindError, Time: e.now(), Message: "scanning stopped: " + err.Error()})
			}
			served <- err
		}()
		err = screen.Run(ctx)
		cancel()
		if serr := <-served; err == nil {
			err = serr
		}
	}
	if syncer != nil {
		syncer.flush(context.WithoutCancel(ctx))
	}
	return err
}

// lostDevice is what is away: the scanning device (ui.Status.SourceLost),
// as the source's OnDevice events tell it, and the thermometer
// (ui.Status.ThermometerLost).
type lostDevice struct {
	mu     gosync.Mutex
	what   string
	thermo bool
}

func (l *lostDevice) setThermometer(away bool) {
	l.mu.Lock()
	l.thermo = away
	l.mu.Unlock()
}

func (l *lostDevice) set(ev scanner.DeviceEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !ev.Lost:
		l.what = ""
	case strings.HasPrefix(ev.Source, "tty:"):
		l.what = ui.LostScannerGun
	default:
		l.what = ui.LostCamera
	}
}

// mark puts what is away on st.
func (l *lostDevice) mark(st *ui.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st.SourceLost, st.ThermometerLost = l.what, l.thermo
}

// maintain purges expired entries (and compacts unless told not to),
// logging what it did; a failure is logged, not fatal: the checkpoint goes on.
func (e *env) maintain(ctx context.Context, db *store.DB, days int, noCompact bool) {
	res, err := db.Maintain(ctx, e.now(), store.MaintainConfig{RetentionDays: days, NoCompact: noCompact})
	if err != nil {
		e.log.Error("maintenance failed", "err", err)
		return
	}
	if res.Purged > 0 || res.Compacted {
		e.log.Info("maintenance", "purged", res.Purged, "compacted", res.Compacted, "file_bytes", res.FileBytes, "after_bytes", res.AfterBytes)
	}
}

// todaysCounters seeds the shift counters after a restart, classifying
// each entry as the screen does.
func todaysCounters(db *store.DB, now time.Time) tui.Counters {
	var c tui.Counters
	y, m, d := now.Date()
	entries, err := db.Entries(time.Date(y, m, d, 0, 0, 0, 0, now.Location()), now.Add(time.Second))
	if err != nil {
		return c
	}
	for _, e := range entries {
		switch export.Outcome(e) {
		case i18n.Pass:
			c.Passed++
		case i18n.Fever:
			c.Fevers++
		case i18n.Yellow:
			c.Yellow++
		case i18n.Red:
			c.Red++
		case i18n.Gray:
			c.Gray++
		case i18n.Invalid, i18n.Stale:
			c.Invalid++
		}
	}
	return c
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

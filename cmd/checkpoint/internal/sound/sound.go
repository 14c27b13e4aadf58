// Package sound makes the checkpoint heard in a noisy queue: a distinct
// tone and a short spoken prompt for each verdict, played by a separate
// goroutine so the scan loop never waits for a loudspeaker.
//
// A Player is a ui.Display: wire it beside the screen (the TUI takes it as
// its Sound option) and it plays the clip of each event. While a clip plays,
// one more waits; a newer event replaces the waiting one, so the speaker
// always catches up with the queue instead of lagging behind it.
package sound

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	gosync "sync"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/i18n"
	"yanma/cmd/checkpoint/internal/ui"
)

// Cue names a clip in assets.
type Cue string

// Cues.
const (
	CueNone      Cue = ""
	CuePass      Cue = "pass"
	CueFever     Cue = "fever"
	CueYellow    Cue = "yellow"
	CueRed       Cue = "red"
	CueGray      Cue = "gray"
	CueInvalid   Cue = "invalid"
	CueStale     Cue = "stale"
	CueRemeasure Cue = "remeasure"
	CueMeasure   Cue = "measure"
)

// CueFor is the clip of an event, CueNone for events that make no sound.
func CueFor(ev ui.Event) Cue {
	switch ev.Kind {
	case ui.KindVerified:
		if ev.Decision.NeedTemperature {
			return CueMeasure
		}
	case ui.KindTemperatureRejected:
		return CueRemeasure
	case ui.KindDecided:
		switch i18n.OfEvent(ev) {
		case i18n.Pass:
			return CuePass
		case i18n.Fever:
			return CueFever
		case i18n.Yellow:
			return CueYellow
		case i18n.Red:
			return CueRed
		case i18n.Gray:
			return CueGray
		case i18n.Stale:
			return CueStale
		default:
			return CueInvalid
		}
	}
	return CueNone
}

// DefaultCommand plays a WAV from standard input through ALSA.
var DefaultCommand = []string{"aplay", "-q", "-"}

// Options configure a Player.
type Options struct {
	// Lang of the spoken prompts: "zh" (default) or "en".
	Lang string
	// Off silences the player (the --sound=false switch): Show does nothing.
	Off bool
	// Command plays one WAV given on its standard input (default
	// DefaultCommand). Tests and kiosks with another sound system set it,
	// e.g. {"aplay", "-q", "-D", "plughw:1,0", "-"}.
	Command []string
	Logger  *slog.Logger
}

// Player plays cues one at a time.
type Player struct {
	lang    string
	off     bool
	command []string
	log     *slog.Logger
	// waiting holds at most the one clip to play next.
	waiting chan Cue
	// play plays one clip until it ends or ctx ends; the edge to the
	// loudspeaker.
	play func(ctx context.Context, wav []byte) error

	failOnce gosync.Once
}

// New makes a Player; Run plays.
func New(opts Options) *Player {
	p := &Player{lang: opts.Lang, off: opts.Off, command: opts.Command, log: opts.Logger, waiting: make(chan Cue, 1)}
	if p.lang != "en" {
		p.lang = "zh"
	}
	if len(p.command) == 0 {
		p.command = DefaultCommand
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.play = p.exec
	return p
}

// Show implements ui.Display: it queues the event's clip and returns at once.
func (p *Player) Show(ev ui.Event) { p.Play(CueFor(ev)) }

// Play queues a cue without ever blocking: if a clip already waits, the
// newer one takes its place.
func (p *Player) Play(c Cue) {
	if p.off || c == CueNone {
		return
	}
	for {
		select {
		case p.waiting <- c:
			return
		default:
		}
		select {
		case <-p.waiting: // drop the stale one
		default:
		}
	}
}

// Run plays queued clips until ctx ends. With no player program installed it
// logs once and discards clips, so the checkpoint works on a silent kiosk.
func (p *Player) Run(ctx context.Context) error {
	if !p.off {
		if _, err := exec.LookPath(p.command[0]); err != nil {
			p.log.Warn("sound player not found, staying silent", "player", p.command[0])
			p.play = func(context.Context, []byte) error { return nil }
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-p.waiting:
			wav, err := assets.Sound(p.lang, string(c))
			if err != nil {
				p.log.Error("sound clip missing", "cue", string(c), "err", err)
				continue
			}
			if err := p.play(ctx, wav); err != nil && ctx.Err() == nil {
				// A kiosk without a sound card fails every clip: say so once.
				p.failOnce.Do(func() { p.log.Warn("sound player failed", "player", p.command[0], "err", err) })
			}
		}
	}
}

func (p *Player) exec(ctx context.Context, wav []byte) error {
	cmd := exec.CommandContext(ctx, p.command[0], p.command[1:]...)
	cmd.Stdin = bytes.NewReader(wav)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", p.command[0], err, firstLine(stderr.String()))
	}
	return nil
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Compile-time check: a Player is a display.
var _ ui.Display = (*Player)(nil)

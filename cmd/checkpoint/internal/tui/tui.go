// Package tui is the checkpoint's full-screen display for an officer with a
// queue in front of them: one large verdict banner in colour, symbol and
// words, the masked name and ID to compare with the person, the temperature
// prompt, the shift's counters and the terminal's health on one status line.
//
// It is a ui.Display: the scan loop calls Show from its own goroutine and
// never waits for the screen. What the officer types (a QR text from a
// keyboard-wedge scanner gun, or a temperature on the numeric keypad) goes
// back to the scan loop as whole lines on Options.Lines.
//
// Keys: digits, '.' and Enter enter a temperature; Esc clears it to
// re-measure (or dismisses a verdict); Space holds a verdict on screen; Enter
// or F confirms a fever, which otherwise stays; Ctrl+C quits.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/verify"
)

// Player plays the sound of an event. *sound.Player satisfies it; Show must
// not block.
type Player interface {
	Show(ui.Event)
}

// Counters are the shift's tallies on screen.
type Counters struct {
	Passed  int `json:"passed"`
	Yellow  int `json:"yellow"`
	Red     int `json:"red"`
	Gray    int `json:"gray"`
	Fevers  int `json:"fevers"`
	Invalid int `json:"invalid"` // not authentic, expired, revoked, unreadable, or unverifiable (stale data)
}

// DefaultHoldFor is how long a verdict stays on screen: long enough to act
// on, short enough for the queue (field notes: about 5 s).
const DefaultHoldFor = 5 * time.Second

// Options configure the display.
type Options struct {
	// Lang is "zh" (default) or "en".
	Lang string
	// Site is the kind of checkpoint, shown in the title.
	Site verify.Site
	// Lines receives every line the officer enters. Run closes it when it
	// returns, so a scan loop reading it sees the input end.
	Lines chan<- string
	// Input and Output are the terminal (default os.Stdin and os.Stdout).
	Input  io.Reader
	Output io.Writer
	// HoldFor is how long a verdict stays before the screen clears
	// (default DefaultHoldFor). A fever stays until confirmed.
	HoldFor time.Duration
	// HideID shows the masked name without the masked ID, for sites that
	// do not compare IDs (the profile's show_id).
	HideID bool
	// Thermometer says a serial thermometer is connected: the prompt asks
	// to measure with it (typing still works).
	Thermometer bool
	// Sound plays each event's sound; nil is silent.
	Sound Player
	// Counters seeds the shift's counters, e.g. from today's entries after
	// a restart.
	Counters Counters
	// Now is the clock for the status line's ages (default time.Now).
	Now func() time.Time
}

// TUI is the full-screen display.
type TUI struct {
	prog   *tea.Program
	lines  chan<- string
	queue  chan string
	events chan ui.Event
	sound  Player
	cancel context.CancelFunc
	ctx    context.Context
}

// queueLen bounds the lines typed ahead of a busy scan loop; a scanner gun
// cannot outrun it in practice, and a full queue is shown, not blocked on.
const queueLen = 64

// New makes the display; Run starts it.
func New(opts Options) *TUI {
	if opts.HoldFor <= 0 {
		opts.HoldFor = DefaultHoldFor
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lang != "en" {
		opts.Lang = "zh"
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &TUI{lines: opts.Lines, queue: make(chan string, queueLen), events: make(chan ui.Event, eventsLen), sound: opts.Sound, cancel: cancel, ctx: ctx}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	m := newModel(opts, lipgloss.NewRenderer(out), t.submit)
	popts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx), tea.WithoutSignalHandler()}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	t.prog = tea.NewProgram(m, popts...)
	go t.pump()
	return t
}

// eventsLen bounds the events waiting for the screen, e.g. before Run has
// started; far more than one person and a status line produce.
const eventsLen = 256

// pump hands events to the screen's event loop in order, so Show never
// waits for it.
func (t *TUI) pump() {
	for {
		select {
		case <-t.ctx.Done():
			return
		case ev := <-t.events:
			t.prog.Send(eventMsg(ev))
		}
	}
}

// Show implements ui.Display. It is safe from any goroutine and does not
// wait for the screen: events queue (in order) until the screen takes them,
// also before Run starts. After Run has ended they are dropped.
func (t *TUI) Show(ev ui.Event) {
	if t.sound != nil {
		t.sound.Show(ev)
	}
	select {
	case t.events <- ev:
	case <-t.ctx.Done():
	}
}

// submit hands a line to the forwarder without blocking the event loop.
func (t *TUI) submit(line string) bool {
	select {
	case t.queue <- line:
		return true
	default:
		return false
	}
}

// Run shows the screen until the officer quits (Ctrl+C) or ctx ends; both
// return nil. It restores the terminal and closes Options.Lines.
func (t *TUI) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, t.cancel)
	defer stop()
	defer t.cancel()

	fwdDone := make(chan struct{})
	go func() {
		defer close(fwdDone)
		t.forward()
	}()
	_, err := t.prog.Run()
	t.cancel()
	<-fwdDone
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// forward passes queued lines to the scan loop in order, for as long as the
// screen runs, and then closes Lines.
func (t *TUI) forward() {
	if t.lines == nil {
		<-t.ctx.Done()
		return
	}
	defer close(t.lines)
	for {
		select {
		case <-t.ctx.Done():
			return
		case line := <-t.queue:
			select {
			case t.lines <- line:
			case <-t.ctx.Done():
				return
			}
		}
	}
}

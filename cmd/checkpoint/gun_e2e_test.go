package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner/serial"
	"yanma/verify"
)

// lockedBuffer is a bytes.Buffer a running command writes while the test
// reads it.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) events(t *testing.T) []ui.Event {
	t.Helper()
	l.mu.Lock()
	out := l.b.String()
	l.mu.Unlock()
	var evs []ui.Event
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		var ev ui.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("--ui json printed a line that is not JSON: %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitFor polls the events until cond holds (bounded, not a measurement).
func (l *lockedBuffer) waitFor(t *testing.T, what string, cond func([]ui.Event) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond(l.events(t)) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in:\n%s", what, l.b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestScannerGunUnplugged: the whole terminal with a serial scanner gun
// (a real pseudo-terminal behind a /dev/serial/by-id-like symlink) reads a
// code, says on its status line that the gun is gone when it is unplugged,
// says it is back when it is plugged in again, and reads the next code:
// scanning does not stop for a kicked cable.
func TestScannerGunUnplugged(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	first := issue(t, up, "gun-1", verify.Green)
	second := issue(t, up, "gun-2", verify.Green)

	link := filepath.Join(t.TempDir(), "usb-scanner-gun")
	plug := func() *os.File {
		master, slave, err := serial.OpenPTY()
		if err != nil {
			t.Fatalf("pseudo-terminal: %v", err)
		}
		t.Cleanup(func() { master.Close() })
		if err := os.Symlink(slave, link); err != nil {
			t.Fatal(err)
		}
		return master
	}
	gun := plug()

	stdin, keypad := io.Pipe()
	defer keypad.Close()
	out := &lockedBuffer{}
	var stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--data", term.dataDir, "--upstream", term.url, "--lang", "en", "--log-level", "warn",
			"run", "--offline", "--ui", "json", "--site", "transit", "--source", "tty:" + link}, stdin, out, &stderr)
	}()

	decidedN := func(n int) func([]ui.Event) bool {
		return func(evs []ui.Event) bool {
			k := 0
			for _, ev := range evs {
				if ev.Kind == ui.KindDecided && ev.Decision.Verdict == verify.VerdictPass {
					k++
				}
			}
			return k >= n
		}
	}
	if _, err := gun.WriteString(first + "\r"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "first verdict", decidedN(1))

	gun.Close() // the cable kicked out
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	lostAt := 0
	out.waitFor(t, "status saying the gun is lost", func(evs []ui.Event) bool {
		for i, ev := range evs {
			if ev.Kind == ui.KindStatus && ev.Status != nil && ev.Status.SourceLost == ui.LostScannerGun {
				lostAt = i
				return true
			}
		}
		return false
	})

	gun = plug() // plugged back in
	out.waitFor(t, "status saying the gun is back", func(evs []ui.Event) bool {
		for _, ev := range evs[lostAt+1:] {
			if ev.Kind == ui.KindStatus && ev.Status != nil && ev.Status.SourceLost == "" {
				return true
			}
		}
		return false
	})
	if _, err := gun.WriteString(second + "\r\n"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "second verdict", decidedN(2))

	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v\n%s", err, stderr.b.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not end when cancelled")
	}
	if n := len(decided(t, out.b.String())); n != 2 {
		t.Errorf("%d verdicts, want 2", n)
	}
}

// TestPreviewNeedsFrames: a scanner gun, on stdin or a serial port, has no
// picture for the preview window; asking for one is refused up front.
func TestPreviewNeedsFrames(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	for _, src := range []string{"stdin", "tty:/dev/ttyACM0"} {
		if _, err := parseRunFlags(e, []string{"--source", src, "--preview"}); err == nil || !strings.Contains(err.Error(), "--preview") {
			t.Errorf("--source %s --preview: %v, want a refusal", src, err)
		}
	}
	if _, err := parseRunFlags(e, []string{"--source", "camera:0", "--preview"}); err != nil {
		t.Errorf("--source camera:0 --preview: %v", err)
	}
}

// TestThermometerPluggedLate: a kiosk whose serial thermometer is not there
// when it starts (USB enumerated late at boot) runs anyway, says so on its
// status line, and takes the thermometer's reading once it is plugged in.
func TestThermometerPluggedLate(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "thermo-1", verify.Green)
	link := filepath.Join(t.TempDir(), "usb-thermometer")
	k := startKiosk(t, term, "--thermometer", link)
	out := k.out
	statusSays := func(lost bool) func([]ui.Event) bool {
		return func(evs []ui.Event) bool {
			for i := len(evs) - 1; i >= 0; i-- {
				if evs[i].Kind == ui.KindStatus && evs[i].Status != nil {
					return evs[i].Status.ThermometerLost == lost
				}
			}
			return false
		}
	}
	out.waitFor(t, "status saying the thermometer is away", statusSays(true))
	if _, err := io.WriteString(k.keyboard, green+"\n"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "a temperature asked for", func(evs []ui.Event) bool {
		for _, ev := range evs {
			if ev.Kind == ui.KindVerified && ev.Decision.NeedTemperature {
				return true
			}
		}
		return false
	})

	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := os.Symlink(slave, link); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "status saying the thermometer is back", statusSays(false))
	if _, err := master.WriteString("36.4\r\n"); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, "the verdict with the thermometer's reading", func(evs []ui.Event) bool {
		for _, ev := range evs {
			if ev.Kind == ui.KindDecided && ev.Decision.TemperatureC == 36.4 && ev.Decision.Verdict == verify.VerdictPass {
				return true
			}
		}
		return false
	})
	if err := k.stop(); err != nil {
		t.Fatal(err)
	}
}

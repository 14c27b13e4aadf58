// Package tmuxtest drives a terminal program the way an officer would: it
// runs the program in a detached tmux session of a fixed size, types into it
// with send-keys and reads the screen with capture-pane. Tests of the
// full-screen display and end-to-end tests of `checkpoint run --ui tui` share
// it.
//
// Each Session has its own tmux server (its own socket), so tests run in
// parallel and never touch a tmux the developer has open.
package tmuxtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ErrNoTmux is returned by Available when tmux is not installed.
var ErrNoTmux = errors.New("tmux not installed")

// DefaultTimeout is how long WaitFor polls the screen before failing the test.
// Generous on purpose: it bounds a hang, it does not measure speed.
const DefaultTimeout = 20 * time.Second

// Available reports whether tmux can be run.
func Available() error {
	if _, err := exec.LookPath("tmux"); err != nil {
		return fmt.Errorf("%w: %w", ErrNoTmux, err)
	}
	return nil
}

// Require skips the test when tmux is missing, except under CI (CI=true),
// where a missing tmux is an installation bug and fails the test.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmuxtest: %v (scripts/deps.sh test installs it)", err)
		}
		t.Skipf("tmuxtest: %v", err)
	}
}

// Session is one program running in a tmux pane.
type Session struct {
	t       testing.TB
	socket  string
	Timeout time.Duration
}

// Start runs argv (with env added, "KEY=value") in a new detached tmux
// session of width×height cells and stops it when the test ends. The pane
// stays after the program exits, so its last screen can still be read.
func Start(t testing.TB, width, height int, env []string, argv ...string) *Session {
	t.Helper()
	Require(t)
	if len(argv) == 0 {
		t.Fatal("tmuxtest: no program to run")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "tmux.conf")
	// remain-on-exit keeps the last screen of a program that quit; a plain
	// default-terminal keeps the test independent of installed terminfo.
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\n"), 0o600); err != nil {
		t.Fatalf("tmuxtest: %v", err)
	}
	s := &Session{t: t, socket: filepath.Join(dir, "tmux.sock"), Timeout: DefaultTimeout}
	args := []string{"-f", conf, "new-session", "-d", "-s", "main",
		"-x", strconv.Itoa(width), "-y", strconv.Itoa(height), "--", "env", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TERM=screen-256color"}
	args = append(args, env...)
	args = append(args, argv...)
	if out, err := s.tmux(args...); err != nil {
		t.Fatalf("tmuxtest: start: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = s.tmux("kill-server") })
	return s
}

func (s *Session) tmux(args ...string) ([]byte, error) {
	// -u: the pane speaks UTF-8 even without an attached client.
	cmd := exec.Command("tmux", append([]string{"-u", "-S", s.socket}, args...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	return cmd.CombinedOutput()
}

// Keys presses tmux keys by name: "Enter", "Escape", "Space", "BSpace",
// "C-c", "F1", or single characters.
func (s *Session) Keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", "main"}, keys...)...); err != nil {
		s.t.Fatalf("tmuxtest: send-keys %q: %v: %s", keys, err, out)
	}
}

// Type types text literally, as a keyboard-wedge scanner gun does (no Enter).
func (s *Session) Type(text string) {
	s.t.Helper()
	if out, err := s.tmux("send-keys", "-t", "main", "-l", "--", text); err != nil {
		s.t.Fatalf("tmuxtest: type: %v: %s", err, out)
	}
}

// Line types text and presses Enter.
func (s *Session) Line(text string) {
	s.t.Helper()
	s.Type(text)
	s.Keys("Enter")
}

// Capture returns the visible screen as text, one line per row, trailing
// blanks removed.
func (s *Session) Capture() string {
	s.t.Helper()
	out, err := s.tmux("capture-pane", "-p", "-t", "main")
	if err != nil {
		s.t.Fatalf("tmuxtest: capture-pane: %v: %s", err, out)
	}
	return string(bytes.TrimRight(out, "\n"))
}

// WaitFor polls the screen until it holds every one of want, and returns
// it; it fails the test with the last screen after Timeout.
func (s *Session) WaitFor(want ...string) string {
	s.t.Helper()
	return s.WaitUntil(fmt.Sprintf("screen holding %q", want), func(screen string) bool {
		for _, w := range want {
			if !strings.Contains(screen, w) {
				return false
			}
		}
		return true
	})
}

// WaitGone polls until the screen holds none of gone.
func (s *Session) WaitGone(gone ...string) string {
	s.t.Helper()
	return s.WaitUntil(fmt.Sprintf("screen without %q", gone), func(screen string) bool {
		for _, g := range gone {
			if strings.Contains(screen, g) {
				return false
			}
		}
		return true
	})
}

// WaitUntil polls the screen until ok accepts it.
func (s *Session) WaitUntil(what string, ok func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(s.Timeout)
	var screen string
	for {
		screen = s.Capture()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("tmuxtest: no %s within %v; the screen:\n%s", what, s.Timeout, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Dead reports whether the program in the pane has exited.
func (s *Session) Dead() bool {
	s.t.Helper()
	out, err := s.tmux("display-message", "-p", "-t", "main", "#{pane_dead}")
	if err != nil {
		s.t.Fatalf("tmuxtest: display-message: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out)) == "1"
}

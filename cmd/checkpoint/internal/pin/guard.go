package pin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// Guard slows down guessing at the keypad: after FreeTries wrong PINs in a
// row, each further try must wait, twice as long each time (30 s, 1 min,
// 2 min … at most an hour). A right PIN resets it. A six-digit PIN then
// takes years to guess at the kiosk; the hash guards it off the kiosk.
//
// With KeepIn the count lives in a file beside the hash, so that starting
// the program again (every `checkpoint export` is a new process) does not
// start the count again.
type Guard struct {
	hash string
	now  func() time.Time

	mu    gosync.Mutex
	state guardState
	path  string // where the state is kept; "" for memory only
}

// guardState is what a Guard remembers between tries.
type guardState struct {
	Failures  int       `json:"failures"`
	NextTryAt time.Time `json:"next_try_at"`
}

// Guard limits.
const (
	FreeTries = 5
	firstWait = 30 * time.Second
	maxWait   = time.Hour
)

// NewGuard guards the encoded hash; now is the clock (nil: time.Now).
func NewGuard(encoded string, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{hash: encoded, now: now}
}

// KeepIn makes the guard keep its count of wrong PINs in the file path,
// reading what is there now. A missing file is no wrong PIN yet; a file
// that cannot be read as the guard's counts FreeTries wrong PINs (the next
// wrong one waits): whoever could corrupt it could as well delete it, and a
// right PIN still opens at once.
func (g *Guard) KeepIn(path string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.path = path
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		g.state = guardState{}
		return nil
	case err != nil:
		return fmt.Errorf("pin: tries: %w", err)
	}
	var st guardState
	if json.Unmarshal(b, &st) != nil || st.Failures < 0 {
		st = guardState{Failures: FreeTries}
	}
	g.state = st
	return nil
}

// Verify checks pin unless guessing is paused (an error wrapping
// ErrLockedOut that says how long to wait). A wrong PIN is counted before
// Verify returns; when the count cannot be kept, the error says so too.
func (g *Guard) Verify(pin string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if wait := g.state.NextTryAt.Sub(now); wait > 0 {
		return fmt.Errorf("%w %v", ErrLockedOut, wait.Round(time.Second))
	}
	err := Verify(pin, g.hash)
	switch {
	case err == nil:
		if g.state != (guardState{}) {
			g.state = guardState{}
			// A reset that cannot be written only leaves an old count.
			_ = g.save()
		}
	case errors.Is(err, ErrWrongPIN):
		g.state.Failures++
		if g.state.Failures >= FreeTries {
			wait := firstWait << min(g.state.Failures-FreeTries, 7)
			g.state.NextTryAt = now.Add(min(wait, maxWait))
		}
		if serr := g.save(); serr != nil {
			return fmt.Errorf("%w (and the try could not be counted: %v)", err, serr)
		}
	}
	return err
}

// save writes the state to the guard's file.
func (g *Guard) save() error {
	if g.path == "" {
		return nil
	}
	b, err := json.Marshal(g.state)
	if err != nil {
		return err
	}
	if err := writeWhole(g.path, b); err != nil {
		return fmt.Errorf("pin: tries: %w", err)
	}
	return nil
}

// SaveHash writes an encoded hash (from Hash) to path, readable by its
// owner only.
func SaveHash(path, encoded string) error {
	if err := writeWhole(path, []byte(encoded+"\n")); err != nil {
		return fmt.Errorf("pin: save hash: %w", err)
	}
	return nil
}

// writeWhole writes b to path whole or not at all (a temporary file beside
// it, synced, renamed over it), mode 0600: a pulled plug leaves the old
// file or the new one.
func writeWhole(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

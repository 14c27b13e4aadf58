package pin

import (
	"fmt"
	gosync "sync"
	"time"
)

// Guard slows down guessing at the keypad: after FreeTries wrong PINs in a
// row, each further try must wait, twice as long each time (30 s, 1 min,
// 2 min … at most an hour). A right PIN resets it. A six-digit PIN then
// takes years to guess at the kiosk; the hash guards it off the kiosk.
type Guard struct {
	hash string
	now  func() time.Time

	mu        gosync.Mutex
	failures  int
	nextTryAt time.Time
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

// Verify checks pin unless guessing is paused (an error wrapping
// ErrLockedOut that says how long to wait).
func (g *Guard) Verify(pin string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if wait := g.nextTryAt.Sub(now); wait > 0 {
		return fmt.Errorf("%w %v", ErrLockedOut, wait.Round(time.Second))
	}
	err := Verify(pin, g.hash)
	switch {
	case err == nil:
		g.failures, g.nextTryAt = 0, time.Time{}
	case err == ErrWrongPIN:
		g.failures++
		if g.failures >= FreeTries {
			wait := firstWait << min(g.failures-FreeTries, 7)
			g.nextTryAt = now.Add(min(wait, maxWait))
		}
	}
	return err
}

package sync

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Status is what the officer's display shows about sync.
type Status struct {
	// Online: the last attempt to reach the upstream got an answer that
	// let the step succeed.
	Online bool
	// LastError is the last attempt's failure (nil after a success).
	LastError error
	// LastAttempt, LastSuccess: the last sync attempt and the last fully
	// successful one (pull and push).
	LastAttempt time.Time
	LastSuccess time.Time
	// LastPull and LastPush: the last complete, verified pull and the
	// last push that emptied the outbox.
	LastPull time.Time
	LastPush time.Time
	// OutboxWaiting reports not yet acknowledged, the oldest made at
	// OutboxOldest (zero when none wait).
	OutboxWaiting int
	OutboxOldest  time.Time
	// ClockOffset is the upstream's clock minus ours at the last answer.
	ClockOffset time.Duration
	// NextAttempt is when Run tries next (zero when it is not running).
	NextAttempt time.Time
}

// Status returns the current sync status (the outbox figures read now).
func (c *Client) Status() Status {
	c.mu.Lock()
	st := c.status
	st.ClockOffset = c.offset
	c.mu.Unlock()
	if n, oldest, err := c.db.OutboxStats(); err == nil {
		st.OutboxWaiting, st.OutboxOldest = n, oldest
	}
	return st
}

// noteResult records the outcome of a step for Status: pulled and pushed
// say which parts completed (a pull can complete while the push fails).
func (c *Client) noteResult(err error, pulled, pushed bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.LastAttempt = now
	c.status.LastError = err
	// Not online after any failure: a refusal is an answer, but one that
	// leaves the terminal without sync.
	c.status.Online = err == nil
	if pulled {
		c.status.LastPull = now
	}
	if pushed {
		c.status.LastPush = now
	}
	if err == nil && pulled && pushed {
		c.status.LastSuccess = now
	}
}

// SyncOnce pushes the outbox and then pulls (trust list, revocations) once.
// Pushing first means the pull already carries what the reports caused (a
// fever report's revocation), and reports leave before anything else. A
// failed push does not keep the pull from trying, nor the other way round.
// Both errors are returned, joined.
func (c *Client) SyncOnce(ctx context.Context) error {
	c.run.Lock()
	defer c.run.Unlock()
	serr := c.push(ctx)
	if ctx.Err() != nil {
		c.noteResult(ctx.Err(), false, false)
		return ctx.Err()
	}
	perr := c.pull(ctx)
	err := errors.Join(serr, perr)
	c.noteResult(err, perr == nil, serr == nil)
	c.setPushOK(serr == nil)
	return err
}

// Kick asks Run to push at once (a report was just recorded). It never
// blocks; kicks while a sync runs are merged into one.
func (c *Client) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run syncs until ctx ends: at once, then every interval while the upstream
// answers; while it does not, it tries again after an exponential backoff
// with jitter (so ten thousand terminals do not knock at once when it
// comes back), and syncs in full as soon as it answers. A Kick pushes at
// once while pushes get through (even if a pull was refused); otherwise the
// next backoff probe delivers. It returns ctx.Err().
func (c *Client) Run(ctx context.Context) error {
	failures := 0
	for {
		err := c.SyncOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var wait time.Duration
		switch {
		case err == nil:
			failures = 0
			wait = c.interval
		case IsRetryable(err):
			failures++
			wait = c.backoff(failures)
			c.log.Info("sync failed; will retry", "err", err, "in", wait.Round(time.Millisecond))
		default:
			// Not retryable (revoked, not enrolled): the operator must
			// act; keep looking slowly so that the status stays honest.
			failures++
			wait = max(c.interval, c.maxBack)
			c.log.Warn("sync refused; operator action needed", "err", err)
		}
		if !c.waitNext(ctx, wait, c.pushWorks()) {
			return ctx.Err()
		}
	}
}

// setPushOK records whether the last push got through.
func (c *Client) setPushOK(ok bool) {
	c.mu.Lock()
	c.pushOK = ok
	c.mu.Unlock()
}

func (c *Client) pushWorks() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pushOK
}

// waitNext waits for the next attempt; while pushes get through (even if
// the last pull was refused) a kick cuts the wait short with a push of its
// own. It returns false when ctx ended.
func (c *Client) waitNext(ctx context.Context, wait time.Duration, online bool) bool {
	next := c.now().Add(wait)
	c.mu.Lock()
	c.status.NextAttempt = next
	c.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-c.kick:
			if !online {
				continue
			}
			if err := c.Push(ctx); err != nil {
				if ctx.Err() != nil {
					return false
				}
				// The upstream stopped answering: back to probing.
				return true
			}
		}
	}
}

// backoff is the wait after n consecutive failures: jitter over an
// exponentially growing ceiling, min(maxBack, minBack·2^(n-1)).
func (c *Client) backoff(n int) time.Duration {
	ceil := c.minBack
	for i := 1; i < n && ceil < c.maxBack; i++ {
		ceil *= 2
	}
	ceil = min(ceil, c.maxBack)
	// Never below half the ceiling: full jitter would sometimes retry at
	// once, which on a dead link only burns battery and data.
	return ceil/2 + rand.N(ceil/2+1)
}

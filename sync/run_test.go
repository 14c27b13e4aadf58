package sync

import (
	"context"
	"errors"
	"testing"
	"time"

	"yanma/verify"
)

// waitFor polls cond until it holds; the deadline only bounds a broken
// test, it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Run: offline it backs off and keeps the report; when the upstream comes
// back it syncs without being asked; online, a kick pushes at once although
// the schedule says an hour.
func TestRunRecoversAndKicks(t *testing.T) {
	up := newUpstream(t)
	p := newProxy(t, up)
	db, c := enrolled(t, up, p.URL(), WithInterval(time.Hour), WithBackoff(5*time.Millisecond, 40*time.Millisecond))
	is := issue(t, up, "p", verify.Green)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	feverReport(t, db, is, time.Now())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	waitFor(t, "a failed attempt", func() bool { st := c.Status(); return !st.LastAttempt.IsZero() && !st.Online })
	if st := c.Status(); st.OutboxWaiting != 1 || !errors.Is(st.LastError, ErrUnavailable) {
		t.Fatalf("offline status: %+v", st)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the outbox drained once the upstream is back", func() bool { return c.Status().OutboxWaiting == 0 })
	waitFor(t, "online", func() bool { return c.Status().Online })

	is2 := issue(t, up, "q", verify.Green)
	record(t, db, is2, verify.ReportRedSighting, time.Now())
	c.Kick()
	waitFor(t, "the kicked push", func() bool { return c.Status().OutboxWaiting == 0 })
	if n, _ := up.ReportCount(); n != 2 {
		t.Fatalf("reports upstream: %d", n)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	c := NewClient("http://127.0.0.1:1", newTerminal(t), WithBackoff(time.Second, time.Minute))
	tests := []struct {
		name     string
		failures int
		ceil     time.Duration
	}{
		{"first", 1, time.Second},
		{"second", 2, 2 * time.Second},
		{"fifth", 5, 16 * time.Second},
		{"capped", 7, time.Minute},
		{"far", 400, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				if d := c.backoff(tt.failures); d < tt.ceil/2 || d > tt.ceil {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tt.failures, d, tt.ceil/2, tt.ceil)
				}
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	retry := &Error{Op: "a", Retryable: true, Err: ErrUnavailable}
	final := &Error{Op: "b", Err: ErrDeviceRevoked}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("x"), false},
		{"retryable", retry, true},
		{"final", final, false},
		{"wrapped", errors.Join(errors.New("ctx"), retry), true},
		{"joined, one final", errors.Join(retry, final), false},
		{"context", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsRetryable(tt.err); got != tt.want {
				t.Fatalf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

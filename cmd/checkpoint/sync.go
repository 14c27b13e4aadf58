package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	gosync "sync"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/store"
	ysync "yanma/sync"
)

// syncer is the background sync loop of `checkpoint run`.
type syncer struct {
	client *ysync.Client
	db     *store.DB
	e      *env
}

// startSync starts the background sync when an upstream is known and the
// terminal is enrolled. Without one the terminal works offline, which is a
// normal way to run (USB-stick feeding), not an error.
// The loop runs in wg until ctx ends.
func (e *env) startSync(ctx context.Context, wg *gosync.WaitGroup, db *store.DB, offline bool) (*syncer, error) {
	url := e.upstreamURL()
	if offline || url == "" {
		e.log.Info("sync off: working offline", "reason", map[bool]string{true: "--offline", false: "no upstream"}[offline])
		return nil, nil
	}
	if _, _, err := db.Device(); errors.Is(err, store.ErrNotEnrolled) {
		e.log.Warn("sync off: terminal not enrolled; run checkpoint enroll")
		return nil, nil
	}
	c := e.client(url, db)
	s := &syncer{client: c, db: db, e: e}
	wg.Go(func() {
		if err := c.Run(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("sync loop ended", "err", err)
		}
	})
	return s, nil
}

// client is the sync client of this terminal.
func (e *env) client(url string, db *store.DB) *ysync.Client {
	return ysync.NewClient(url, db, ysync.WithLogger(e.log), ysync.WithClock(e.now))
}

// openClient opens the store and a sync client for the upstream.
func (e *env) openClient() (*store.DB, *ysync.Client, error) {
	url := e.upstreamURL()
	if url == "" {
		return nil, nil, errNoUpstream
	}
	db, err := e.openDB()
	if err != nil {
		return nil, nil, err
	}
	return db, e.client(url, db), nil
}

// Kick asks for a push at once (a report was just recorded).
func (s *syncer) Kick() { s.client.Kick() }

// reportStatus keeps the display's status line current: at once, then every
// few seconds (ages move, the outbox drains). s is nil when not syncing.
// A receive on poke (an entry was recorded, a device went or came back)
// refreshes it at once. lost marks the devices that are away on the
// status.
func reportStatus(ctx context.Context, e *env, db *store.DB, s *syncer, display ui.Display, poke <-chan struct{}, lost func(*ui.Status)) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		online, lastErr := false, error(nil)
		if s != nil {
			st := s.client.Status()
			online, lastErr = st.Online, st.LastError
		}
		st := statusOf(db, online, lastErr)
		lost(st)
		display.Show(ui.Event{Kind: ui.KindStatus, Time: e.now(), Status: st})
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-poke:
		}
	}
}

// flush makes one last attempt to deliver what waits before the program
// ends (a finite source ran out). What is not delivered stays in the outbox.
func (s *syncer) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.client.SyncOnce(ctx); err != nil {
		s.e.log.Warn("final sync failed; reports stay in the outbox", "err", err)
	}
}

// cmdSync pushes and pulls once.
func cmdSync(ctx context.Context, e *env, args []string) error {
	if len(args) != 0 {
		fmt.Fprintln(e.stderr, "usage: checkpoint [--upstream URL] sync")
		return exitError{2}
	}
	db, c, err := e.openClient()
	if err != nil {
		return err
	}
	defer db.Close()
	if err := c.SyncOnce(ctx); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	st := statusOf(db, true, nil)
	fmt.Fprintf(e.stdout, "synced: trust list seq %d, revocations seq %d, outbox %d waiting\n", db.TrustSeq(), db.RevocationSeq(), st.OutboxWaiting)
	return nil
}

// cmdEnroll registers the terminal with a one-time code and pins the root.
func cmdEnroll(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: checkpoint --upstream URL enroll CODE")
		return exitError{2}
	}
	db, c, err := e.openClient()
	if err != nil {
		return err
	}
	defer db.Close()
	before, _, _ := db.Device()
	if err := c.Enroll(ctx, fs.Arg(0)); err != nil {
		return err // a *sync.Error, which names the step
	}
	if before != "" {
		// Enrolling again is an installer's deliberate act (a new code),
		// but the platform still knows the old identity until it is
		// revoked there.
		fmt.Fprintf(e.stdout, "this terminal was device %s; it is a new device now: revoke the old one upstream (upstream revoke-device --device %s)\n", before, before)
	}
	url := e.upstreamURL()
	if err := os.WriteFile(e.upstreamFile(), []byte(url+"\n"), 0o600); err != nil {
		return fmt.Errorf("record upstream: %w", err)
	}
	id, _, _ := db.Device()
	fmt.Fprintf(e.stdout, "enrolled as device %s with %s\n", id, url)
	if err := c.SyncOnce(ctx); err != nil {
		fmt.Fprintf(e.stdout, "first sync failed (the terminal will retry): %v\n", err)
		return nil
	}
	fmt.Fprintf(e.stdout, "first sync done: trust list seq %d, revocations seq %d\n", db.TrustSeq(), db.RevocationSeq())
	return nil
}

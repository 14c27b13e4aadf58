package sync

import (
	"context"
	"errors"
	"testing"
	"time"

	"yanma/store"
	"yanma/sync/internal/faultproxy"
	"yanma/sync/upstream"
	"yanma/sync/wire"
)

// restart closes the terminal's store and opens it again, runs the
// maintenance `checkpoint run` does at start (forcing a compaction), and
// returns a new Client on it: nothing of the old client's memory survives.
func restart(t *testing.T, db *store.DB, url string) (*store.DB, *Client) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ndb, err := store.Open(db.Path())
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	t.Cleanup(func() { _ = ndb.Close() })
	res, err := ndb.Maintain(context.Background(), time.Now(), store.MaintainConfig{CompactMinBytes: 1, CompactRatio: 1e-9})
	if err != nil || !res.Compacted {
		t.Fatalf("maintain at start: %+v, %v", res, err)
	}
	return ndb, NewClient(url, ndb, WithRequestTimeout(30*time.Second))
}

// snapshotUpstreamOf45 is an upstream whose snapshot at seq 45 comes in
// five pages of ten, behind a fault proxy, with a terminal enrolled
// through the proxy.
func snapshotUpstreamOf45(t *testing.T) (*faultproxy.Proxy, *store.DB, *Client) {
	t.Helper()
	up := newUpstream(t, upstream.WithPageSize(10), upstream.WithMaxDelta(5))
	p := newProxy(t, up)
	db, c := enrolled(t, up, p.URL())
	revokeMany(t, up.Server, "early", 45)
	return p, db, c
}

// A kiosk that loses power (here: store closed, client dropped) two pages
// into a five-page snapshot fetches only the three left after it starts
// again, and ends with the whole snapshot applied.
func TestSnapshotResumedAfterRestart(t *testing.T) {
	ctx := context.Background()
	p, db, c := snapshotUpstreamOf45(t)
	// Pages 1 and 2 pass; the request for page 3 dies.
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 2},
		faultproxy.Fault{Kind: faultproxy.Reset, Path: wire.PathRevocations, Times: 1})
	if err := c.Pull(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("pull with a reset mid-snapshot: %v", err)
	}
	if db.RevocationSeq() != 0 {
		t.Fatalf("a half snapshot was applied: seq %d", db.RevocationSeq())
	}

	db, c = restart(t, db, p.URL())
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull after restart: %v", err)
	}
	// Trust list (304) + pages 3, 4 and 5 + the feed after the snapshot (304).
	if got := p.Hits(faultproxy.Pass) - before; got != 5 {
		t.Fatalf("%d requests to finish after restart, want 5 (no page fetched twice)", got)
	}
	if persons, _ := db.RevocationCounts(); persons != 45 || db.RevocationSeq() != 45 {
		t.Fatalf("persons %d seq %d, want 45 and 45", persons, db.RevocationSeq())
	}
	if _, _, ok, err := db.PendingRevocationSnapshot(); ok || err != nil {
		t.Fatalf("snapshot still pending after commit: %v, %v", ok, err)
	}
}

// A pull cancelled mid-snapshot (the kiosk shutting down in order) keeps
// the snapshot pending in the store: cancelling is not the upstream
// refusing it.
func TestSnapshotKeptWhenPullCancelled(t *testing.T) {
	p, db, c := snapshotUpstreamOf45(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Pages 1 and 2 pass; while the upstream answers for page 3 the
	// terminal is told to stop.
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 2},
		faultproxy.Fault{Kind: faultproxy.Rewrite, Path: wire.PathRevocations, Times: 1,
			Rewrite: func(b []byte) []byte { cancel(); return b }})
	if err := c.Pull(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pull: %v", err)
	}
	_, res, ok, err := db.PendingRevocationSnapshot()
	if err != nil || !ok || res.Seq != 45 || res.Pages < 2 {
		t.Fatalf("pending after cancel: %v %+v, %v; want seq 45, 2 or 3 pages", ok, res, err)
	}

	db, c = restart(t, db, p.URL())
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(context.Background()); err != nil {
		t.Fatalf("pull after restart: %v", err)
	}
	// The answer to page 3 may have been read before the cancellation
	// was: count from the pages the store says it holds.
	if got, want := p.Hits(faultproxy.Pass)-before, 1+(5-res.Pages)+1; got != want {
		t.Fatalf("%d requests to finish after restart, want %d", got, want)
	}
	if persons, _ := db.RevocationCounts(); persons != 45 || db.RevocationSeq() != 45 {
		t.Fatalf("persons %d seq %d, want 45 and 45", persons, db.RevocationSeq())
	}
}

// A stored snapshot the upstream no longer serves (a 4xx) is abandoned:
// nothing of it is applied, nothing stays pending, and the next pull
// starts afresh from page one.
func TestStoredSnapshotNoLongerServed(t *testing.T) {
	ctx := context.Background()
	p, db, c := snapshotUpstreamOf45(t)
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 2},
		faultproxy.Fault{Kind: faultproxy.Reset, Path: wire.PathRevocations, Times: 1})
	if err := c.Pull(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("pull with a reset mid-snapshot: %v", err)
	}

	db, c = restart(t, db, p.URL())
	if _, _, ok, err := db.PendingRevocationSnapshot(); !ok || err != nil {
		t.Fatalf("no snapshot pending after restart: %v", err)
	}
	p.Inject(faultproxy.Fault{Kind: faultproxy.Status, Status: 404, Path: wire.PathRevocations, Times: 1})
	if err := c.Pull(ctx); !errors.Is(err, ErrRefused) {
		t.Fatalf("pull of a snapshot no longer served: %v", err)
	}
	if p.Hits(faultproxy.Status) != 1 {
		t.Fatal("the stored snapshot was never asked for")
	}
	if _, _, ok, err := db.PendingRevocationSnapshot(); ok || err != nil || db.RevocationSeq() != 0 {
		t.Fatalf("after the refusal: pending %v (%v), seq %d", ok, err, db.RevocationSeq())
	}
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull afresh: %v", err)
	}
	// Trust list (304) + all five pages + the feed after the snapshot (304).
	if got := p.Hits(faultproxy.Pass) - before; got != 7 {
		t.Fatalf("%d requests, want 7 (the snapshot fetched afresh)", got)
	}
	if persons, _ := db.RevocationCounts(); persons != 45 || db.RevocationSeq() != 45 {
		t.Fatalf("persons %d seq %d, want 45 and 45", persons, db.RevocationSeq())
	}
}

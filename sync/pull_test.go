package sync

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"yanma/store"
	"yanma/sync/internal/faultproxy"
	"yanma/sync/upstream"
	"yanma/sync/wire"
	"yanma/verify"
)

// revokeMany publishes n person revocations.
func revokeMany(t testing.TB, up *upstream.Server, prefix string, n int) {
	t.Helper()
	entries := make([]verify.RevocationEntry, n)
	for i := range entries {
		entries[i] = verify.RevocationEntry{SH: verify.HashPerson("450000", fmt.Sprintf("%s-%d", prefix, i)).String(), Before: 1_600_000_000}
	}
	if err := up.Revoke(context.Background(), entries...); err != nil {
		t.Fatal(err)
	}
}

// A terminal far behind gets a paged snapshot; a connection lost half-way
// keeps the pages taken, and the next pull resumes after them, commits,
// and catches up with the deltas published meanwhile.
func TestSnapshotPagedAndResumed(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t, upstream.WithPageSize(10), upstream.WithMaxDelta(5))
	p := newProxy(t, up)
	db, c := enrolled(t, up, p.URL())
	revokeMany(t, up.Server, "early", 45)
	victim := issue(t, up, "victim", verify.Green)

	// Page 1 comes with the first answer; the second page request dies.
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 2},
		faultproxy.Fault{Kind: faultproxy.Reset, Path: wire.PathRevocations, Times: 1})
	if err := c.Pull(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("pull with a reset mid-snapshot: %v", err)
	}
	if db.RevocationSeq() != 0 || !db.SyncStatus().RevocationsAsOf.IsZero() {
		t.Fatalf("a half snapshot was applied: seq %d", db.RevocationSeq())
	}
	if c.pendingSnap() == nil || c.pendingSnap().pages != 2 {
		t.Fatalf("pending snapshot: %+v, want 2 pages staged", c.pendingSnap())
	}
	// Meanwhile the upstream moves on.
	if err := up.SetColor(ctx, "victim", verify.Red, "confirmed"); err != nil {
		t.Fatal(err)
	}
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull after healing: %v", err)
	}
	// Trust list (304) + 3 remaining pages + 1 delta.
	if got := p.Hits(faultproxy.Pass) - before; got != 5 {
		t.Fatalf("%d requests to finish, want 5 (no page fetched twice)", got)
	}
	head, _ := up.RevocationHead()
	if db.RevocationSeq() != head || head != 46 {
		t.Fatalf("seq %d, head %d", db.RevocationSeq(), head)
	}
	if persons, _ := db.RevocationCounts(); persons != 46 {
		t.Fatalf("persons revoked: %d, want 46", persons)
	}
	if r := verifyText(db, victim.Credential); r.Reason != verify.ReasonRevoked {
		t.Fatalf("victim: %s", r.Reason)
	}
}

// A snapshot page with a bad signature abandons the snapshot (nothing of
// it applied) and the pull asks again from the start, and succeeds.
func TestSnapshotRefusedPageStartsAgain(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t, upstream.WithPageSize(4), upstream.WithMaxDelta(2))
	p := newProxy(t, up)
	db, c := enrolled(t, up, p.URL())
	revokeMany(t, up.Server, "x", 10)
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 1},
		faultproxy.Fault{Kind: faultproxy.Rewrite, Path: wire.PathRevocations, Times: 1, Rewrite: tamperSignature})
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull with a tampered page: %v", err)
	}
	if p.Hits(faultproxy.Rewrite) != 1 || c.pendingSnap() != nil {
		t.Fatalf("tampered pages %d, pending %v", p.Hits(faultproxy.Rewrite), c.pendingSnap())
	}
	// Trust list, page 1, page 3 (fetched while the tampered page 2 was
	// checked), then all three pages again, then a 304.
	if got := p.Hits(faultproxy.Pass) - before; got != 7 {
		t.Fatalf("%d requests, want 7 (the snapshot started again)", got)
	}
	if persons, _ := db.RevocationCounts(); persons != 10 || db.RevocationSeq() != 10 {
		t.Fatalf("persons %d seq %d, want 10 and 10", persons, db.RevocationSeq())
	}
}

// Unchanged artefacts cost one request each and only confirm freshness.
func TestConditionalPull(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	p := newProxy(t, up)
	now := time.Now()
	clk := func() time.Time { return now }
	db, c := enrolled(t, up, p.URL(), WithClock(clk))
	revokeMany(t, up.Server, "y", 3)
	if err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	first := db.SyncStatus()
	now = now.Add(time.Minute)
	before := p.Hits(faultproxy.Pass)
	if err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.Hits(faultproxy.Pass) - before; got != 2 {
		t.Fatalf("%d requests for an unchanged pull, want 2", got)
	}
	st := db.SyncStatus()
	if !st.TrustAsOf.Equal(now.UTC()) || !st.RevocationsAsOf.Equal(now.UTC()) || !st.TrustAsOf.After(first.TrustAsOf) {
		t.Fatalf("as-of after 304s: trust %v revocations %v, want %v", st.TrustAsOf, st.RevocationsAsOf, now.UTC())
	}
	if db.RevocationSeq() != 3 {
		t.Fatalf("seq %d", db.RevocationSeq())
	}
}

// The clock offset comes from the upstream's Date header; device tokens are
// dated on the upstream's clock, so a terminal an hour slow still pushes.
func TestClockOffsetAndSkewedTokens(t *testing.T) {
	ctx := context.Background()
	upClock := func() time.Time { return time.Now().Add(time.Hour) }
	up := newUpstream(t, upstream.WithClock(upClock))
	db, c := enrolled(t, up, up.URL())
	if err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	st := db.SyncStatus()
	if d := st.ClockOffset - time.Hour; d < -2*time.Second || d > 2*time.Second || st.ClockMeasured.IsZero() {
		t.Fatalf("clock offset %v, want about 1h", st.ClockOffset)
	}
	is := issue(t, up, "p", verify.Green)
	record(t, db, is, verify.ReportRedSighting, time.Now())
	if err := c.Push(ctx); err != nil {
		t.Fatalf("push with the terminal an hour behind: %v", err)
	}
	// A fresh client on the same store starts from the stored offset.
	c2 := NewClient(up.URL(), db)
	record(t, db, is, verify.ReportRedSighting, time.Now())
	if err := c2.Push(ctx); err != nil {
		t.Fatalf("push from a restarted client: %v", err)
	}
	if c2.Status().ClockOffset < 59*time.Minute {
		t.Fatalf("restarted client offset %v", c2.Status().ClockOffset)
	}
}

// Not pinned: pulling is refused locally, not retryable.
func TestPullNotPinned(t *testing.T) {
	up := newUpstream(t)
	c := NewClient(up.URL(), newTerminal(t))
	if err := c.Pull(context.Background()); !errors.Is(err, store.ErrNotPinned) || IsRetryable(err) {
		t.Fatalf("pull: %v", err)
	}
}

// A page served again in place of the next one (a replaying cache, say)
// leaves the snapshot short of its signed count: nothing is applied, and
// the pull starts the snapshot again and gets it whole.
func TestSnapshotCountMismatchStartsAgain(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t, upstream.WithPageSize(4), upstream.WithMaxDelta(2))
	p := newProxy(t, up)
	db, c := enrolled(t, up, p.URL())
	revokeMany(t, up.Server, "z", 9)
	first, err := up.Revocations(ctx, 0)
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	// Page 1 passes; the request for page 2 gets page 1 again, with no
	// Snapshot-Next: the terminal takes it for the last page.
	p.Inject(faultproxy.Fault{Kind: faultproxy.Pass, Path: wire.PathRevocations, Times: 1},
		faultproxy.Fault{Kind: faultproxy.Respond, Path: wire.PathRevocations, Times: 1, Body: []byte(first.JWS)})
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if p.Hits(faultproxy.Respond) != 1 {
		t.Fatal("the replayed page was never served")
	}
	if persons, _ := db.RevocationCounts(); persons != 9 || db.RevocationSeq() != 9 {
		t.Fatalf("persons %d seq %d, want 9 and 9", persons, db.RevocationSeq())
	}
}

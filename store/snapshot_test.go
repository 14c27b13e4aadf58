package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// pagedSnapshot is a snapshot at seq to of 300 persons and one jti, in
// three pages with the cursors "c1" and "c2" between them.
type pagedSnapshot struct {
	pages []string
	next  []string // the cursor announced with each page
}

func newPagedSnapshot(t *testing.T, root *authority, to uint64) pagedSnapshot {
	t.Helper()
	var entries []verify.RevocationEntry
	for i := range 300 {
		_, e := person(fmt.Sprintf("p%d", i), int64(1000+i))
		entries = append(entries, e)
	}
	entries = append(entries, verify.RevocationEntry{JTI: "other"})
	n := uint64(len(entries))
	var ps pagedSnapshot
	for i, part := range [][]verify.RevocationEntry{entries[:100], entries[100:200], entries[200:]} {
		ps.pages = append(ps.pages, root.feed(t, verify.RevocationFeed{To: to, Full: true, Count: n, Entries: part}))
		ps.next = append(ps.next, []string{"c1", "c2", ""}[i])
	}
	return ps
}

// stage adds pages [from, to) of ps to s.
func (ps pagedSnapshot) stage(t *testing.T, s *Snapshot, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := s.AddPage(ps.pages[i], ps.next[i]); err != nil {
			t.Fatalf("AddPage %d: %v", i, err)
		}
	}
}

// pinnedWithState is a store whose root is pinned and which holds a
// revocation state at seq 10 (alice revoked), so that a snapshot has a
// generation in force beside its staging.
func pinnedWithState(t *testing.T, root *authority) *DB {
	t.Helper()
	db := openTest(t)
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	_, alice := person("alice", 100)
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{To: 10, Full: true, Count: 1, Entries: []verify.RevocationEntry{alice}}), testT0); err != nil {
		t.Fatal(err)
	}
	return db
}

// pending is PendingRevocationSnapshot, failing the test on an error.
func pending(t *testing.T, db *DB) (*Snapshot, Resume, bool) {
	t.Helper()
	s, res, ok, err := db.PendingRevocationSnapshot()
	if err != nil {
		t.Fatalf("PendingRevocationSnapshot: %v", err)
	}
	return s, res, ok
}

// stagedEntries counts what the pending snapshot's staging holds.
func stagedEntries(t *testing.T, db *DB) uint64 {
	t.Helper()
	var n uint64
	err := db.view(func(tx *bolt.Tx) error {
		rec, err := readSnapRecord(tx)
		if err != nil || rec == nil {
			return fmt.Errorf("record %+v: %v", rec, err)
		}
		g := tx.Bucket(bucketRevocations).Bucket(rec.Gen)
		if g == nil {
			return errors.New("staging generation missing")
		}
		p, j := layerCounts(layers(g)[0])
		n = p + j
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hasRecord(t *testing.T, db *DB) bool {
	t.Helper()
	var found bool
	if err := db.view(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketMeta).Get(keyRevSnap) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

// commitAndCheck commits s and checks that the snapshot is the state in
// force, complete, and that nothing of it is left pending.
func commitAndCheck(t *testing.T, db *DB, s *Snapshot) {
	t.Helper()
	at := testT0.Add(time.Hour)
	if _, err := s.Commit(at); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if want := (revState{seq: 20, asOf: at, jtiOther: true}); observe(t, db) != want {
		t.Fatalf("state %+v, want %+v", observe(t, db), want)
	}
	if p, j := db.RevocationCounts(); p != 300 || j != 1 {
		t.Fatalf("counts %d, %d; want 300, 1", p, j)
	}
	for i := range 300 {
		p, _ := person(fmt.Sprintf("p%d", i), 0)
		if b, ok, _ := db.RevokedBefore(p); !ok || b != int64(1000+i) {
			t.Fatalf("person %d: %d, %v", i, b, ok)
		}
	}
	if _, _, ok := pending(t, db); ok || hasRecord(t, db) {
		t.Fatal("a resume record outlived the commit")
	}
	assertNoStaleGenerations(t, db)
}

// A snapshot interrupted after two of three pages (the kiosk lost power)
// is still there after a reopen, with the cursor to go on from; the third
// page completes it.
func TestSnapshotResumedAfterReopen(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := pinnedWithState(t, root)
	ps := newPagedSnapshot(t, root, 20)
	before := observe(t, db)
	s, err := db.BeginRevocationSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	ps.stage(t, s, 0, 2)

	db = reopen(t, db)
	if got := observe(t, db); got != before {
		t.Fatalf("a pending snapshot changed the state: %+v, want %+v", got, before)
	}
	s, res, ok := pending(t, db)
	if !ok || res != (Resume{Seq: 20, Pages: 2, Next: "c2"}) {
		t.Fatalf("pending after reopen: %v %+v, want seq 20, 2 pages, next c2", ok, res)
	}
	if n := stagedEntries(t, db); n != 200 {
		t.Fatalf("%d entries staged after reopen, want 200", n)
	}
	ps.stage(t, s, 2, 3)
	if _, res, _ := pending(t, db); res != (Resume{Seq: 20, Pages: 3}) {
		t.Fatalf("pending with every page staged: %+v", res)
	}
	commitAndCheck(t, db, s)
}

// A page staged again (the process died after the page's transaction but
// before it could act on it) leaves the count right: entries are keyed.
func TestSnapshotPageStagedTwiceAfterReopen(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := pinnedWithState(t, root)
	ps := newPagedSnapshot(t, root, 20)
	s, err := db.BeginRevocationSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	ps.stage(t, s, 0, 2)
	db = reopen(t, db)
	s, _, ok := pending(t, db)
	if !ok {
		t.Fatal("no pending snapshot after reopen")
	}
	ps.stage(t, s, 1, 3)
	commitAndCheck(t, db, s)
}

// Maintain compacts at every start: a pending snapshot must come through
// it, for the handle in hand and after a reopen.
func TestSnapshotPendingThroughCompaction(t *testing.T) {
	root := newAuthority(t, "root-1")
	for _, reopenAfter := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen=%v", reopenAfter), func(t *testing.T) {
			db := pinnedWithState(t, root)
			ps := newPagedSnapshot(t, root, 20)
			s, err := db.BeginRevocationSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			ps.stage(t, s, 0, 2)
			before := observe(t, db)
			res, err := db.Maintain(context.Background(), testT0, MaintainConfig{CompactMinBytes: 1, CompactRatio: 1e-9})
			if err != nil || !res.Compacted {
				t.Fatalf("maintain: %+v, %v; want a compaction", res, err)
			}
			if got := observe(t, db); got != before {
				t.Fatalf("state after compaction %+v, want %+v", got, before)
			}
			if reopenAfter {
				db = reopen(t, db)
			}
			ps2, r, ok := pending(t, db)
			if !ok || r != (Resume{Seq: 20, Pages: 2, Next: "c2"}) {
				t.Fatalf("pending after compaction: %v %+v", ok, r)
			}
			if n := stagedEntries(t, db); n != 200 {
				t.Fatalf("%d entries staged after compaction, want 200", n)
			}
			if reopenAfter {
				s = ps2
			}
			ps.stage(t, s, 2, 3)
			commitAndCheck(t, db, s)
		})
	}
}

// Commit and Abort leave no resume record nor staging, now or after a reopen.
func TestSnapshotFinishedLeavesNoRecord(t *testing.T) {
	root := newAuthority(t, "root-1")
	for _, tc := range []struct {
		name   string
		finish func(*Snapshot) error
	}{
		{"commit", func(s *Snapshot) error { _, err := s.Commit(testT0); return err }},
		{"commit refused", func(s *Snapshot) error {
			if _, err := s.Commit(testT0); !errors.Is(err, ErrCountMismatch) {
				return fmt.Errorf("commit of 2 pages of 3: %v, want ErrCountMismatch", err)
			}
			return nil
		}},
		{"abort", func(s *Snapshot) error { return s.Abort() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := pinnedWithState(t, root)
			ps := newPagedSnapshot(t, root, 20)
			s, err := db.BeginRevocationSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			n := 2
			if tc.name == "commit" {
				n = 3
			}
			ps.stage(t, s, 0, n)
			if err := tc.finish(s); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, _, ok := pending(t, db); ok || hasRecord(t, db) {
					t.Fatal("a resume record outlived the snapshot")
				}
				assertNoStaleGenerations(t, db)
				db = reopen(t, db)
			}
		})
	}
}

// A resume record that names nothing to resume from is dropped at Open,
// with whatever it staged; the state in force is kept.
func TestSnapshotRecordDroppedOnOpen(t *testing.T) {
	root := newAuthority(t, "root-1")
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, db *DB, gen []byte)
	}{
		{"generation gone", func(t *testing.T, db *DB, gen []byte) {
			if err := db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketRevocations).DeleteBucket(gen) }); err != nil {
				t.Fatal(err)
			}
		}},
		{"record garbled", func(t *testing.T, db *DB, _ []byte) {
			if err := db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyRevSnap, []byte("{")) }); err != nil {
				t.Fatal(err)
			}
		}},
		{"no page staged", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := pinnedWithState(t, root)
			before := observe(t, db)
			ps := newPagedSnapshot(t, root, 20)
			s, err := db.BeginRevocationSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			if tc.spoil != nil {
				ps.stage(t, s, 0, 1)
				tc.spoil(t, db, s.gen)
			}
			db = reopen(t, db)
			if _, _, ok := pending(t, db); ok || hasRecord(t, db) {
				t.Fatal("a resume record with nothing to resume survived Open")
			}
			assertNoStaleGenerations(t, db)
			if got := observe(t, db); got != before {
				t.Fatalf("state %+v, want %+v", got, before)
			}
		})
	}
}

// A resumed snapshot older than the state held by then (a newer delta was
// applied meanwhile) is refused at Commit, and leaves nothing pending.
func TestSnapshotResumedOlderThanHeld(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := pinnedWithState(t, root)
	ps := newPagedSnapshot(t, root, 20)
	s, err := db.BeginRevocationSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	ps.stage(t, s, 0, 3)
	db = reopen(t, db)
	_, bob := person("bob", 50)
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{From: 10, To: 25, Entries: []verify.RevocationEntry{bob}}), testT0); err != nil {
		t.Fatal(err)
	}
	before := observe(t, db)
	s, _, ok := pending(t, db)
	if !ok {
		t.Fatal("no pending snapshot")
	}
	if _, err := s.Commit(testT0.Add(time.Hour)); !errors.Is(err, verify.ErrReplay) {
		t.Fatalf("Commit of a snapshot at 20 over 25: %v, want ErrReplay", err)
	}
	if got := observe(t, db); got != before || got.seq != 25 {
		t.Fatalf("state %+v, want %+v", got, before)
	}
	if _, _, ok := pending(t, db); ok || hasRecord(t, db) {
		t.Fatal("a refused snapshot stayed pending")
	}
	assertNoStaleGenerations(t, db)
}

// Handles that are no longer the pending snapshot's never write: one
// superseded by a new snapshot, and a second handle on a snapshot since
// committed (whose generation is now in force).
func TestSnapshotStaleHandle(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := pinnedWithState(t, root)
	ps := newPagedSnapshot(t, root, 20)
	old, err := db.BeginRevocationSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	ps.stage(t, old, 0, 1)
	s, err := db.BeginRevocationSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.AddPage(ps.pages[1], ps.next[1]); !errors.Is(err, ErrSnapshotLost) {
		t.Fatalf("AddPage on a superseded snapshot: %v, want ErrSnapshotLost", err)
	}
	ps.stage(t, s, 0, 2)
	twin, _, ok := pending(t, db)
	if !ok {
		t.Fatal("no pending snapshot")
	}
	ps.stage(t, s, 2, 3)
	commitAndCheck(t, db, s)
	_, carol := person("carol", 1)
	stray := root.feed(t, verify.RevocationFeed{To: 20, Full: true, Count: 301, Entries: []verify.RevocationEntry{carol}})
	if _, err := twin.AddPage(stray, ""); !errors.Is(err, ErrSnapshotLost) {
		t.Fatalf("AddPage through a second handle after commit: %v, want ErrSnapshotLost", err)
	}
	if _, ok, _ := db.RevokedBefore(verify.HashPerson("450000", "carol")); ok {
		t.Fatal("a stale handle wrote into the state in force")
	}
	if _, err := twin.Commit(testT0); !errors.Is(err, ErrSnapshotLost) {
		t.Fatalf("Commit through a second handle: %v, want ErrSnapshotLost", err)
	}
	if p, _ := db.RevocationCounts(); p != 300 {
		t.Fatalf("persons %d after a stale commit, want 300", p)
	}
}

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

// revState is what a test can observe of the revocation state.
type revState struct {
	seq      uint64
	asOf     time.Time
	alice    int64 // RevokedBefore of alice, 0 if not found
	bob      int64
	jtiGone  bool // RevokedJTI("gone")
	jtiOther bool
}

func observe(t *testing.T, db *DB) revState {
	t.Helper()
	pa, _ := person("alice", 0)
	pb, _ := person("bob", 0)
	var s revState
	s.seq, s.asOf = db.RevocationSeq(), db.SyncStatus().RevocationsAsOf
	var err error
	if s.alice, _, err = db.RevokedBefore(pa); err != nil {
		t.Fatal(err)
	}
	if s.bob, _, err = db.RevokedBefore(pb); err != nil {
		t.Fatal(err)
	}
	if s.jtiGone, err = db.RevokedJTI("gone"); err != nil {
		t.Fatal(err)
	}
	if s.jtiOther, err = db.RevokedJTI("other"); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplyRevocations(t *testing.T) {
	root, impostor := newAuthority(t, "root-1"), newAuthority(t, "root-1")
	_, alice100 := person("alice", 100)
	_, alice200 := person("alice", 200)
	_, bob50 := person("bob", 50)
	gone := verify.RevocationEntry{JTI: "gone"}
	at := testT0.Add(time.Hour)

	// Held before each case: a full snapshot at seq 10 with alice@100 and jti "gone".
	held := revState{seq: 10, asOf: testT0, alice: 100, jtiGone: true}
	tests := []struct {
		name    string
		token   func() string
		wantErr error
		want    revState
	}{
		{name: "delta that follows", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 12, Entries: []verify.RevocationEntry{bob50, alice200}})
		}, want: revState{seq: 12, asOf: at, alice: 200, bob: 50, jtiGone: true}},
		{name: "empty delta confirms", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 10})
		}, want: revState{seq: 10, asOf: at, alice: 100, jtiGone: true}},
		{name: "same person twice, last wins", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{alice200, alice100}})
		}, want: revState{seq: 11, asOf: at, alice: 100, jtiGone: true}},
		{name: "delta with a gap", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 11, To: 12, Entries: []verify.RevocationEntry{bob50}})
		}, wantErr: ErrSeqGap, want: held},
		{name: "delta that overlaps", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 9, To: 12, Entries: []verify.RevocationEntry{bob50}})
		}, wantErr: ErrSeqGap, want: held},
		{name: "delta backwards", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 9})
		}, wantErr: verify.ErrMalformed, want: held},
		{name: "full snapshot replaces everything", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 0, To: 20, Full: true, Count: 2, Entries: []verify.RevocationEntry{bob50, {JTI: "other"}}})
		}, want: revState{seq: 20, asOf: at, bob: 50, jtiOther: true}},
		{name: "empty full snapshot", token: func() string {
			return root.feed(t, verify.RevocationFeed{To: 20, Full: true})
		}, want: revState{seq: 20, asOf: at}},
		{name: "full snapshot count too high", token: func() string {
			return root.feed(t, verify.RevocationFeed{To: 20, Full: true, Count: 3, Entries: []verify.RevocationEntry{bob50, {JTI: "other"}}})
		}, wantErr: ErrCountMismatch, want: held},
		{name: "full snapshot with a repeated entry", token: func() string {
			return root.feed(t, verify.RevocationFeed{To: 20, Full: true, Count: 2, Entries: []verify.RevocationEntry{bob50, bob50}})
		}, wantErr: ErrCountMismatch, want: held},
		{name: "older full snapshot replayed", token: func() string {
			return root.feed(t, verify.RevocationFeed{To: 9, Full: true, Count: 1, Entries: []verify.RevocationEntry{bob50}})
		}, wantErr: verify.ErrReplay, want: held},
		{name: "signed by another key", token: func() string {
			return impostor.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{bob50}})
		}, wantErr: verify.ErrBadSignature, want: held},
		{name: "signature altered", token: func() string {
			tok := root.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{bob50}})
			return tok[:len(tok)-4] + "AAAA"
		}, wantErr: verify.ErrBadSignature, want: held},
		{name: "entry with both sh and jti", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{{SH: bob50.SH, Before: 5, JTI: "x"}}})
		}, wantErr: verify.ErrMalformed, want: held},
		{name: "person entry without before", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{{SH: bob50.SH}}})
		}, wantErr: verify.ErrMalformed, want: held},
		{name: "bad hash", token: func() string {
			return root.feed(t, verify.RevocationFeed{From: 10, To: 11, Entries: []verify.RevocationEntry{{SH: "XYZ", Before: 5}}})
		}, wantErr: verify.ErrMalformed, want: held},
		{name: "a trust list is not a feed", token: func() string {
			return root.trustList(t, 1, testT0)
		}, wantErr: verify.ErrWrongType, want: held},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			if err := db.PinRoots(root.jwk()); err != nil {
				t.Fatal(err)
			}
			first := root.feed(t, verify.RevocationFeed{To: 10, Full: true, Count: 2, Entries: []verify.RevocationEntry{alice100, gone}})
			if _, err := db.ApplyRevocations(first, testT0); err != nil {
				t.Fatal(err)
			}
			if got := observe(t, db); got != held {
				t.Fatalf("held state %+v, want %+v", got, held)
			}
			_, err := db.ApplyRevocations(tc.token(), at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ApplyRevocations: %v, want %v", err, tc.wantErr)
			}
			if got := observe(t, db); got != tc.want {
				t.Fatalf("state %+v, want %+v", got, tc.want)
			}
			db = reopen(t, db)
			if got := observe(t, db); got != tc.want {
				t.Fatalf("after reopen state %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRevocationsEmptyStore(t *testing.T) {
	db := openTest(t)
	root := newAuthority(t, "root-1")
	if got := observe(t, db); got != (revState{}) {
		t.Fatalf("empty store answers %+v", got)
	}
	if err := db.ConfirmRevocationsCurrent(testT0); !errors.Is(err, ErrNoRevocations) {
		t.Fatalf("confirm with no data: %v", err)
	}
	_ = db.PinRoots(root.jwk())
	_, bob := person("bob", 50)
	// A delta from 0 is the whole history: fine on an empty store.
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{From: 0, To: 3, Entries: []verify.RevocationEntry{bob}}), testT0); err != nil {
		t.Fatal(err)
	}
	if got := observe(t, db); got != (revState{seq: 3, asOf: testT0, bob: 50}) {
		t.Fatalf("after first delta %+v", got)
	}
	if p, jt := db.RevocationCounts(); p != 1 || jt != 0 {
		t.Fatalf("counts %d, %d", p, jt)
	}
	later := testT0.Add(time.Hour)
	if err := db.ConfirmRevocationsCurrent(later); err != nil {
		t.Fatal(err)
	}
	if st := db.SyncStatus(); !st.RevocationsAsOf.Equal(later) || !st.NewestSigned.Equal(testT0) {
		t.Fatalf("status %+v", st)
	}
}

func TestRevocationSnapshotPages(t *testing.T) {
	root := newAuthority(t, "root-1")
	var entries []verify.RevocationEntry
	for i := range 300 {
		_, e := person(fmt.Sprintf("p%d", i), int64(1000+i))
		entries = append(entries, e)
	}
	entries = append(entries, verify.RevocationEntry{JTI: "other"})
	pages := func(to, count uint64, parts ...[]verify.RevocationEntry) []string {
		var out []string
		for _, p := range parts {
			out = append(out, root.feed(t, verify.RevocationFeed{To: to, Full: true, Count: count, Entries: p}))
		}
		return out
	}
	n := uint64(len(entries))
	_, held := person("alice", 100)
	tests := []struct {
		name       string
		pages      []string
		wantAddErr error // from the last AddPage
		wantErr    error // from Commit
	}{
		{name: "three pages", pages: pages(20, n, entries[:100], entries[100:200], entries[200:])},
		{name: "pages out of order", pages: pages(20, n, entries[200:], entries[:100], entries[100:200])},
		{name: "a page missing", pages: pages(20, n, entries[:100], entries[200:]), wantErr: ErrCountMismatch},
		{name: "a page twice", pages: pages(20, n, entries[:100], entries[100:200], entries[100:200]), wantErr: ErrCountMismatch},
		{name: "a page of another snapshot", pages: append(pages(20, n, entries[:100]), pages(21, n, entries[100:])...), wantAddErr: ErrSnapshotMismatch},
		{name: "a delta among the pages", pages: append(pages(20, n, entries[:100]), root.feed(t, verify.RevocationFeed{From: 10, To: 20})), wantAddErr: ErrSnapshotMismatch},
		{name: "older than held", pages: pages(5, n, entries), wantAddErr: verify.ErrReplay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			_ = db.PinRoots(root.jwk())
			if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{To: 10, Full: true, Count: 1, Entries: []verify.RevocationEntry{held}}), testT0); err != nil {
				t.Fatal(err)
			}
			before := observe(t, db)
			s, err := db.BeginRevocationSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range tc.pages {
				_, err = s.AddPage(p, "")
				if i < len(tc.pages)-1 && err != nil {
					t.Fatalf("AddPage %d: %v", i, err)
				}
				// Pages staged but not committed change nothing visible.
				if got := observe(t, db); got != before {
					t.Fatalf("after page %d state %+v, want %+v", i, got, before)
				}
			}
			if !errors.Is(err, tc.wantAddErr) {
				t.Fatalf("last AddPage: %v, want %v", err, tc.wantAddErr)
			}
			if err != nil {
				if err := s.Abort(); err != nil {
					t.Fatal(err)
				}
				if got := observe(t, db); got != before {
					t.Fatalf("after abort %+v", got)
				}
				assertNoStaleGenerations(t, db)
				return
			}
			at := testT0.Add(time.Hour)
			_, err = s.Commit(at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Commit: %v, want %v", err, tc.wantErr)
			}
			got := observe(t, db)
			if tc.wantErr != nil {
				if got != before {
					t.Fatalf("refused snapshot changed the state: %+v", got)
				}
				assertNoStaleGenerations(t, db)
				return
			}
			if want := (revState{seq: 20, asOf: at, jtiOther: true}); got != want {
				t.Fatalf("state %+v, want %+v", got, want)
			}
			for i := range 300 {
				p, _ := person(fmt.Sprintf("p%d", i), 0)
				if b, ok, _ := db.RevokedBefore(p); !ok || b != int64(1000+i) {
					t.Fatalf("person %d: %d, %v", i, b, ok)
				}
			}
			if p, j := db.RevocationCounts(); p != 300 || j != 1 {
				t.Fatalf("counts %d, %d", p, j)
			}
			if _, err := s.Commit(at); !errors.Is(err, ErrSnapshotDone) {
				t.Fatalf("second Commit: %v", err)
			}
			assertNoStaleGenerations(t, db)
		})
	}
}

func assertNoStaleGenerations(t *testing.T, db *DB) {
	t.Helper()
	n := 0
	_ = db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRevocations).ForEachBucket(func([]byte) error { n++; return nil })
	})
	if n > 1 {
		t.Fatalf("%d revocation generations on disk, want at most 1", n)
	}
}

// TestRevocationLayers: large deltas stack layers, small ones join the top
// layer, the newest layer naming a person decides, and Compact merges the
// layers into one without changing a single answer.
func TestRevocationLayers(t *testing.T) {
	root := newAuthority(t, "root-1")
	db := openTest(t)
	_ = db.PinRoots(root.jwk())
	fillers := func(prefix string) []verify.RevocationEntry {
		out := make([]verify.RevocationEntry, layerMinEntries)
		for i := range out {
			_, out[i] = person(fmt.Sprintf("%s%d", prefix, i), int64(i+1))
		}
		return out
	}
	_, alice100 := person("alice", 100)
	_, bob50 := person("bob", 50)
	steps := []struct {
		name       string
		feed       verify.RevocationFeed
		wantLayers int
		want       revState
	}{
		{"snapshot", verify.RevocationFeed{To: 10, Full: true, Count: 3, Entries: []verify.RevocationEntry{alice100, bob50, {JTI: "gone"}}},
			1, revState{seq: 10, asOf: testT0, alice: 100, bob: 50, jtiGone: true}},
		{"large delta gets a layer", verify.RevocationFeed{From: 10, To: 11, Entries: append(fillers("a"), verify.RevocationEntry{SH: alice100.SH, Before: 200})},
			2, revState{seq: 11, asOf: testT0, alice: 200, bob: 50, jtiGone: true}},
		{"small delta joins the top layer", verify.RevocationFeed{From: 11, To: 12, Entries: []verify.RevocationEntry{{SH: alice100.SH, Before: 300}, {JTI: "other"}}},
			2, revState{seq: 12, asOf: testT0, alice: 300, bob: 50, jtiGone: true, jtiOther: true}},
		{"another large delta", verify.RevocationFeed{From: 12, To: 13, Entries: append(fillers("b"), verify.RevocationEntry{SH: bob50.SH, Before: 60})},
			3, revState{seq: 13, asOf: testT0, alice: 300, bob: 60, jtiGone: true, jtiOther: true}},
	}
	for _, s := range steps {
		if _, err := db.ApplyRevocations(root.feed(t, s.feed), testT0); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := db.status().RevLayers; got != s.wantLayers {
			t.Fatalf("%s: %d layers, want %d", s.name, got, s.wantLayers)
		}
		if got := observe(t, db); got != s.want {
			t.Fatalf("%s: %+v, want %+v", s.name, got, s.want)
		}
	}
	want := steps[len(steps)-1].want

	res, err := db.Maintain(context.Background(), testT0, MaintainConfig{})
	if err != nil || !res.Compacted {
		t.Fatalf("Maintain with 3 layers: %+v, %v; want a compaction", res, err)
	}
	if got := db.status().RevLayers; got != 1 {
		t.Fatalf("after compaction %d layers", got)
	}
	if got := observe(t, db); got != want {
		t.Fatalf("after compaction %+v, want %+v", got, want)
	}
	for _, prefix := range []string{"a", "b"} {
		for i := range layerMinEntries {
			p, _ := person(fmt.Sprintf("%s%d", prefix, i), 0)
			if b, ok, err := db.RevokedBefore(p); err != nil || !ok || b != int64(i+1) {
				t.Fatalf("filler %s%d after compaction: %d, %v, %v", prefix, i, b, ok, err)
			}
		}
	}
	if p, j := db.RevocationCounts(); p != 2+2*layerMinEntries || j != 2 {
		t.Fatalf("exact counts after compaction: %d, %d", p, j)
	}
	// The next delta follows on from the compacted state.
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{From: 13, To: 14, Entries: []verify.RevocationEntry{{JTI: "third"}}}), testT0); err != nil {
		t.Fatal(err)
	}
	db = reopen(t, db)
	if got := observe(t, db); got != (revState{seq: 14, asOf: testT0, alice: 300, bob: 60, jtiGone: true, jtiOther: true}) {
		t.Fatalf("after reopen %+v", got)
	}
}

package store

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"yanma/verify"
)

func TestRootsNotPinned(t *testing.T) {
	db := openTest(t)
	if _, err := db.Roots(); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("Roots: %v, want ErrNotPinned", err)
	}
	root := newAuthority(t, "root-1")
	if _, err := db.ImportTrustList(root.trustList(t, 1, testT0), testT0); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("import without a pinned root: %v, want ErrNotPinned", err)
	}
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{To: 1}), testT0); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("feed without a pinned root: %v, want ErrNotPinned", err)
	}
	if err := db.PinRoots(); err == nil {
		t.Fatal("PinRoots() with no root succeeded")
	}
}

func TestImportTrustList(t *testing.T) {
	root, next, impostor := newAuthority(t, "root-1"), newAuthority(t, "root-2"), newAuthority(t, "root-1")
	tests := []struct {
		name    string
		held    uint64 // seq imported first (0: none)
		token   func() string
		at      time.Time
		wantErr error
		wantSeq uint64
	}{
		{name: "first list", token: func() string { return root.trustList(t, 5, testT0) }, at: testT0, wantSeq: 5},
		{name: "newer list", held: 5, token: func() string { return root.trustList(t, 6, testT0) }, at: testT0, wantSeq: 6},
		{name: "same seq again", held: 5, token: func() string { return root.trustList(t, 5, testT0) }, at: testT0, wantSeq: 5},
		{name: "older list replayed", held: 5, token: func() string { return root.trustList(t, 4, testT0) }, at: testT0, wantErr: verify.ErrReplay, wantSeq: 5},
		{name: "signed by an impostor", held: 5, token: func() string { return impostor.trustList(t, 9, testT0) }, at: testT0, wantErr: verify.ErrBadSignature, wantSeq: 5},
		{name: "signed by the second pinned root", held: 5, token: func() string { return next.trustList(t, 7, testT0) }, at: testT0, wantSeq: 7},
		{name: "expired", held: 5, token: func() string { return root.trustList(t, 8, testT0) }, at: testT0.AddDate(0, 2, 0), wantErr: verify.ErrExpired, wantSeq: 5},
		{name: "not a jws", held: 5, token: func() string { return "garbage" }, at: testT0, wantErr: verify.ErrMalformed, wantSeq: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			if err := db.PinRoots(root.jwk(), next.jwk()); err != nil {
				t.Fatal(err)
			}
			importedAt := testT0.Add(-time.Hour)
			if tc.held != 0 {
				if _, err := db.ImportTrustList(root.trustList(t, tc.held, importedAt), importedAt); err != nil {
					t.Fatal(err)
				}
			}
			before := db.SyncStatus()
			tl, err := db.ImportTrustList(tc.token(), tc.at)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ImportTrustList: %v, want %v", err, tc.wantErr)
			}
			if got := db.TrustSeq(); got != tc.wantSeq {
				t.Fatalf("TrustSeq = %d, want %d", got, tc.wantSeq)
			}
			if tc.wantErr != nil {
				if after := db.SyncStatus(); after != before {
					t.Fatalf("refused import moved the status: %+v → %+v", before, after)
				}
				return
			}
			if tl.Seq != tc.wantSeq {
				t.Fatalf("returned list seq %d", tl.Seq)
			}
			if st := db.SyncStatus(); !st.TrustAsOf.Equal(tc.at) || !st.NewestSigned.Equal(testT0) {
				t.Fatalf("status after import: %+v", st)
			}
			// The list in force survives a restart and is served from memory.
			db = reopen(t, db)
			got, err := db.Trust()
			if err != nil || got.Seq != tc.wantSeq || len(got.Issuers) != 1 {
				t.Fatalf("after reopen Trust = %+v, %v", got, err)
			}
			// Ed25519 is deterministic: signing the same claims again gives
			// the same token, so the one held must equal a fresh one.
			if tok, err := db.TrustListToken(); err != nil || tok != tc.token() {
				t.Fatalf("TrustListToken = %.20q…, %v; want the imported token", tok, err)
			}
		})
	}
}

// TestRootRotation: a list from the root in force that announces the next
// root pins it beside; the first list from the next root leaves it alone
// pinned, so the retired root signs nothing more here, lists or feeds.
func TestRootRotation(t *testing.T) {
	root, next := newAuthority(t, "root-1"), newAuthority(t, "root-2")
	db := openTest(t)
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	wantRoots := func(want ...*authority) {
		t.Helper()
		got, err := db.Roots()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d roots pinned, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].jwk() {
				t.Fatalf("root %d is %s, want %s", i, got[i].Kid, want[i].jwk().Kid)
			}
		}
	}
	mustImport := func(tok string) {
		t.Helper()
		if _, err := db.ImportTrustList(tok, testT0); err != nil {
			t.Fatal(err)
		}
	}

	mustImport(root.trustList(t, 1, testT0))
	wantRoots(root)
	// A refused list announces nothing.
	if _, err := db.ImportTrustList(root.trustListNext(t, 0, testT0, next), testT0); !errors.Is(err, verify.ErrReplay) {
		t.Fatalf("replayed list: %v", err)
	}
	wantRoots(root)

	mustImport(root.trustListNext(t, 2, testT0, next))
	wantRoots(root, next)
	db = reopen(t, db)
	wantRoots(root, next)
	// Both roots verify feeds meanwhile.
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{From: 0, To: 1, Full: true}), testT0); err != nil {
		t.Fatalf("feed from the root in force: %v", err)
	}

	mustImport(next.trustList(t, 3, testT0))
	wantRoots(next)
	db = reopen(t, db)
	wantRoots(next)
	if _, err := db.ImportTrustList(root.trustList(t, 4, testT0), testT0); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("list from the retired root: %v, want ErrBadSignature", err)
	}
	if _, err := db.ApplyRevocations(root.feed(t, verify.RevocationFeed{From: 1, To: 2}), testT0); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("feed from the retired root: %v, want ErrBadSignature", err)
	}
	if _, err := db.ApplyRevocations(next.feed(t, verify.RevocationFeed{From: 1, To: 2}), testT0); err != nil {
		t.Fatalf("feed from the new root: %v", err)
	}
	if got := db.TrustSeq(); got != 3 {
		t.Fatalf("trust seq %d, want 3", got)
	}
}

// TestRootPinnedByHand: a second root pinned by hand (the USB-stick way)
// stays through lists that announce nothing, and gives way to one a list
// announces.
func TestRootPinnedByHand(t *testing.T) {
	root, byHand, announced := newAuthority(t, "root-1"), newAuthority(t, "root-2"), newAuthority(t, "root-3")
	db := openTest(t)
	if err := db.PinRoots(root.jwk(), byHand.jwk()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTrustList(root.trustList(t, 1, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Roots(); err != nil || len(got) != 2 || got[1] != byHand.jwk() {
		t.Fatalf("roots after a list announcing nothing: %+v, %v", got, err)
	}
	if _, err := db.ImportTrustList(root.trustListNext(t, 2, testT0, announced), testT0); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Roots(); err != nil || len(got) != 2 || got[0] != root.jwk() || got[1] != announced.jwk() {
		t.Fatalf("roots after a list announcing root-3: %+v, %v", got, err)
	}
}

func TestRotatedRoots(t *testing.T) {
	a, b, c := newAuthority(t, "a").jwk(), newAuthority(t, "b").jwk(), newAuthority(t, "c").jwk()
	bOtherKid := b
	bOtherKid.Kid = "b-again"
	tests := []struct {
		name  string
		roots []verify.JWK
		by    int
		next  *verify.JWK
		want  []verify.JWK // nil: unchanged
	}{
		{"first root, nothing announced", []verify.JWK{a}, 0, nil, nil},
		{"first root announces b", []verify.JWK{a}, 0, &b, []verify.JWK{a, b}},
		{"b announced again", []verify.JWK{a, b}, 0, &b, nil},
		{"b announced under another kid", []verify.JWK{a, b}, 0, &bOtherKid, nil},
		{"c announced instead of b", []verify.JWK{a, b}, 0, &c, []verify.JWK{a, c}},
		{"first root announces itself", []verify.JWK{a}, 0, &a, nil},
		{"second root signs", []verify.JWK{a, b}, 1, nil, []verify.JWK{b}},
		{"second root signs and announces c", []verify.JWK{a, b}, 1, &c, []verify.JWK{b, c}},
		{"second root signs and announces a", []verify.JWK{a, b}, 1, &a, []verify.JWK{b, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rotatedRoots(tt.roots, tt.by, tt.next)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTrustServedFromMemory(t *testing.T) {
	db := openTest(t)
	if _, err := db.Trust(); !errors.Is(err, verify.ErrNoTrustList) {
		t.Fatalf("Trust on an empty store: %v, want ErrNoTrustList", err)
	}
	root := newAuthority(t, "root-1")
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTrustList(root.trustList(t, 1, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed file, still answered: the hot path never reads the disk.
	if tl, err := db.Trust(); err != nil || tl.Seq != 1 {
		t.Fatalf("Trust after Close = %+v, %v", tl, err)
	}
}

func TestConfirmTrustCurrent(t *testing.T) {
	db := openTest(t)
	root := newAuthority(t, "root-1")
	if err := db.ConfirmTrustCurrent(testT0); !errors.Is(err, verify.ErrNoTrustList) {
		t.Fatalf("confirm with no list: %v", err)
	}
	_ = db.PinRoots(root.jwk())
	if _, err := db.ImportTrustList(root.trustList(t, 1, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	later := testT0.Add(6 * time.Hour)
	if err := db.ConfirmTrustCurrent(later); err != nil {
		t.Fatal(err)
	}
	if err := db.ConfirmTrustCurrent(testT0); err != nil { // an older confirmation never moves it back
		t.Fatal(err)
	}
	if got := reopen(t, db).SyncStatus().TrustAsOf; !got.Equal(later) {
		t.Fatalf("TrustAsOf = %v, want %v", got, later)
	}
}

func TestBootstrap(t *testing.T) {
	root, other := newAuthority(t, "root-1"), newAuthority(t, "other")
	rootJSON, _ := json.Marshal(root.jwk())
	embedded := root.trustList(t, 3, testT0)
	now := testT0.Add(48 * time.Hour)
	tests := []struct {
		name      string
		setup     func(t *testing.T, db *DB)
		root      []byte
		wantDone  bool
		wantErr   error
		wantSeq   uint64
		wantAsOf  time.Time
		wantRoots string
	}{
		{name: "empty store", root: rootJSON, wantDone: true, wantSeq: 3, wantAsOf: testT0, wantRoots: "root-1"},
		{name: "newer list held", root: rootJSON, setup: func(t *testing.T, db *DB) {
			_ = db.PinRoots(root.jwk())
			if _, err := db.ImportTrustList(root.trustList(t, 4, now), now); err != nil {
				t.Fatal(err)
			}
		}, wantSeq: 4, wantAsOf: now, wantRoots: "root-1"},
		{name: "older list held", root: rootJSON, setup: func(t *testing.T, db *DB) {
			_ = db.PinRoots(root.jwk())
			if _, err := db.ImportTrustList(root.trustList(t, 2, now), now); err != nil {
				t.Fatal(err)
			}
		}, wantDone: true, wantSeq: 3, wantAsOf: testT0, wantRoots: "root-1"},
		{name: "another root pinned is kept", root: rootJSON, setup: func(t *testing.T, db *DB) {
			_ = db.PinRoots(other.jwk())
		}, wantErr: verify.ErrBadSignature, wantRoots: "other"},
		{name: "bad root bytes", root: []byte("{"), wantErr: verify.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			if tc.setup != nil {
				tc.setup(t, db)
			}
			done, err := db.Bootstrap(tc.root, embedded, now)
			if !errors.Is(err, tc.wantErr) || done != tc.wantDone {
				t.Fatalf("Bootstrap = %v, %v; want %v, %v", done, err, tc.wantDone, tc.wantErr)
			}
			if db.TrustSeq() != tc.wantSeq {
				t.Fatalf("TrustSeq = %d, want %d", db.TrustSeq(), tc.wantSeq)
			}
			if got := db.SyncStatus().TrustAsOf; !got.Equal(tc.wantAsOf) {
				t.Fatalf("TrustAsOf = %v, want %v", got, tc.wantAsOf)
			}
			roots, _ := db.Roots()
			if tc.wantRoots != "" && (len(roots) != 1 || roots[0].Kid != tc.wantRoots) {
				t.Fatalf("roots = %+v, want %s", roots, tc.wantRoots)
			}
		})
	}
}

// TestPinOtherRootDropsList: pinning roots that did not sign the trust list
// held drops it (the codes it vouches for are no longer trusted), across a
// restart too; pinning a set that includes its signer keeps it.
func TestPinOtherRootDropsList(t *testing.T) {
	root, other := newAuthority(t, "root-1"), newAuthority(t, "other")
	db := openTest(t)
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTrustList(root.trustList(t, 9, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	if err := db.PinRoots(other.jwk(), root.jwk()); err != nil {
		t.Fatal(err)
	}
	if tl, err := db.Trust(); err != nil || tl.Seq != 9 {
		t.Fatalf("pinning a set with the list's signer: %v, %v", tl, err)
	}
	if err := db.PinRoots(other.jwk()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if i == 1 {
			db = reopen(t, db)
		}
		if _, err := db.Trust(); !errors.Is(err, verify.ErrNoTrustList) {
			t.Fatalf("%d: trust list after pinning another root: %v, want ErrNoTrustList", i, err)
		}
		if _, err := db.TrustListToken(); !errors.Is(err, verify.ErrNoTrustList) {
			t.Fatalf("%d: token after pinning another root: %v", i, err)
		}
		if st := db.SyncStatus(); db.TrustSeq() != 0 || !st.TrustAsOf.IsZero() {
			t.Fatalf("%d: status after the drop: seq %d, %+v", i, db.TrustSeq(), st)
		}
	}
	// The new root's list, with a lower seq, is not a replay.
	if _, err := db.ImportTrustList(other.trustList(t, 1, testT0), testT0); err != nil {
		t.Fatalf("the new root's first list: %v", err)
	}
}

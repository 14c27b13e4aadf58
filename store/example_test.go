package store_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"yanma/store"
	"yanma/verify"
)

// A full revocation snapshot too large for one JWS arrives in pages; the
// state in force changes only at Commit, after the count check.
func ExampleDB_BeginRevocationSnapshot() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "terminal.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	// The upstream's trust root, pinned at enrollment.
	_, key, _ := ed25519.GenerateKey(nil)
	root, _ := verify.NewSigner("root-1", key)
	_ = db.PinRoots(root.PublicJWK())

	now := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	alice, bob := verify.HashPerson("450000", "alice"), verify.HashPerson("450000", "bob")
	page := func(e verify.RevocationEntry) string {
		tok, _ := root.Sign(verify.TypRevocations, verify.RevocationFeed{
			Iss: "root", Iat: now.Unix(), To: 7, Full: true, Count: 2,
			Entries: []verify.RevocationEntry{e},
		})
		return tok
	}

	snap, _ := db.BeginRevocationSnapshot()
	for _, tok := range []string{
		page(verify.RevocationEntry{SH: alice.String(), Before: now.Unix()}),
		page(verify.RevocationEntry{SH: bob.String(), Before: now.Unix()}),
	} {
		if _, err := snap.AddPage(tok, ""); err != nil {
			fmt.Println(err)
			_ = snap.Abort()
			return
		}
	}
	_, found, _ := db.RevokedBefore(alice)
	fmt.Println("before commit: seq", db.RevocationSeq(), "alice revoked:", found)
	if _, err := snap.Commit(now); err != nil {
		fmt.Println(err)
		return
	}
	_, found, _ = db.RevokedBefore(alice)
	fmt.Println("after commit: seq", db.RevocationSeq(), "alice revoked:", found)
	// Output:
	// before commit: seq 0 alice revoked: false
	// after commit: seq 7 alice revoked: true
}

// Record keeps the entry and its report in one fsynced transaction; the
// outbox gives red sightings first and forgets a report once acknowledged.
func ExampleDB_Record() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "terminal.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	at := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	_, _ = db.Record(
		store.Entry{Time: at, Site: verify.SiteRoad, Color: verify.Green, Valid: true, Reason: verify.ReasonOK,
			TemperatureC: 38.2, ThresholdC: 37.3, Verdict: verify.VerdictDeny},
		&store.Report{Kind: verify.ReportFever, Issuer: "450000", Sub: "p-1", JTI: "c-1", Color: verify.Green, TemperatureC: 38.2})
	_, _ = db.Record(
		store.Entry{Time: at.Add(time.Minute), Site: verify.SiteRoad, Color: verify.Red, Valid: true, Reason: verify.ReasonOK,
			Verdict: verify.VerdictDeny},
		&store.Report{Kind: verify.ReportRedSighting, Issuer: "450000", Sub: "p-2", JTI: "c-2", Color: verify.Red})

	pending, _ := db.PendingReports(10)
	for _, r := range pending {
		fmt.Println(r.Kind, r.Sub)
	}
	_ = db.AckReports([]string{pending[0].ID})
	n, oldest, _ := db.OutboxStats()
	fmt.Println("waiting:", n, "oldest:", oldest.Format(time.TimeOnly))
	// Output:
	// red_sighting p-2
	// fever p-1
	// waiting: 1 oldest: 08:00:00
}

package store

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// openTest opens a store under t.TempDir() and, in t.Cleanup, closes it and
// runs bbolt's consistency check on the file (bbolt's btesting habit).
func openTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	return openTestAt(t, filepath.Join(t.TempDir(), "terminal.db"), opts...)
}

func openTestAt(t testing.TB, path string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkFile(t, path)
	})
	return db
}

// checkFile runs tx.Check on a closed bbolt file.
func checkFile(t testing.TB, path string) {
	t.Helper()
	b, err := bolt.Open(path, fileMode, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("check %s: open: %v", path, err)
		return
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("check %s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
}

// reopen closes db and opens the same file again (the cleanup of the first
// open closes the second handle too, since Close is idempotent on a DB).
func reopen(t testing.TB, db *DB, opts ...Option) *DB {
	t.Helper()
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	nd, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { _ = nd.Close() })
	return nd
}

// authority is a trust root (or an impostor) that signs test artefacts.
type authority struct {
	signer *verify.Signer
}

func newAuthority(t testing.TB, kid string) *authority {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := verify.NewSigner(kid, priv)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return &authority{signer: s}
}

func (a *authority) jwk() verify.JWK { return a.signer.PublicJWK() }

var testT0 = time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)

func (a *authority) trustList(t testing.TB, seq uint64, iat time.Time) string {
	t.Helper()
	return a.trustListNext(t, seq, iat, nil)
}

// trustListNext is a trust list that announces next as the next root (nil:
// none).
func (a *authority) trustListNext(t testing.TB, seq uint64, iat time.Time, next *authority) string {
	t.Helper()
	tl := verify.TrustList{
		Iss: "root", Iat: iat.Unix(), Exp: iat.Add(30 * 24 * time.Hour).Unix(), Seq: seq,
		Issuers: []verify.IssuerEntry{{Iss: "450000", Name: "Guangxi", Keys: []verify.JWK{a.jwk()}}},
		Policy:  verify.Policy{TempThresholdC: 37.3},
	}
	if next != nil {
		k := next.jwk()
		tl.NextRoot = &k
	}
	tok, err := a.signer.Sign(verify.TypTrustList, tl)
	if err != nil {
		t.Fatalf("sign trust list: %v", err)
	}
	return tok
}

func (a *authority) feed(t testing.TB, f verify.RevocationFeed) string {
	t.Helper()
	if f.Iss == "" {
		f.Iss = "root"
	}
	if f.Iat == 0 {
		f.Iat = testT0.Unix()
	}
	if f.Entries == nil {
		f.Entries = []verify.RevocationEntry{} // "entries": [] — verify refuses null
	}
	tok, err := a.signer.Sign(verify.TypRevocations, f)
	if err != nil {
		t.Fatalf("sign feed: %v", err)
	}
	return tok
}

// person is a test person's hash and its feed entry.
func person(sub string, before int64) (verify.PersonHash, verify.RevocationEntry) {
	p := verify.HashPerson("450000", sub)
	return p, verify.RevocationEntry{SH: p.String(), Before: before}
}

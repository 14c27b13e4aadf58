// Package damagetest damages bbolt files the ways a kiosk's or a server's
// file gets damaged (a power cut, a copy cut short, a failing card), for
// the tests of every package that opens one through boltcheck.
package damagetest

import (
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Case is one way of damaging a closed file. A case with MustFail hits
// pages in use; the others may hit pages bbolt does not need (free pages,
// or one meta page, which bbolt is built to do without: it uses the
// other), and then an Open may succeed provided that every datum is still
// there.
type Case struct {
	Name     string
	Damage   func(t testing.TB, path string)
	MustFail bool
}

// Cases are the damages every opener is tested against.
var Cases = []Case{
	{Name: "truncated to 0", MustFail: true, Damage: func(t testing.TB, p string) { Truncate(t, p, func(int64) int64 { return 0 }) }},
	{Name: "truncated to 1000", MustFail: true, Damage: func(t testing.TB, p string) { Truncate(t, p, func(int64) int64 { return 1000 }) }},
	{Name: "truncated to 10000", MustFail: true, Damage: func(t testing.TB, p string) { Truncate(t, p, func(int64) int64 { return 10000 }) }},
	{Name: "truncated to half", MustFail: true, Damage: func(t testing.TB, p string) { Truncate(t, p, func(n int64) int64 { return n / 2 }) }},
	{Name: "last page in use cut", MustFail: true, Damage: func(t testing.TB, p string) {
		hwm := HighWater(t, p)
		Truncate(t, p, func(int64) int64 { return hwm - int64(os.Getpagesize()) })
	}},
	{Name: "pages 2-4 random", MustFail: true, Damage: func(t testing.TB, p string) { Scribble(t, p, 2, 3) }},
	{Name: "free list page random", MustFail: true, Damage: func(t testing.TB, p string) { Scribble(t, p, FreelistPage(t, p), 1) }},
	{Name: "middle pages random", MustFail: true, Damage: func(t testing.TB, p string) { Scribble(t, p, pagesOf(t, p)/2, 2) }},
	{Name: "last pages in use random", Damage: func(t testing.TB, p string) {
		Scribble(t, p, int(HighWater(t, p))/os.Getpagesize()-3, 3)
	}},
	{Name: "meta page 0 random", Damage: func(t testing.TB, p string) { Scribble(t, p, 0, 1) }},
	{Name: "meta page 1 random", Damage: func(t testing.TB, p string) { Scribble(t, p, 1, 1) }},
	{Name: "meta page 0 torn", Damage: func(t testing.TB, p string) { BreakMetaSum(t, p, 0) }},
	{Name: "meta page 1 torn", Damage: func(t testing.TB, p string) { BreakMetaSum(t, p, 1) }},
	{Name: "both meta pages random", MustFail: true, Damage: func(t testing.TB, p string) { Scribble(t, p, 0, 2) }},
	{Name: "both meta pages torn", MustFail: true, Damage: func(t testing.TB, p string) {
		BreakMetaSum(t, p, 0)
		BreakMetaSum(t, p, 1)
	}},
}

// FileSum is the file's SHA-256: a refused file must keep it.
func FileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// Scribble overwrites n pages from page first with random bytes of a
// fixed seed (every run damages the file alike).
func Scribble(t testing.TB, path string, first, n int) {
	t.Helper()
	ps := os.Getpagesize()
	buf := make([]byte, n*ps)
	rng := rand.New(rand.NewPCG(uint64(first), 99))
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(buf, int64(first*ps)); err != nil {
		t.Fatal(err)
	}
}

// Truncate cuts the file to size(its size).
func Truncate(t testing.TB, path string, size func(int64) int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size(fi.Size())); err != nil {
		t.Fatal(err)
	}
}

func pagesOf(t testing.TB, path string) int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Size()) / os.Getpagesize()
}

// HighWater is the bytes the file's pages in use reach (bbolt's high-water
// mark); the file may be longer, grown ahead of need.
func HighWater(t testing.TB, path string) int64 {
	t.Helper()
	bd, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bd.Close()
	tx, err := bd.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	return tx.Size()
}

// BreakMetaSum flips one byte of a meta page's txid, which its checksum
// then fails: what a power cut in the middle of writing it leaves.
func BreakMetaSum(t testing.TB, path string, page int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	off := int64(page*os.Getpagesize()) + 16 + 48 // page header (16), meta fields before txid (48)
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// FreelistPage is the page that holds the file's free list, which bbolt
// reads within bolt.Open.
func FreelistPage(t testing.TB, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := -1
	err = db.View(func(tx *bolt.Tx) error {
		for i := 2; int64(i)*int64(os.Getpagesize()) < tx.Size(); i++ {
			pi, err := tx.Page(i)
			if err != nil {
				return err
			}
			if pi != nil && pi.Type == "freelist" {
				id = i
				return nil
			}
		}
		return errors.New("no free list page")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Check runs bbolt's consistency check on a closed file.
func Check(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("check: %v", err)
		}
		return nil
	})
}

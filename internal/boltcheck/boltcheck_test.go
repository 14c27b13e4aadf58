package boltcheck

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestGuardFault reads a mapped page past the end of its file (SIGBUS,
// as bbolt does on a truncated file): guard turns it into an error.
func TestGuardFault(t *testing.T) {
	ps := os.Getpagesize()
	path := filepath.Join(t.TempDir(), "short")
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, ps), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, 2*ps, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Munmap(m) }()
	var got byte
	err = guard(func() error {
		got = m[ps]
		return nil
	})
	var pe panicError
	if !errors.As(err, &pe) {
		t.Fatalf("guard = %v (read %d), want a recovered fault", err, got)
	}
	if err := guard(func() error { panic("assertion failed") }); !errors.As(err, &pe) {
		t.Errorf("guard of a panic = %v", err)
	}
	want := errors.New("plain")
	if err := guard(func() error { return want }); err != want {
		t.Errorf("guard = %v, want %v", err, want)
	}
}

// TestOpenRandomDamage garbles a real file with nested buckets a few bytes
// at a time, 2,000 ways (a fixed seed: a failure reproduces), and opens
// each: Open must answer, with a database that passes bbolt's check or
// with an error, never crash nor hang. Mutation 568 once made a branch
// page point back at itself, and bbolt's cursor descended it forever (now
// walkTree refuses a page reached twice); others faulted in bbolt's own
// goroutines.
func TestOpenRandomDamage(t *testing.T) {
	seed := filepath.Join(t.TempDir(), "seed.db")
	db, err := bolt.Open(seed, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		nb, err := b.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		for i := range 200 {
			if err := nb.Put([]byte{byte(i), 'k'}, make([]byte, 40+i)); err != nil {
				return err
			}
		}
		if _, err := b.CreateBucket([]byte("inline")); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	})
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	opened, refused := 0, 0
	for i := range 2000 {
		data := bytes.Clone(base)
		for range 1 + rng.IntN(8) {
			data[rng.IntN(len(data))] = byte(rng.Uint32())
		}
		path := filepath.Join(dir, fmt.Sprintf("d%d.db", i))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		res := make(chan error, 1)
		go func() {
			db, err := Open(path, 0o600, bolt.Options{Timeout: time.Second})
			if err == nil {
				err = db.View(func(tx *bolt.Tx) error {
					for err := range tx.Check() {
						return fmt.Errorf("opened a file bbolt's check refuses: %w", err)
					}
					return nil
				})
				_ = db.Close()
				if err != nil {
					res <- err
					return
				}
				opened++
			} else {
				refused++
			}
			res <- nil
		}()
		select {
		case err := <-res:
			if err != nil {
				t.Fatalf("mutation %d: %v", i, err)
			}
		case <-time.After(30 * time.Second): // a hang guard, not a timing claim
			t.Fatalf("mutation %d: Open hangs", i)
		}
		_ = os.Remove(path)
	}
	t.Logf("%d opened, %d refused", opened, refused)
}

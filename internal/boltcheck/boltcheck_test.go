package boltcheck

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
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

package upstream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yanma/internal/boltcheck/damagetest"
	"yanma/verify"
)

// upHeld is what a test upstream holds, read back through its API.
type upHeld struct {
	root, issuer verify.JWK
	admin        string
	head         uint64
	color        verify.Color
	reports      int
}

func readUpHeld(t *testing.T, s *Server) upHeld {
	t.Helper()
	h := upHeld{root: s.RootJWK(), issuer: s.IssuerJWK(), admin: s.AdminToken()}
	var err error
	if h.head, err = s.RevocationHead(); err != nil {
		t.Fatalf("RevocationHead: %v", err)
	}
	c, ok, err := s.Person("sub-7")
	if err != nil || !ok {
		t.Fatalf("Person: %v, %v", ok, err)
	}
	h.color = c
	if h.reports, err = s.ReportCount(); err != nil {
		t.Fatalf("ReportCount: %v", err)
	}
	return h
}

// buildUpstream makes an upstream's file with its keys, some hundreds of
// persons and a few thousand revocations, so that its tree is several
// levels deep and spans many pages.
func buildUpstream(t *testing.T, dir string) (string, upHeld) {
	t.Helper()
	path := filepath.Join(dir, "upstream.db")
	ctx := context.Background()
	s, err := Open(path, WithClock(newClock().now))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if _, err := s.Issue(ctx, PersonRequest{Sub: fmt.Sprintf("sub-%d", i), Name: "王小明", ID: "450103199001011234"}); err != nil {
			t.Fatal(err)
		}
	}
	entries := make([]verify.RevocationEntry, 5000)
	for i := range entries {
		entries[i] = verify.RevocationEntry{SH: verify.HashPerson(DefaultIssuer, fmt.Sprintf("gone-%d", i)).String(), Before: int64(1000 + i)}
	}
	if err := s.Revoke(ctx, entries...); err != nil {
		t.Fatal(err)
	}
	if err := s.SetColor(ctx, "sub-7", verify.Red, "test"); err != nil {
		t.Fatal(err)
	}
	want := readUpHeld(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Open once more: its commit changes nothing, so both meta pages now
	// describe the same data and losing either one loses nothing.
	s, err = Open(path, WithClock(newClock().now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, want
}

// TestOpenDamaged: a damaged file gives ErrCorrupt and stays as it was
// (damagetest.Cases says when Open may succeed instead).
func TestOpenDamaged(t *testing.T) {
	for _, tc := range damagetest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			path, want := buildUpstream(t, t.TempDir())
			tc.Damage(t, path)
			before := damagetest.FileSum(t, path)
			s, err := Open(path, WithClock(newClock().now))
			if err == nil {
				defer s.Close()
				if tc.MustFail {
					t.Fatal("Open of a damaged file succeeded")
				}
				t.Log("Open succeeded")
				if got := readUpHeld(t, s); got != want {
					t.Errorf("after Open holds %+v, want %+v", got, want)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				damagetest.Check(t, path)
				return
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			for _, s := range []string{path, "data file damaged", "restore a copy", "move it away"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			// Open let go of the file (bbolt's lock included, even when
			// bolt.Open panicked): it gives the same error again.
			if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
				t.Errorf("second Open = %v, want ErrCorrupt", err)
			}
			if damagetest.FileSum(t, path) != before {
				t.Error("Open changed the damaged file")
			}
			// The lock was let go: the file can be moved away and a new
			// upstream started at the same path.
			if err := os.Rename(path, path+".damaged"); err != nil {
				t.Fatal(err)
			}
			fresh := open(t, path)
			if fresh.RootJWK() == want.root {
				t.Error("a fresh upstream has the damaged one's root")
			}
		})
	}
}

func TestOpenHealthy(t *testing.T) {
	path, want := buildUpstream(t, t.TempDir())
	s := open(t, path, WithClock(newClock().now))
	if got := readUpHeld(t, s); got != want {
		t.Errorf("holds %+v, want %+v", got, want)
	}
}

// TestOpenNotAFile: an error of the system is not reported as damage.
func TestOpenNotAFile(t *testing.T) {
	_, err := Open(t.TempDir())
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a directory = %v, want an error other than ErrCorrupt", err)
	}
}

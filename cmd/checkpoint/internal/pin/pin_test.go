package pin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("480213")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q", h)
	}
	if strings.Contains(h, "480213") {
		t.Fatal("the PIN is in its hash")
	}
	tests := []struct {
		name string
		pin  string
		want error
	}{
		{"right", "480213", nil},
		{"wrong", "480214", ErrWrongPIN},
		{"prefix", "48021", ErrWrongPIN},
		{"empty", "", ErrWrongPIN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.pin, h); !errors.Is(err, tc.want) {
				t.Errorf("Verify(%q) = %v, want %v", tc.pin, err, tc.want)
			}
		})
	}
	h2, _ := Hash("480213")
	if h2 == h {
		t.Error("two hashes of one PIN are equal: no salt")
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pin string
		ok  bool
	}{
		{"480213", true}, {"90817263", true},
		{"12345", false}, {"1234567890123", false}, {"123456", false}, {"654321", false},
		{"000000", false}, {"890123", false}, {"48021a", false}, {"４８０２１３", false},
	}
	for _, tc := range tests {
		t.Run(tc.pin, func(t *testing.T) {
			err := Check(tc.pin)
			if (err == nil) != tc.ok {
				t.Errorf("Check(%q) = %v, want ok=%v", tc.pin, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrWeakPIN) {
				t.Errorf("err = %v, want ErrWeakPIN", err)
			}
		})
	}
}

func TestBadHash(t *testing.T) {
	good, _ := Hash("480213")
	parts := strings.Split(good, "$")
	tests := []struct {
		name string
		hash string
	}{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"huge memory", strings.Replace(good, "m=65536", "m=99999999", 1)},
		{"many passes", strings.Replace(good, "t=3", "t=1000", 1)},
		{"zero lanes", strings.Replace(good, "p=2", "p=0", 1)},
		{"bad salt", strings.Join(append(parts[:4:4], "!!!", parts[5]), "$")},
		{"short key", strings.Join(append(parts[:5:5], "AAAA"), "$")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify("480213", tc.hash); !errors.Is(err, ErrBadHash) {
				t.Errorf("err = %v, want ErrBadHash", err)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	h, err := hash("480213", 64, 1, 1) // the Guard's logic, not the KDF's cost, is under test
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 2, 10, 8, 0, 0, 0, time.UTC)
	g := NewGuard(h, func() time.Time { return now })
	for i := range FreeTries {
		if err := g.Verify("111111"); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if err := g.Verify("480213"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("after %d wrong tries even the right PIN must wait: %v", FreeTries, err)
	}
	now = now.Add(31 * time.Second)
	if err := g.Verify("222222"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("after the wait: %v", err)
	}
	now = now.Add(31 * time.Second)
	if err := g.Verify("480213"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("the second wait must be longer: %v", err)
	}
	now = now.Add(time.Minute)
	if err := g.Verify("480213"); err != nil {
		t.Fatalf("right PIN after the wait: %v", err)
	}
	if err := g.Verify("333333"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("a right PIN resets the count: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	good, _ := Hash("480213")
	f.Add("480213", good)
	f.Add("", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, pin, hash string) {
		if strings.Contains(hash, "m=") && !strings.HasPrefix(hash, "$argon2id$v=19$m=8,") {
			t.Skip("keep the fuzzer off expensive parameters")
		}
		err := Verify(pin, hash)
		if err != nil && !errors.Is(err, ErrWrongPIN) && !errors.Is(err, ErrBadHash) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// TestGuardKeptInFile: the count of wrong PINs outlives the process (a new
// Guard on the same file, as each `checkpoint export` makes); a damaged
// file counts as a pause after the next wrong PIN, not as a fresh start; a
// try that cannot be written says so.
func TestGuardKeptInFile(t *testing.T) {
	h, err := hash("480213", 64, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 2, 10, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	path := filepath.Join(t.TempDir(), "operator.pin.tries")
	process := func() *Guard {
		g := NewGuard(h, clock)
		if err := g.KeepIn(path); err != nil {
			t.Fatal(err)
		}
		return g
	}
	for i := range FreeTries {
		if err := process().Verify("111111"); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if err := process().Verify("480213"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("a new process after %d wrong tries: %v, want ErrLockedOut", FreeTries, err)
	}
	now = now.Add(31 * time.Second)
	if err := process().Verify("480213"); err != nil {
		t.Fatalf("right PIN after the wait: %v", err)
	}
	if err := process().Verify("222222"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("the right PIN reset the count in the file: %v", err)
	}

	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := process()
	if err := g.Verify("333333"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("damaged file, wrong PIN: %v", err)
	}
	if err := process().Verify("480213"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("a damaged file then a wrong PIN must pause: %v", err)
	}

	ro := NewGuard(h, clock)
	if err := ro.KeepIn(filepath.Join(t.TempDir(), "gone", "tries")); err != nil {
		t.Fatal(err)
	}
	err = ro.Verify("444444")
	if !errors.Is(err, ErrWrongPIN) || !strings.Contains(err.Error(), "could not be counted") {
		t.Fatalf("unwritable count: %v, want a wrong PIN that says it was not counted", err)
	}
}

// TestSaveHash: the hash is written whole, for its owner only, and reads
// back as a hash that verifies; writing again replaces it.
func TestSaveHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "operator.pin")
	for _, p := range []string{"480213", "906174"} {
		h, err := hash(p, 64, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := SaveHash(path, h); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(p, strings.TrimSpace(string(b))); err != nil {
			t.Errorf("PIN %s against the saved hash: %v", p, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", st.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files beside the hash, want none left over", len(entries)-1)
	}
}

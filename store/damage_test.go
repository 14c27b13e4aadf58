package store

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"yanma/internal/boltcheck/damagetest"
	"yanma/verify"
)

// held is what a test store holds, read back through the store's API.
type held struct {
	deviceID  string
	entries   int
	outbox    int
	persons   uint64
	trustSeq  uint64
	revokedOK bool
}

func readHeld(t *testing.T, db *DB, probe verify.PersonHash) held {
	t.Helper()
	var h held
	id, _, err := db.Device()
	if err != nil {
		t.Fatalf("Device: %v", err)
	}
	h.deviceID = id
	es, err := db.Entries(time.Time{}, testT0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatalf("Entries: %v", err)
	}
	h.entries = len(es)
	if h.outbox, _, err = db.OutboxStats(); err != nil {
		t.Fatalf("OutboxStats: %v", err)
	}
	h.persons, _ = db.RevocationCounts()
	tl, err := db.Trust()
	if err != nil {
		t.Fatalf("Trust: %v", err)
	}
	h.trustSeq = tl.Seq
	if _, h.revokedOK, err = db.RevokedBefore(probe); err != nil {
		t.Fatalf("RevokedBefore: %v", err)
	}
	return h
}

// buildStore makes a terminal's file with an identity, a trust list, a
// few thousand revocations and some hundreds of entries with reports, so
// that its tree is several levels deep and spans a few hundred pages.
func buildStore(t *testing.T, dir string) (path string, want held, probe verify.PersonHash) {
	t.Helper()
	path = filepath.Join(dir, "terminal.db")
	// No fsync while building: the test reads the file, it does not crash.
	db, err := Open(path, WithUnsafeNoSync())
	if err != nil {
		t.Fatal(err)
	}
	root := newAuthority(t, "root-1")
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTrustList(root.trustList(t, 3, testT0), testT0); err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetDevice("dev-1", key); err != nil {
		t.Fatal(err)
	}
	keys := benchKeys(5000, 7)
	tok := root.feed(t, verify.RevocationFeed{To: 1, Full: true, Count: uint64(len(keys)), Entries: entriesOf(keys, 0)})
	if _, err := db.ApplyRevocations(tok, testT0); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if _, err := db.Record(testEntry(testT0.Add(time.Duration(i)*time.Second)), testReport(verify.ReportFever)); err != nil {
			t.Fatal(err)
		}
	}
	want = readHeld(t, db, keys[100])
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Open once more: its commit (Open initialises the buckets) changes
	// nothing, so both meta pages now describe the same data and losing
	// either one loses nothing.
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, want, keys[100]
}

func TestOpenDamaged(t *testing.T) {
	for _, tc := range damagetest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			path, want, probe := buildStore(t, t.TempDir())
			tc.Damage(t, path)
			before := damagetest.FileSum(t, path)
			db, err := Open(path, WithOpenTimeout(time.Second))
			if err == nil {
				defer db.Close()
				if tc.MustFail {
					t.Fatal("Open of a damaged file succeeded")
				}
				t.Log("Open succeeded")
				if got := readHeld(t, db, probe); got != want {
					t.Errorf("after Open holds %+v, want %+v", got, want)
				}
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
				checkFile(t, path)
				return
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			for _, s := range []string{path, "data file damaged", "move it away", "enrolled again"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			// Open let go of the file (bbolt's lock included, even when
			// bolt.Open panicked): it gives the same error again.
			if _, err := Open(path, WithOpenTimeout(100*time.Millisecond)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("second Open = %v, want ErrCorrupt", err)
			}
			if damagetest.FileSum(t, path) != before {
				t.Error("Open changed the damaged file")
			}
			// The lock was let go: the file can be moved away and a new
			// terminal started at the same path.
			if err := os.Rename(path, path+".damaged"); err != nil {
				t.Fatal(err)
			}
			db = openTestAt(t, path)
			if _, _, err := db.Device(); !errors.Is(err, ErrNotEnrolled) {
				t.Errorf("fresh file: Device = %v, want ErrNotEnrolled", err)
			}
		})
	}
}

func TestOpenHealthy(t *testing.T) {
	path, want, probe := buildStore(t, t.TempDir())
	db := openTestAt(t, path)
	if got := readHeld(t, db, probe); got != want {
		t.Errorf("holds %+v, want %+v", got, want)
	}
}

// TestOpenNew: no file at all is a new terminal, not a damaged one.
func TestOpenNew(t *testing.T) {
	db := openTest(t)
	if _, _, err := db.Device(); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("Device = %v, want ErrNotEnrolled", err)
	}
}

// TestOpenNotAFile: an error of the system is not reported as damage.
func TestOpenNotAFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir)
	if err == nil || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a directory = %v, want an error other than ErrCorrupt", err)
	}
}

// BenchmarkOpenLarge measures Open (with its checks) of a store of
// YANMA_STORE_BENCH_N revoked persons (default 100,000) and 5,000 entries:
//
//	YANMA_STORE_BENCH_N=1000000 go test -run '^$' -bench OpenLarge -benchtime 10x ./store/
func BenchmarkOpenLarge(b *testing.B) {
	path, _, _ := template(b)
	db, err := Open(path, WithUnsafeNoSync())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		if _, err := db.RecordBatch(testEntry(testT0.Add(time.Duration(i)*time.Second)), testReport(verify.ReportFever)); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	size, _ := fileSize(path)
	b.Logf("file of %d persons, 5000 entries: %.1f MiB", benchN(b), float64(size)/(1<<20))
	for _, cold := range []bool{false, true} {
		// Cold: the file's pages dropped from the page cache first, as
		// after a reboot (the disk's speed then counts).
		b.Run(fmt.Sprintf("Open/cold=%t", cold), func(b *testing.B) {
			for b.Loop() {
				if cold {
					b.StopTimer()
					dropCache(b, path)
					b.StartTimer()
				}
				db, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				_ = db.Close()
			}
		})
	}
	// Before the checks: bbolt's open and the store's load alone.
	for _, cold := range []bool{false, true} {
		b.Run(fmt.Sprintf("unchecked/cold=%t", cold), func(b *testing.B) {
			for b.Loop() {
				if cold {
					b.StopTimer()
					dropCache(b, path)
					b.StartTimer()
				}
				bd, err := bolt.Open(path, fileMode, &bolt.Options{Timeout: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				db := &DB{path: path, bolt: bd, layerMin: layerMinEntries}
				if err := db.load(); err != nil {
					b.Fatal(err)
				}
				_ = db.Close()
			}
		})
	}
}

// dropCache asks the kernel to drop the file's pages from the page cache.
func dropCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
}

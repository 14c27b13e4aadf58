package store

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"yanma/verify"
)

// Scale benchmarks run at YANMA_STORE_BENCH_N revoked persons (default
// 100,000, so that `make bench` stays quick). The figures of issue 5 are
// for ten million:
//
//	YANMA_STORE_BENCH_N=10000000 go test -run '^$' -bench 'Revocation' -benchtime 1x -timeout 60m ./store/
//
// The delta is a tenth of N (1,000,000 at ten million); pages of a
// snapshot hold benchPage entries.
const benchPage = 100_000

func benchN(b *testing.B) int {
	b.Helper()
	s := os.Getenv("YANMA_STORE_BENCH_N")
	if s == "" {
		return 100_000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("YANMA_STORE_BENCH_N=%q", s)
	}
	return n
}

// benchKeys makes n distinct random person hashes, sorted, and the
// before value of each (from a fixed seed: every run sees the same data).
func benchKeys(n int, seed uint64) []verify.PersonHash {
	rng := rand.New(rand.NewPCG(seed, 42))
	keys := make([]verify.PersonHash, n)
	for i := range keys {
		for j := 0; j < 16; j += 8 {
			v := rng.Uint64()
			for k := range 8 {
				keys[i][j+k] = byte(v >> (8 * k))
			}
		}
	}
	slices.SortFunc(keys, func(a, b verify.PersonHash) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(keys)
}

func benchBefore(i int) int64 { return testT0.Unix() + int64(i%86400) }

func entriesOf(keys []verify.PersonHash, offset int) []verify.RevocationEntry {
	out := make([]verify.RevocationEntry, len(keys))
	for i, k := range keys {
		out[i] = verify.RevocationEntry{SH: hex.EncodeToString(k[:]), Before: benchBefore(offset + i)}
	}
	return out
}

// buildSnapshot applies keys as a paged full snapshot at seq 1, with the
// timer running only while the store works (signing is the upstream's).
// It returns the CPU time the store's calls took.
func buildSnapshot(b *testing.B, db *DB, root *authority, keys []verify.PersonHash) time.Duration {
	b.Helper()
	var cpu time.Duration
	s, err := db.BeginRevocationSnapshot()
	if err != nil {
		b.Fatal(err)
	}
	for off := 0; off < len(keys); off += benchPage {
		end := min(off+benchPage, len(keys))
		b.StopTimer()
		tok := root.feed(b, verify.RevocationFeed{To: 1, Full: true, Count: uint64(len(keys)), Entries: entriesOf(keys[off:end], off)})
		b.StartTimer()
		c0 := cpuTime()
		if _, err := s.AddPage(tok, ""); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
	}
	c0 := cpuTime()
	if _, err := s.Commit(testT0); err != nil {
		b.Fatal(err)
	}
	return cpu + cpuTime() - c0
}

func openBench(b *testing.B, path string) (*DB, *authority) {
	b.Helper()
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	root := newAuthority(b, "root-1")
	if err := db.PinRoots(root.jwk()); err != nil {
		b.Fatal(err)
	}
	return db, root
}

// BenchmarkRevocationSnapshot applies a full snapshot of N persons in pages
// over a fresh file and reports the file's bytes per entry.
func BenchmarkRevocationSnapshot(b *testing.B) {
	n := benchN(b)
	keys := benchKeys(n, 1)
	var perEntry, livePerEntry float64
	var cpuSum time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), fmt.Sprintf("snap%d.db", i))
		db, root := openBench(b, path)
		b.StartTimer()
		cpuSum += buildSnapshot(b, db, root, keys)
		b.StopTimer()
		size, live, err := db.Space()
		if err != nil {
			b.Fatal(err)
		}
		perEntry, livePerEntry = float64(size)/float64(len(keys)), float64(live)/float64(len(keys))
		_ = db.Close()
		_ = os.Remove(path)
		b.StartTimer()
	}
	b.ReportMetric(perEntry, "file-bytes/entry")
	b.ReportMetric(livePerEntry, "live-bytes/entry")
	b.ReportMetric(float64(len(keys))*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(cpuSum.Seconds()/float64(b.N), "cpu-s/op")
}

// template builds (once per benchmark) a store of N persons and returns
// its path; benchmarks that change it work on a copy.
func template(b *testing.B) (string, *authority, []verify.PersonHash) {
	b.Helper()
	n := benchN(b)
	keys := benchKeys(n, 1)
	path := filepath.Join(b.TempDir(), "template.db")
	db, root := openBench(b, path)
	buildSnapshot(b, db, root, keys)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return path, root, keys
}

func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRevocationLookup looks up persons in a store of N, half of
// them revoked (hits) and half not (the common case at a checkpoint), and
// reports the latency distribution of single lookups (warm page cache):
// over the base alone, and with a delta of N/10 as a second layer (a miss
// then searches both).
func BenchmarkRevocationLookup(b *testing.B) {
	path, root, keys := template(b)
	delta := benchKeys(max(len(keys)/10, 1), 5)
	for _, layered := range []bool{false, true} {
		b.Run(fmt.Sprintf("layers=%d", map[bool]int{false: 1, true: 2}[layered]), func(b *testing.B) {
			work := filepath.Join(b.TempDir(), "lookup.db")
			copyFile(b, path, work)
			db, err := Open(work)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if layered {
				tok := root.feed(b, verify.RevocationFeed{From: 1, To: 2, Entries: entriesOf(delta, 0)})
				if _, err := db.ApplyRevocations(tok, testT0); err != nil {
					b.Fatal(err)
				}
			}
			benchLookups(b, db, keys)
		})
	}
}

func benchLookups(b *testing.B, db *DB, keys []verify.PersonHash) {
	misses := benchKeys(len(keys)/10+1, 2)
	rng := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, 1<<20)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var p verify.PersonHash
		hit := i%2 == 0
		if hit {
			p = keys[rng.IntN(len(keys))]
		} else {
			p = misses[rng.IntN(len(misses))]
		}
		t0 := time.Now()
		_, found, err := db.RevokedBefore(p)
		d := time.Since(t0)
		if err != nil || (hit && !found) {
			b.Fatalf("lookup %x: %v, %v", p, found, err)
		}
		if len(lat) < cap(lat) {
			lat = append(lat, d)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
		b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
	}
}

// BenchmarkRevocationDelta applies one signed delta of N/10 new persons
// (1,000,000 at ten million) to a store of N: verification, parse, and the
// one bbolt transaction. It reports the file's bytes per entry after.
func BenchmarkRevocationDelta(b *testing.B) {
	path, root, keys := template(b)
	m := max(len(keys)/10, 1)
	delta := benchKeys(m, 5)
	tok := root.feed(b, verify.RevocationFeed{From: 1, To: 2, Entries: entriesOf(delta, 0)})
	b.ReportMetric(float64(len(tok)), "token-bytes")
	var perEntry, livePerEntry float64
	var cpuSum time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		work := filepath.Join(b.TempDir(), fmt.Sprintf("delta%d.db", i))
		copyFile(b, path, work)
		db, err := Open(work)
		if err != nil {
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		b.StartTimer()
		if _, err := db.ApplyRevocations(tok, testT0); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpuSum += cpuTime() - cpu0
		total := float64(len(keys) + len(delta))
		size, live, _ := db.Space()
		perEntry, livePerEntry = float64(size)/total, float64(live)/total
		_ = db.Close()
		_ = os.Remove(work)
		b.StartTimer()
	}
	b.ReportMetric(perEntry, "file-bytes/entry")
	b.ReportMetric(livePerEntry, "live-bytes/entry")
	b.ReportMetric(float64(m), "delta-entries")
	b.ReportMetric(cpuSum.Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkRecord is one durable Record (entry + fever report, fsync).
func BenchmarkRecord(b *testing.B) {
	db := openTest(b)
	for i := 0; b.Loop(); i++ {
		if _, err := db.Record(testEntry(testT0.Add(time.Duration(i)*time.Millisecond)), testReport(verify.ReportFever)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordParallel records from many goroutines (GOMAXPROCS × 8):
// each Record its own fsynced transaction, against RecordBatch, where
// bbolt's Batch shares one commit among concurrent callers.
func BenchmarkRecordParallel(b *testing.B) {
	for _, mode := range []string{"Record", "RecordBatch"} {
		b.Run(mode, func(b *testing.B) {
			db := openTest(b)
			rec := db.Record
			if mode == "RecordBatch" {
				rec = db.RecordBatch
			}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := rec(testEntry(testT0), testReport(verify.ReportFever)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkOutbox drains an outbox of 100,000 reports the way the push
// loop does: PendingReports(500), then AckReports of those ids, until empty.
// The network is the sync package's; this is the store's share.
func BenchmarkOutbox(b *testing.B) {
	const n, batch = 100_000, 500
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "outbox.db")
		fill, err := Open(path, WithUnsafeNoSync())
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			kind := verify.ReportFever
			if i%10 == 0 {
				kind = verify.ReportRedSighting
			}
			if _, err := fill.Record(testEntry(testT0.Add(time.Duration(i)*time.Second)), testReport(kind)); err != nil {
				b.Fatal(err)
			}
		}
		_ = fill.Close()
		db, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for {
			rs, err := db.PendingReports(batch)
			if err != nil {
				b.Fatal(err)
			}
			if len(rs) == 0 {
				break
			}
			if err := db.AckReports(reportIDs(rs)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if k, _, _ := db.OutboxStats(); k != 0 {
			b.Fatalf("%d left", k)
		}
		_ = db.Close()
		b.StartTimer()
	}
}

// cpuTime is the process's user+system CPU time so far: next to wall time
// on a shared machine, it tells the work from the waiting (background GC
// of the test's own garbage included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

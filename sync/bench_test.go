package sync

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"yanma/store"
	"yanma/sync/upstream"
	"yanma/verify"
)

// Heavy benchmarks (100,000 reports, 10 million revocations) run only with
// YANMA_BENCH_HEAVY=1; see docs/benchmarks.md for the commands.
func heavy(b *testing.B) {
	if os.Getenv("YANMA_BENCH_HEAVY") == "" {
		b.Skip("set YANMA_BENCH_HEAVY=1")
	}
}

// BenchmarkPushOutbox pushes an outbox of n fever reports over loopback to
// the reference upstream: batches of 500, each with a fresh device token,
// gzip on the wire, one durable commit upstream and one ack commit on the
// terminal per batch.
func BenchmarkPushOutbox(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			if n > 1_000 {
				heavy(b)
			}
			ctx := context.Background()
			up := newUpstream(b)
			is := issue(b, up, "bench", verify.Green)
			code, err := up.NewEnrollmentCode(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "terminal.db")
				fillOutbox(b, path, is, n)
				db, err := store.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				c := NewClient(up.URL(), db)
				if _, _, err := db.Device(); err != nil {
					if code == "" {
						if code, err = up.NewEnrollmentCode(ctx); err != nil {
							b.Fatal(err)
						}
					}
					if err := c.Enroll(ctx, code); err != nil {
						b.Fatal(err)
					}
					code = ""
				}
				b.StartTimer()
				if err := c.Push(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if left := outbox(b, db); left != 0 {
					b.Fatalf("%d left", left)
				}
				_ = db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "reports/s")
		})
	}
}

// fillOutbox records n entries with fever reports, without fsync (the
// filling is not what is measured; the file is closed cleanly).
func fillOutbox(b *testing.B, path string, is upstream.Issued, n int) {
	b.Helper()
	db, err := store.Open(path, store.WithUnsafeNoSync())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		e := store.Entry{Time: at, Site: verify.SiteMall, Issuer: is.Claims.Iss, JTI: is.Claims.JTI, Person: is.Person.String(),
			Color: verify.Green, Valid: true, Reason: verify.ReasonOK, TemperatureC: 37.9, ThresholdC: 37.3,
			Verdict: verify.VerdictDeny, Report: verify.ReportFever}
		r := &store.Report{Kind: verify.ReportFever, Time: at, Issuer: is.Claims.Iss, Sub: is.Claims.Sub, JTI: is.Claims.JTI,
			Color: verify.Green, TemperatureC: 37.9}
		if _, err := db.Record(e, r); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFullSnapshot pulls a full revocation snapshot of n persons over
// loopback into a fresh terminal: paged (50,000 entries a page), gzip,
// every page verified and staged, one commit with the count check.
// YANMA_BENCH_SNAPSHOT_N sets the heavy size (default 10,000,000);
// YANMA_BENCH_DIR keeps the filled upstream file between runs.
func BenchmarkFullSnapshot(b *testing.B) {
	big := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("YANMA_BENCH_SNAPSHOT_N")); err == nil && v > 0 {
		big = v
	}
	for _, n := range []int{100_000, big} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			if n > 100_000 {
				heavy(b)
			}
			ctx := context.Background()
			up := snapshotUpstream(b, n)
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				db := newTerminal(b)
				if err := db.PinRoots(up.RootJWK()); err != nil {
					b.Fatal(err)
				}
				ct := &countingTransport{next: http.DefaultTransport}
				c := NewClient(up.URL(), db, WithRequestTimeout(10*time.Minute), WithHTTPClient(&http.Client{Transport: ct}))
				b.StartTimer()
				if err := c.Pull(ctx); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if persons, _ := db.RevocationCounts(); persons != uint64(n) {
					b.Fatalf("%d persons, want %d", persons, n)
				}
				fi, err := os.Stat(db.Path())
				if err == nil {
					b.ReportMetric(float64(fi.Size())/float64(n), "file-bytes/entry")
				}
				b.ReportMetric(float64(ct.n.Load())/float64(n), "wire-bytes/entry")
				_ = db.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// snapshotUpstream is an upstream holding n person revocations.
func snapshotUpstream(b *testing.B, n int) *testUpstream {
	b.Helper()
	dir := os.Getenv("YANMA_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("upstream-%d.db", n))
	_, statErr := os.Stat(path)
	s, err := upstream.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if head, _ := s.RevocationHead(); statErr != nil || head < uint64(n) {
		const chunk = 100_000
		entries := make([]verify.RevocationEntry, 0, chunk)
		for i := int(head); i < n; i++ {
			entries = append(entries, verify.RevocationEntry{SH: verify.HashPerson("450000", "p"+strconv.Itoa(i)).String(), Before: 1_580_000_000 + int64(i%86400)})
			if len(entries) == chunk || i == n-1 {
				if err := s.Revoke(context.Background(), entries...); err != nil {
					b.Fatal(err)
				}
				entries = entries[:0]
			}
		}
	}
	up := &testUpstream{Server: s, http: newHTTPServer(s)}
	b.Cleanup(func() {
		up.http.Close()
		_ = s.Close()
	})
	return up
}

// countingTransport counts the body bytes received, as they came over the
// wire (compressed).
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// BenchmarkPushConcurrent: many terminals push small outboxes to one
// upstream at the same moment (after a network outage heals, say); the
// upstream's commits of simultaneous batches are shared.
func BenchmarkPushConcurrent(b *testing.B) {
	const terminals, each = 50, 20
	ctx := context.Background()
	up := newUpstream(b)
	is := issue(b, up, "bench", verify.Green)
	clients := make([]*Client, terminals)
	dbs := make([]*store.DB, terminals)
	for i := range clients {
		dbs[i], clients[i] = enrolled(b, up, up.URL())
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for _, db := range dbs {
			for range each {
				r := &store.Report{Kind: verify.ReportFever, Issuer: is.Claims.Iss, Sub: is.Claims.Sub, Color: verify.Green, TemperatureC: 38}
				if _, err := db.Record(store.Entry{Verdict: verify.VerdictDeny, Reason: verify.ReasonOK}, r); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
		errs := make(chan error, terminals)
		for _, c := range clients {
			go func() { errs <- c.Push(ctx) }()
		}
		for range terminals {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(terminals*each*b.N)/b.Elapsed().Seconds(), "reports/s")
}

package sync

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
	"yanma/sync/internal/faultproxy"

	"yanma/store"
	"yanma/sync/upstream"
	"yanma/verify"
)

// testUpstream is the reference upstream on a loopback port with its own
// bbolt file.
type testUpstream struct {
	*upstream.Server
	http *httptest.Server
}

func newUpstream(t testing.TB, opts ...upstream.Option) *testUpstream {
	t.Helper()
	s, err := upstream.Open(filepath.Join(t.TempDir(), "upstream.db"), opts...)
	if err != nil {
		t.Fatalf("open upstream: %v", err)
	}
	hs := newHTTPServer(s)
	t.Cleanup(func() {
		hs.Close()
		_ = s.Close()
	})
	return &testUpstream{Server: s, http: hs}
}

func (u *testUpstream) URL() string { return u.http.URL }

// newTerminal opens a terminal store on a real file.
func newTerminal(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "terminal.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// enrolled is a terminal enrolled with up through a client at url.
func enrolled(t testing.TB, up *testUpstream, url string, opts ...Option) (*store.DB, *Client) {
	t.Helper()
	db := newTerminal(t)
	c := NewClient(url, db, append([]Option{WithRequestTimeout(30 * time.Second)}, opts...)...)
	code, err := up.NewEnrollmentCode(context.Background())
	if err != nil {
		t.Fatalf("enrollment code: %v", err)
	}
	if err := c.Enroll(context.Background(), code); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	return db, c
}

// feverReport records an entry with a fever report for the code's holder.
func feverReport(t testing.TB, db *store.DB, is upstream.Issued, at time.Time) store.Report {
	t.Helper()
	return record(t, db, is, verify.ReportFever, at)
}

func record(t testing.TB, db *store.DB, is upstream.Issued, kind verify.ReportKind, at time.Time) store.Report {
	t.Helper()
	r := &store.Report{Kind: kind, Time: at, Site: verify.SiteRoad, Issuer: is.Claims.Iss, Sub: is.Claims.Sub,
		JTI: is.Claims.JTI, Color: is.Claims.Col, TemperatureC: 38.2}
	e := store.Entry{Time: at, Site: verify.SiteRoad, Issuer: is.Claims.Iss, JTI: is.Claims.JTI,
		Person: is.Person.String(), Color: is.Claims.Col, Valid: true, Reason: verify.ReasonOK,
		TemperatureC: 38.2, ThresholdC: 37.3, Verdict: verify.VerdictDeny, Report: kind}
	if _, err := db.Record(e, r); err != nil {
		t.Fatalf("record: %v", err)
	}
	reps, err := db.PendingReports(0)
	if err != nil || len(reps) == 0 {
		t.Fatalf("pending reports: %v, %d", err, len(reps))
	}
	return reps[len(reps)-1]
}

func issue(t testing.TB, up *testUpstream, sub string, c verify.Color) upstream.Issued {
	t.Helper()
	is, err := up.Issue(context.Background(), upstream.PersonRequest{Sub: sub, Name: "张三丰", ID: "450103199001011234", Color: c})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return is
}

func verifyText(db *store.DB, text string) verify.Result {
	return verify.New(db, db, db).Verify(text)
}

func outbox(t testing.TB, db *store.DB) int {
	t.Helper()
	n, _, err := db.OutboxStats()
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	return n
}

func ed25519Key(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv, nil
}

func newHTTPServer(s *upstream.Server) *httptest.Server { return httptest.NewServer(s.Handler()) }

// newProxy puts a fault-injecting proxy in front of the upstream, closed
// when the test ends.
func newProxy(t testing.TB, up *testUpstream) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(up.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"errors"
	"testing"
	"time"

	"yanma/store"
	"yanma/sync/internal/faultproxy"
	"yanma/sync/upstream"
	"yanma/sync/wire"
	"yanma/verify"
)

// tamperSignature flips one character in a JWS's signature.
func tamperSignature(body []byte) []byte {
	b := bytes.Clone(bytes.TrimSpace(body))
	i := bytes.LastIndexByte(b, '.') + 5
	if i < len(b) {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return b
}

// foreignFeed is a well-formed feed following the terminal's seq, signed by
// a root it never pinned, revoking an innocent person.
func foreignFeed(t *testing.T, from, to uint64, innocent upstream.Issued) []byte {
	t.Helper()
	_, key, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := verify.NewSigner("foreign", key)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := s.Sign(verify.TypRevocations, verify.RevocationFeed{Iss: "450000-root", Iat: time.Now().Unix(), From: from, To: to,
		Entries: []verify.RevocationEntry{{SH: innocent.Person.String(), Before: time.Now().Add(time.Hour).Unix()}}})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(jws)
}

// Each fault between terminal and upstream: the terminal goes on verifying
// and recording, loses no report, applies nothing false, and converges once
// the proxy heals.
func TestFaultsConverge(t *testing.T) {
	tests := []struct {
		name   string
		inject func(t *testing.T, p *faultproxy.Proxy, e *faultEnv)
		want   error // what the sync under fault fails with
		// feedRefused: every revocation answer is broken.
		feedRefused bool
	}{
		{"refused connections", func(t *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
		}, ErrUnavailable, true},
		{"timeouts", func(_ *testing.T, p *faultproxy.Proxy, e *faultEnv) {
			e.client.timeout = 300 * time.Millisecond
			p.Inject(faultproxy.Fault{Kind: faultproxy.Hang})
		}, ErrUnavailable, true},
		{"500 everywhere", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Status, Status: 500})
		}, ErrUnavailable, true},
		{"429 on reports", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Path: wire.PathReports})
		}, ErrUnavailable, false},
		{"trust list cut in half", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.CutBody, Path: wire.PathTrustList})
		}, ErrUnavailable, false},
		{"feed cut in half", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.CutBody, Path: wire.PathRevocations})
		}, ErrUnavailable, true},
		{"reset mid-stream", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Reset})
		}, ErrUnavailable, true},
		{"push answer lost after the upstream applied it", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Drop, Path: wire.PathReports})
		}, ErrUnavailable, false},
		{"feed with an altered signature", func(_ *testing.T, p *faultproxy.Proxy, _ *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Rewrite, Path: wire.PathRevocations, Rewrite: tamperSignature})
		}, verify.ErrBadSignature, true},
		{"trust list with an altered signature", func(_ *testing.T, p *faultproxy.Proxy, e *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Respond, Path: wire.PathTrustList, Body: tamperSignature([]byte(e.newTrust))})
		}, verify.ErrBadSignature, false},
		{"feed from another root", func(t *testing.T, p *faultproxy.Proxy, e *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Respond, Path: wire.PathRevocations,
				Body: foreignFeed(t, e.db.RevocationSeq(), e.db.RevocationSeq()+1, e.innocent)})
		}, verify.ErrBadSignature, true},
		{"old feed replayed (an overlap)", func(_ *testing.T, p *faultproxy.Proxy, e *faultEnv) {
			p.Inject(faultproxy.Fault{Kind: faultproxy.Respond, Path: wire.PathRevocations, Body: []byte(e.oldFeed)})
		}, store.ErrSeqGap, true},
		{"old trust list replayed", func(t *testing.T, p *faultproxy.Proxy, e *faultEnv) {
			if err := e.client.Pull(context.Background()); err != nil || e.db.TrustSeq() != 2 {
				t.Fatalf("pull the new trust list first: %v, seq %d", err, e.db.TrustSeq())
			}
			p.Inject(faultproxy.Fault{Kind: faultproxy.Respond, Path: wire.PathTrustList, Body: []byte(e.oldTrust)})
		}, verify.ErrReplay, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newFaultEnv(t)
			tt.inject(t, e.proxy, e)
			trustSeq, revSeq, asOf := e.db.TrustSeq(), e.db.RevocationSeq(), e.db.SyncStatus()

			err := e.client.SyncOnce(ctx)
			if !errors.Is(err, tt.want) || !IsRetryable(err) {
				t.Fatalf("sync under fault: %v, want a retryable %v", err, tt.want)
			}
			if st := e.client.Status(); st.Online || st.LastError == nil {
				t.Fatalf("status under fault: online %v, last error %v", st.Online, st.LastError)
			}
			// Still scanning on what it holds: the innocent code passes;
			// the victim's old code is revoked exactly when the revocation
			// arrived in full.
			if r := verifyText(e.db, e.innocent.Credential); !r.Valid {
				t.Fatalf("innocent under fault: %s", r.Reason)
			}
			// (SyncOnce pushes first, so the pending fever report may have
			// added a revocation upstream beyond e.head by the time it pulls.)
			wantVictim := verify.ReasonOK
			if e.db.RevocationSeq() >= e.head {
				wantVictim = verify.ReasonRevoked
			}
			if r := verifyText(e.db, e.victim.Credential); r.Reason != wantVictim {
				t.Fatalf("victim under fault at seq %d: %s, want %s", e.db.RevocationSeq(), r.Reason, wantVictim)
			}
			feverReport(t, e.db, e.innocent2, time.Now())
			// Nothing false applied.
			if e.db.RevocationSeq() != revSeq && e.db.RevocationSeq() < e.head {
				t.Fatalf("revocation seq %d, held %d, upstream head %d", e.db.RevocationSeq(), revSeq, e.head)
			}
			if got := e.db.TrustSeq(); got < trustSeq {
				t.Fatalf("trust seq went back from %d to %d", trustSeq, got)
			}
			// "Last synced" moves only with a whole artefact applied (or
			// confirmed current by the upstream), never on a refused feed.
			if got := e.db.SyncStatus(); tt.feedRefused && !got.RevocationsAsOf.Equal(asOf.RevocationsAsOf) {
				t.Fatalf("revocations as-of moved without a feed applied: %v → %v", asOf.RevocationsAsOf, got.RevocationsAsOf)
			}

			if err := e.proxy.Heal(); err != nil {
				t.Fatal(err)
			}
			// A short timeout only had to cut the hang short.
			e.client.timeout = 30 * time.Second
			for i := range 2 { // the second pull fetches what the pushed fever revoked
				if err := e.client.SyncOnce(ctx); err != nil {
					t.Fatalf("sync %d after healing: %v", i, err)
				}
			}
			e.converged(t)
		})
	}
}

// faultEnv: an upstream, a proxy in front of it, and an enrolled terminal
// that has synced once and then has news waiting on both sides.
type faultEnv struct {
	up        *testUpstream
	proxy     *faultproxy.Proxy
	db        *store.DB
	client    *Client
	innocent  upstream.Issued // never revoked
	innocent2 upstream.Issued // reported with fever during the fault
	victim    upstream.Issued // turned yellow upstream while the terminal was away
	feverish  upstream.Issued // reported with fever by the terminal before the fault
	oldTrust  string
	newTrust  string
	oldFeed   string // a genuine delta from 0, which the terminal has applied
	head      uint64
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	ctx := context.Background()
	e := &faultEnv{up: newUpstream(t)}
	e.proxy = newProxy(t, e.up)
	e.db, e.client = enrolled(t, e.up, e.proxy.URL())
	var err error
	e.innocent = issue(t, e.up, "innocent", verify.Green)
	e.innocent2 = issue(t, e.up, "innocent2", verify.Green)
	e.victim = issue(t, e.up, "victim", verify.Green)
	e.feverish = issue(t, e.up, "feverish", verify.Green)
	if err := e.up.Revoke(ctx, verify.RevocationEntry{JTI: "some-old-code"}); err != nil {
		t.Fatal(err)
	}
	if e.oldTrust, err = e.up.TrustList(); err != nil {
		t.Fatal(err)
	}
	old, err := e.up.Revocations(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.oldFeed = old.JWS
	if err := e.client.SyncOnce(ctx); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	// News on both sides.
	if err := e.up.SetPolicy(verify.Policy{TempThresholdC: 37.5, ProofWindowS: 60, MaxOfflineHours: 48}); err != nil {
		t.Fatal(err)
	}
	if e.newTrust, err = e.up.TrustList(); err != nil {
		t.Fatal(err)
	}
	if err := e.up.SetColor(ctx, "victim", verify.Yellow, "close contact"); err != nil {
		t.Fatal(err)
	}
	if e.head, err = e.up.RevocationHead(); err != nil {
		t.Fatal(err)
	}
	feverReport(t, e.db, e.feverish, time.Now())
	return e
}

// converged checks the healed state: everything delivered once, everything
// pulled, the verdicts right.
func (e *faultEnv) converged(t *testing.T) {
	t.Helper()
	if n := outbox(t, e.db); n != 0 {
		t.Fatalf("outbox after healing: %d waiting", n)
	}
	if n, _ := e.up.ReportCount(); n != 2 {
		t.Fatalf("reports upstream: %d, want 2 (each once)", n)
	}
	for _, sub := range []string{"feverish", "innocent2"} {
		if col, _, _ := e.up.Person(sub); col != verify.Yellow {
			t.Fatalf("%s upstream: %s, want yellow", sub, col)
		}
	}
	head, _ := e.up.RevocationHead()
	if e.db.RevocationSeq() != head || head != e.head+2 {
		t.Fatalf("revocation seq %d, upstream head %d (want %d)", e.db.RevocationSeq(), head, e.head+2)
	}
	if tl, err := e.db.Trust(); err != nil || tl.Seq != 2 || tl.Policy.TempThresholdC != 37.5 {
		t.Fatalf("trust list after healing: %+v %v", tl, err)
	}
	tests := []struct {
		name string
		is   upstream.Issued
		want verify.Reason
	}{
		{"innocent", e.innocent, verify.ReasonOK},
		{"victim", e.victim, verify.ReasonRevoked},
		{"feverish", e.feverish, verify.ReasonRevoked},
		{"innocent2", e.innocent2, verify.ReasonRevoked},
	}
	for _, tt := range tests {
		if r := verifyText(e.db, tt.is.Credential); r.Reason != tt.want {
			t.Fatalf("%s after healing: %s, want %s", tt.name, r.Reason, tt.want)
		}
	}
	if st := e.client.Status(); !st.Online || st.LastError != nil || st.OutboxWaiting != 0 {
		t.Fatalf("status after healing: %+v", st)
	}
}

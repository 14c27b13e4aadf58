package verify

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestVerifyKeyRotation(t *testing.T) {
	w := newWorld(t)
	k2 := mustSigner(t, "k2", edKey("450000 next"))
	twin := mustSigner(t, "k1", edKey("450000 twin")) // same kid as w.ed
	c := w.claims()
	byK1 := sign(t, w.ed, TypCredential, c)
	byK2 := sign(t, k2, TypCredential, c)
	byTwin := sign(t, twin, TypCredential, c)

	keys := func(ks ...JWK) func(*mem) {
		return func(m *mem) {
			tl := *m.tl
			tl.Issuers = slices.Clone(tl.Issuers)
			tl.Issuers[0].Keys = ks
			m.tl = &tl
		}
	}
	window := func(k JWK, nbf, exp time.Time) JWK {
		if !nbf.IsZero() {
			k.NBF = nbf.Unix()
		}
		if !exp.IsZero() {
			k.EXP = exp.Unix()
		}
		return k
	}
	runVerifyCases(t, w, []verifyCase{
		{name: "old and new key during rotation: old", text: byK1, setup: keys(w.ed.PublicJWK(), k2.PublicJWK()), want: ReasonOK, valid: true},
		{name: "old and new key during rotation: new", text: byK2, setup: keys(w.ed.PublicJWK(), k2.PublicJWK()), want: ReasonOK, valid: true},
		{name: "dropped key stops verifying", text: byK1, setup: keys(k2.PublicJWK()), want: ReasonUnknownKey},
		{name: "two keys with one kid: first", text: byK1, setup: keys(twin.PublicJWK(), w.ed.PublicJWK()), want: ReasonOK, valid: true},
		{name: "two keys with one kid: second", text: byTwin, setup: keys(w.ed.PublicJWK(), twin.PublicJWK()), want: ReasonOK, valid: true},
		{name: "key window open", text: byK1, setup: keys(window(w.ed.PublicJWK(), t0.Add(-48*time.Hour), t0.Add(48*time.Hour))), want: ReasonOK, valid: true},
		{name: "key expired", text: byK1, setup: keys(window(w.ed.PublicJWK(), time.Time{}, t0.Add(-10*time.Minute))), want: ReasonUnknownKey},
		{name: "key not yet valid when the credential was issued", text: byK1, setup: keys(window(w.ed.PublicJWK(), t0.Add(-30*time.Minute), time.Time{})), want: ReasonUnknownKey},
		{name: "expired twin skipped, valid key verifies", text: byK1, setup: keys(window(twin.PublicJWK(), time.Time{}, t0.Add(-time.Hour)), w.ed.PublicJWK()), want: ReasonOK, valid: true},
	})
}

// TestVerifyFollowsTrustListChanges checks that a Verifier picks up a new
// trust list (its key index is rebuilt) without being recreated.
func TestVerifyFollowsTrustListChanges(t *testing.T) {
	w := newWorld(t)
	m := w.freshMem()
	v := w.verifier(m)
	tok := sign(t, w.ed, TypCredential, w.claims())
	if r := v.Verify(tok); r.Reason != ReasonOK {
		t.Fatalf("before: %s", r.Reason)
	}
	tl := *m.tl
	tl.Issuers = tl.Issuers[1:] // 450000 dropped
	m.tl = &tl
	if r := v.Verify(tok); r.Reason != ReasonUnknownIssuer {
		t.Fatalf("after the issuer was dropped: %s", r.Reason)
	}
}

// TestTrustListRootRotation: a fleet pins current and next root; lists
// signed by either are accepted, so the root can change without
// stranding terminals.
func TestTrustListRootRotation(t *testing.T) {
	w := newWorld(t)
	next := mustSigner(t, "root-2", ecKey(t, "next root"))
	pinned := []JWK{w.root.PublicJWK(), next.PublicJWK()}
	for _, s := range []*Signer{w.root, next} {
		t.Run(s.Kid(), func(t *testing.T) {
			if _, err := ParseTrustList(sign(t, s, TypTrustList, w.tl), pinned, t0); err != nil {
				t.Fatal(err)
			}
			feed := RevocationFeed{Iss: "r", Iat: t0.Unix(), To: 1, Full: true}
			if _, err := ParseRevocationFeed(sign(t, s, TypRevocations, feed), pinned); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The header cannot pick the algorithm: an EdDSA header over an
	// ES256 root's kid is not verified by that root.
	tok := signRaw(t, w.root, `{"alg":"EdDSA","typ":"hc-trust+jwt","kid":"root-2"}`, claimsJSONAny(t, w.tl))
	if _, err := ParseTrustList(tok, []JWK{next.PublicJWK()}, t0); err == nil {
		t.Fatal("accepted a list not signed by the pinned root")
	}
}

// swapSource is a TrustSource whose list another goroutine replaces.
type swapSource struct{ p atomic.Pointer[TrustList] }

func (s *swapSource) Trust() (*TrustList, error) { return s.p.Load(), nil }

// TestVerifyConcurrent runs Verify from several goroutines while the trust
// list in force changes under them (go test -race checks the key index).
func TestVerifyConcurrent(t *testing.T) {
	w := newWorld(t)
	m := w.freshMem()
	src := &swapSource{}
	a, b := w.tl, w.tl
	b.Seq = 8
	src.p.Store(&a)
	v := New(src, m, m, WithClock(func() time.Time { return t0 }))
	tok := sign(t, w.ed, TypCredential, w.claims())
	var wg sync.WaitGroup
	errs := make(chan Reason, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if r := v.Verify(tok); r.Reason != ReasonOK {
					errs <- r.Reason
					return
				}
			}
		}()
	}
	for i := range 100 {
		if i%2 == 0 {
			src.p.Store(&b)
		} else {
			src.p.Store(&a)
		}
	}
	wg.Wait()
	close(errs)
	for r := range errs {
		t.Errorf("Verify under a changing trust list: %s", r)
	}
}

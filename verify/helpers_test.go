package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

// t0 is the fixed "now" of the tests: 2020-03-01 08:00:00 +08:00.
var t0 = time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)

// edKey derives a stable Ed25519 key from a name, so fixtures and vectors
// are reproducible.
func edKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("yanma test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// ecKey derives a stable P-256 key from a name.
func ecKey(t testing.TB, name string) *ecdsa.PrivateKey {
	t.Helper()
	d := sha256.Sum256([]byte("yanma test key " + name))
	d[0] &= 0x7f // below the group order
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSigner(t testing.TB, kid string, key crypto.Signer) *Signer {
	t.Helper()
	s, err := NewSigner(kid, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// world is a trust root, two issuers and the list that trusts them.
type world struct {
	root   *Signer // EdDSA trust root
	ed     *Signer // issuer 450000 (Guangxi), EdDSA, kid "k1"
	es     *Signer // issuer 640000 (Ningxia), ES256, kid "e1", gray after 72 h
	holder ed25519.PrivateKey
	tl     TrustList
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{
		root:   mustSigner(t, "root-1", edKey("root")),
		ed:     mustSigner(t, "k1", edKey("issuer 450000")),
		es:     mustSigner(t, "e1", ecKey(t, "issuer 640000")),
		holder: edKey("holder phone"),
	}
	w.tl = TrustList{
		Iss: "yanma-root", Iat: t0.Add(-time.Hour).Unix(), Exp: t0.Add(7 * 24 * time.Hour).Unix(), Seq: 7,
		Issuers: []IssuerEntry{
			{Iss: "450000", Name: "广西健康码", Keys: []JWK{w.ed.PublicJWK()}},
			{Iss: "640000", Name: "宁夏健康码", Keys: []JWK{w.es.PublicJWK()}, GrayAfterHours: 72},
		},
		Policy: Policy{TempThresholdC: 37.3, ProofWindowS: 60, MaxOfflineHours: 72},
	}
	return w
}

func (w *world) signTrust(t testing.TB, tl TrustList) string {
	t.Helper()
	tok, err := w.root.Sign(TypTrustList, tl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// claims is a typical green credential of issuer 450000 issued an hour before t0.
func (w *world) claims() Claims {
	return Claims{
		Iss: "450000", Sub: "p-0001", JTI: "j-0001",
		Iat: t0.Add(-time.Hour).Unix(), Exp: t0.Add(23 * time.Hour).Unix(),
		Col: Green, Nam: "张*三", Idm: "450***********1234",
	}
}

func (w *world) bound() Claims {
	c := w.claims()
	c.Cnf = &Cnf{JWK: mustJWK(t0, w.holder.Public())}
	return c
}

func mustJWK(_ time.Time, pub any) JWK {
	k, err := PublicJWK(pub, "", "")
	if err != nil {
		panic(err)
	}
	return k
}

func sign(t testing.TB, s *Signer, typ string, claims any) string {
	t.Helper()
	tok, err := s.Sign(typ, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mem is an in-memory TrustSource, RevocationSource and StatusSource.
type mem struct {
	tl       *TrustList
	trustErr error
	jti      map[string]bool
	person   map[PersonHash]int64
	revErr   error
	status   SyncStatus
}

func (m *mem) Trust() (*TrustList, error) {
	if m.trustErr != nil {
		return nil, m.trustErr
	}
	if m.tl == nil {
		return nil, ErrNoTrustList
	}
	return m.tl, nil
}

func (m *mem) RevokedJTI(jti string) (bool, error) { return m.jti[jti], m.revErr }

func (m *mem) RevokedBefore(p PersonHash) (int64, bool, error) {
	b, ok := m.person[p]
	return b, ok, m.revErr
}

func (m *mem) SyncStatus() SyncStatus { return m.status }

// freshMem holds w's trust list, synced an hour before t0.
func (w *world) freshMem() *mem {
	tl := w.tl
	return &mem{tl: &tl, jti: map[string]bool{}, person: map[PersonHash]int64{},
		status: SyncStatus{TrustAsOf: t0.Add(-time.Hour), RevocationsAsOf: t0.Add(-time.Hour),
			NewestSigned: t0.Add(-time.Hour), ClockMeasured: t0.Add(-time.Hour)}}
}

func (w *world) verifier(m *mem, opts ...Option) *Verifier {
	return New(m, m, m, append([]Option{WithClock(func() time.Time { return t0 })}, opts...)...)
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

package verify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTrustList(t *testing.T) {
	w := newWorld(t)
	next := mustSigner(t, "root-2", edKey("next root"))
	esRoot := mustSigner(t, "root-ec", ecKey(t, "ec root"))
	roots := []JWK{w.root.PublicJWK()}
	good := w.signTrust(t, w.tl)

	expired := w.tl
	expired.Iat, expired.Exp = t0.Add(-48*time.Hour).Unix(), t0.Add(-time.Second).Unix()
	noKid := w.tl
	noKid.Issuers = []IssuerEntry{{Iss: "450000", Keys: []JWK{{Kty: "OKP", Crv: "Ed25519", X: w.ed.PublicJWK().X, Alg: AlgEdDSA}}}}
	badAlg := w.tl
	k := w.es.PublicJWK()
	k.Alg = AlgEdDSA
	badAlg.Issuers = []IssuerEntry{{Iss: "640000", Keys: []JWK{k}}}
	dupIss := w.tl
	dupIss.Issuers = []IssuerEntry{w.tl.Issuers[0], w.tl.Issuers[0]}
	badPolicy := w.tl
	badPolicy.Policy.TempThresholdC = 3.73
	announces := func(k JWK) TrustList {
		tl := w.tl
		tl.NextRoot = &k
		return tl
	}
	nextNoKid := next.PublicJWK()
	nextNoKid.Kid = ""
	nextBadAlg := next.PublicJWK()
	nextBadAlg.Alg = AlgES256
	nextWithExp := next.PublicJWK()
	nextWithExp.EXP = t0.Unix()
	nextBadX := next.PublicJWK()
	nextBadX.X = "AAAA"

	tests := []struct {
		name  string
		token string
		roots []JWK
		want  error
	}{
		{"good", good, roots, nil},
		{"second pinned root signs", sign(t, next, TypTrustList, w.tl), []JWK{w.root.PublicJWK(), next.PublicJWK()}, nil},
		{"es256 root", sign(t, esRoot, TypTrustList, w.tl), []JWK{w.root.PublicJWK(), esRoot.PublicJWK()}, nil},
		{"signed by an issuer key", sign(t, w.ed, TypTrustList, w.tl), roots, ErrBadSignature},
		{"signed by an unpinned root", sign(t, next, TypTrustList, w.tl), roots, ErrBadSignature},
		{"no roots", good, nil, ErrBadSignature},
		{"wrong typ", sign(t, w.root, TypRevocations, w.tl), roots, ErrWrongType},
		{"credential typ", sign(t, w.root, TypCredential, w.tl), roots, ErrWrongType},
		{"expired", w.signTrust(t, expired), roots, ErrExpired},
		{"key without kid", w.signTrust(t, noKid), roots, ErrMalformed},
		{"key alg disagrees with type", w.signTrust(t, badAlg), roots, ErrAlgNotAllowed},
		{"repeated issuer", w.signTrust(t, dupIss), roots, ErrMalformed},
		{"implausible threshold", w.signTrust(t, badPolicy), roots, ErrMalformed},
		{"announces the next root", w.signTrust(t, announces(next.PublicJWK())), roots, nil},
		{"next root without kid", w.signTrust(t, announces(nextNoKid)), roots, ErrMalformed},
		{"next root alg disagrees with type", w.signTrust(t, announces(nextBadAlg)), roots, ErrAlgNotAllowed},
		{"next root with exp", w.signTrust(t, announces(nextWithExp)), roots, ErrMalformed},
		{"next root not a key", w.signTrust(t, announces(nextBadX)), roots, ErrMalformed},
		{"next root with a private member", forgeNextRoot(t, w, `{"kty":"OKP","crv":"Ed25519","x":"`+next.PublicJWK().X+`","d":"AAAA","kid":"r","alg":"EdDSA"}`), roots, ErrPrivateKey},
		{"header of 100 KB", forgeHeader(good, `{"alg":"EdDSA","typ":"hc-trust+jwt","x":"`+strings.Repeat("a", 100<<10)+`"}`), roots, ErrTooLarge},
		{"tampered payload", tamper(good), roots, ErrBadSignature},
		{"not a jws", "hello", roots, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl, err := ParseTrustList(tt.token, tt.roots, t0)
			wantErr(t, err, tt.want)
			if err == nil && (tl.Seq != 7 || len(tl.Issuers) != 2 || tl.Issuers[0].Name != "广西健康码") {
				t.Fatalf("content: %+v", tl)
			}
		})
	}
}

// TestTrustListNextRoot: the announced next root comes back as sent, and
// ParseTrustListRoot says which pinned root verified the list.
func TestTrustListNextRoot(t *testing.T) {
	w := newWorld(t)
	next := mustSigner(t, "root-2", edKey("next root"))
	tl := w.tl
	k := next.PublicJWK()
	tl.NextRoot = &k
	pinned := []JWK{w.root.PublicJWK(), next.PublicJWK()}
	got, by, err := ParseTrustListRoot(w.signTrust(t, tl), pinned, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got.NextRoot == nil || *got.NextRoot != k || by != 0 {
		t.Fatalf("next root %+v, verified by %d; want %+v by 0", got.NextRoot, by, k)
	}
	if _, by, err = ParseTrustListRoot(sign(t, next, TypTrustList, w.tl), pinned, t0); err != nil || by != 1 {
		t.Fatalf("list from the next root: verified by %d, %v; want 1", by, err)
	}
	if _, by, err = ParseTrustListRoot(sign(t, next, TypTrustList, w.tl), pinned[:1], t0); !errors.Is(err, ErrBadSignature) || by != -1 {
		t.Fatalf("list from an unpinned root: %d, %v", by, err)
	}
}

// forgeNextRoot signs w's list with next_root set to raw JSON (which a
// JWK value could not carry).
func forgeNextRoot(t *testing.T, w *world, next string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(claimsJSONAny(t, w.tl)), &m); err != nil {
		t.Fatal(err)
	}
	m["next_root"] = json.RawMessage(next)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return signRaw(t, w.root, `{"alg":"EdDSA","typ":"hc-trust+jwt","kid":"root-1"}`, string(b))
}

// TestTrustListReplay: a replayed older list is still validly signed, so
// verify cannot refuse it alone; it must report the seq the list carries
// so that the store (which holds the current seq) refuses it with
// ErrReplay, and it refuses the replay outright once the old list expired.
func TestTrustListReplay(t *testing.T) {
	w := newWorld(t)
	roots := []JWK{w.root.PublicJWK()}
	old := w.tl
	old.Seq, old.Iat, old.Exp = 3, t0.Add(-20*24*time.Hour).Unix(), t0.Add(5*24*time.Hour).Unix()
	tl, err := ParseTrustList(w.signTrust(t, old), roots, t0)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Seq != 3 || tl.Iat != old.Iat {
		t.Fatalf("seq %d iat %d, want 3 %d", tl.Seq, tl.Iat, old.Iat)
	}
	old.Exp = t0.Add(-time.Hour).Unix()
	_, err = ParseTrustList(w.signTrust(t, old), roots, t0)
	wantErr(t, err, ErrExpired)
}

func TestParseRevocationFeed(t *testing.T) {
	w := newWorld(t)
	roots := []JWK{w.root.PublicJWK()}
	ph := HashPerson("450000", "p-0001").String()
	good := RevocationFeed{Iss: "yanma-root", Iat: t0.Unix(), From: 3, To: 5, Entries: []RevocationEntry{
		{JTI: "j-1"}, {SH: ph, Before: t0.Unix()},
	}}
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"good", sign(t, w.root, TypRevocations, good), nil},
		{"empty full", sign(t, w.root, TypRevocations, RevocationFeed{Iss: "r", Iat: 1, To: 9, Full: true, Entries: []RevocationEntry{}}), nil},
		{"signed by an issuer key", sign(t, w.ed, TypRevocations, good), ErrBadSignature},
		{"trust list typ", sign(t, w.root, TypTrustList, good), ErrWrongType},
		{"to before from", sign(t, w.root, TypRevocations, RevocationFeed{Iss: "r", Iat: 1, From: 5, To: 4}), ErrMalformed},
		{"raw good", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[{"sh":"`+ph+`","before":5},{"jti":"x"}]}`)), nil},
		{"sh without before", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[{"sh":"`+ph+`"}]}`)), ErrMalformed},
		{"sh and jti", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[{"sh":"`+ph+`","before":5,"jti":"x"}]}`)), ErrMalformed},
		{"upper-case sh", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[{"sh":"`+strings.ToUpper(ph)+`","before":5}]}`)), ErrMalformed},
		{"empty entry", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[{}]}`)), ErrMalformed},
		{"duplicate entries key", sign(t, w.root, TypRevocations, raw(`{"iss":"r","iat":1,"from":0,"to":1,"entries":[],"entries":[]}`)), ErrMalformed},
		{"tampered", tamper(sign(t, w.root, TypRevocations, good)), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseRevocationFeed(tt.token, roots)
			wantErr(t, err, tt.want)
			if tt.name == "good" && (len(f.Entries) != 2 || f.Entries[1].SH != ph || f.To != 5) {
				t.Fatalf("content: %+v", f)
			}
		})
	}
}

// raw marks JSON to be signed as it is.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

// forgeHeader replaces the header of a compact JWS with hdr (JSON).
func forgeHeader(tok, hdr string) string {
	i := strings.IndexByte(tok, '.')
	return b64.EncodeToString([]byte(hdr)) + tok[i:]
}

// tamper flips one payload character so that the signature no longer fits.
func tamper(tok string) string {
	i := strings.IndexByte(tok, '.') + 3
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

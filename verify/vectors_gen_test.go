package verify_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"yanma/verify"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

var b64v = base64.RawURLEncoding

// vecEd and vecEC derive the vectors' keys from a name, so that anyone can
// remake them: seed (Ed25519) or scalar (P-256, top bit cleared) =
// SHA-256("yanma test vector key " + name).
func vecEd(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("yanma test vector key " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

func vecEC(t *testing.T, name string) *ecdsa.PrivateKey {
	d := sha256.Sum256([]byte("yanma test vector key " + name))
	d[0] &= 0x7f
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// handEdDSA and handES256 assemble a compact JWS from header and payload
// JSON text with crypto/ed25519 or crypto/ecdsa alone: what an
// implementation without any JOSE library produces.
func handEdDSA(key ed25519.PrivateKey, hdr, payload string) string {
	in := b64v.EncodeToString([]byte(hdr)) + "." + b64v.EncodeToString([]byte(payload))
	return in + "." + b64v.EncodeToString(ed25519.Sign(key, []byte(in)))
}

func handES256(t *testing.T, key *ecdsa.PrivateKey, hdr, payload string) string {
	in := b64v.EncodeToString([]byte(hdr)) + "." + b64v.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64v.EncodeToString(sig)
}

// jwtLib signs MapClaims with golang-jwt's Token API.
func jwtLib(t *testing.T, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["typ"] = verify.TypCredential
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeVectors(t *testing.T) {
	at := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339) }
	unix := func(d time.Duration) int64 { return at.Add(d).Unix() }
	must := func(s string, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rootKey, nextRootKey := vecEd("root"), vecEC(t, "next root")
	root, _ := verify.NewSigner("root-2020", rootKey)
	nextRoot, _ := verify.NewSigner("root-2021", nextRootKey)
	gxKey, nxKey, holder := vecEd("issuer 450000"), vecEC(t, "issuer 640000"), vecEd("holder phone")
	gx, _ := verify.NewSigner("k1", gxKey)
	nx, _ := verify.NewSigner("e1", nxKey)
	holderJWK, _ := verify.PublicJWK(holder.Public(), "", "")

	tl := verify.TrustList{
		Iss: "yanma-root", Iat: unix(-time.Hour), Exp: unix(7 * 24 * time.Hour), Seq: 12,
		Issuers: []verify.IssuerEntry{
			{Iss: "450000", Name: "广西壮族自治区健康码", Keys: []verify.JWK{gx.PublicJWK()}},
			{Iss: "640000", Name: "宁夏健康码", Keys: []verify.JWK{nx.PublicJWK()}, GrayAfterHours: 72},
		},
		Policy: verify.Policy{TempThresholdC: 37.3, ProofWindowS: 60, MaxOfflineHours: 72},
	}
	expiredTL := tl
	expiredTL.Iat, expiredTL.Exp = unix(-10*24*time.Hour), unix(-3*24*time.Hour)
	vf := vectorFile{
		Comment: "yanma verify test vectors; see README.md. Times are RFC 3339; every QR case names the terminal state it is verified in.",
		Roots:   []verify.JWK{root.PublicJWK(), nextRoot.PublicJWK()},
		TrustLists: []artefactCase{
			{Name: "current", MadeBy: "yanma Signer", Token: must(root.Sign(verify.TypTrustList, tl)), At: ts(0), Expect: "ok"},
			{Name: "by the next root (ES256)", MadeBy: "yanma Signer", Token: must(nextRoot.Sign(verify.TypTrustList, tl)), At: ts(0), Expect: "ok"},
			{Name: "expired", MadeBy: "yanma Signer", Token: must(root.Sign(verify.TypTrustList, expiredTL)), At: ts(0), Expect: "expired"},
			{Name: "signed by an issuer key", MadeBy: "yanma Signer", Token: must(gx.Sign(verify.TypTrustList, tl)), At: ts(0), Expect: "bad_signature"},
			{Name: "feed typ", MadeBy: "yanma Signer", Token: must(root.Sign(verify.TypRevocations, tl)), At: ts(0), Expect: "wrong_typ"},
			{Name: "alg none", MadeBy: "hand-assembled", Token: b64v.EncodeToString([]byte(`{"alg":"none","typ":"hc-trust+jwt"}`)) + "." + b64v.EncodeToString([]byte(`{}`)) + ".", At: ts(0), Expect: "alg_not_allowed"},
		},
	}

	person := verify.HashPerson("450000", "Rv0kEdP3rs0")
	feed := verify.RevocationFeed{Iss: "yanma-root", Iat: unix(-time.Hour), From: 0, To: 2, Full: true, Count: 2,
		Entries: []verify.RevocationEntry{{JTI: "rEv0kEdJt1x"}, {SH: person.String(), Before: unix(-2 * time.Hour)}}}
	vf.Feeds = []artefactCase{
		{Name: "full", MadeBy: "yanma Signer", Token: must(root.Sign(verify.TypRevocations, feed)), At: ts(0), Expect: "ok"},
		{Name: "hand-assembled delta", MadeBy: "hand-assembled crypto/ed25519", Token: handEdDSA(rootKey, `{"alg":"EdDSA","typ":"hc-revocations+jwt","kid":"root-2020"}`,
			`{"iss":"yanma-root","iat":`+strconv.FormatInt(unix(0), 10)+`,"from":2,"to":3,"full":false,"entries":[{"jti":"x1"}]}`), At: ts(0), Expect: "ok"},
		{Name: "signed by an issuer key", MadeBy: "yanma Signer", Token: must(gx.Sign(verify.TypRevocations, feed)), At: ts(0), Expect: "bad_signature"},
	}

	base := func() verify.Claims {
		return verify.Claims{Iss: "450000", Sub: "Xk3vQ9zLm2A", JTI: "bR7tYp0cW4e", Iat: unix(-time.Hour), Exp: unix(23 * time.Hour),
			Col: verify.Green, Nam: verify.MaskName("张三丰"), Idm: verify.MaskID("450103199001011234")}
	}
	cred := func(s *verify.Signer, f func(*verify.Claims)) string {
		c := base()
		if f != nil {
			f(&c)
		}
		return must(s.Sign(verify.TypCredential, c))
	}
	ningxia := func(c *verify.Claims) { c.Iss, c.Sub = "640000", "Nx9pQ2wErT0" }
	bound := cred(gx, func(c *verify.Claims) { c.Cnf = &verify.Cnf{JWK: holderJWK} })
	otherBound := cred(gx, func(c *verify.Claims) { c.JTI = "0tHeRcReD01"; c.Cnf = &verify.Cnf{JWK: holderJWK} })
	proofAt := func(c string, d time.Duration) string { return must(verify.MakeProof(holder, c, at.Add(d))) }
	mapClaims := func(c verify.Claims) jwt.MapClaims {
		m := jwt.MapClaims{"iss": c.Iss, "sub": c.Sub, "jti": c.JTI, "iat": c.Iat, "exp": c.Exp, "col": string(c.Col), "nam": c.Nam, "idm": c.Idm}
		if c.Chk != 0 {
			m["chk"] = c.Chk
		}
		return m
	}
	nxc := base()
	ningxia(&nxc)
	nxc.Chk = unix(-24 * time.Hour)
	hand := `{
  "iss": "640000", "sub": "Nx9pQ2wErT0", "jti": "hAnDm4dE001",
  "iat": ` + strconv.FormatInt(unix(-time.Hour), 10) + `, "exp": ` + strconv.FormatInt(unix(23*time.Hour), 10) + `,
  "col": "green", "nam": "\u674e*\u56db", "idm": "640*5678", "chk": ` + strconv.FormatInt(unix(-2*time.Hour), 10) + `
}`
	fullCTH := func(c string) string { s := sha256.Sum256([]byte(c)); return b64v.EncodeToString(s[:]) }
	hmacConfusion := func() string {
		// HS256 keyed with the ES256 issuer key's JWK, as a confused verifier would.
		secret, _ := json.Marshal(nx.PublicJWK())
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, mapClaims(nxc))
		tok.Header["typ"], tok.Header["kid"] = verify.TypCredential, "e1"
		return must(tok.SignedString(secret))
	}

	q := func(name, madeBy, qr string, exp expect) qrCase {
		return qrCase{Name: name, MadeBy: madeBy, QR: qr, At: ts(0), TrustList: 0, Feed: 0, TrustAsOf: ts(-time.Hour), RevocationsAsOf: ts(-time.Hour), Expect: exp}
	}
	ok := func(col verify.Color) expect { return expect{Valid: true, Reason: verify.ReasonOK, Color: col} }
	no := func(r verify.Reason) expect { return expect{Reason: r} }
	good := cred(gx, nil)
	vf.Credentials = []qrCase{
		q("green eddsa", "yanma Signer", good, ok(verify.Green)),
		q("green es256 with chk", "yanma Signer", must(nx.Sign(verify.TypCredential, nxc)), ok(verify.Green)),
		q("green eddsa by golang-jwt", "golang-jwt v5 Token API (MapClaims)", jwtLib(t, jwt.SigningMethodEdDSA, gxKey, "k1", mapClaims(base())), ok(verify.Green)),
		q("green es256 by golang-jwt", "golang-jwt v5 Token API (MapClaims)", jwtLib(t, jwt.SigningMethodES256, nxKey, "e1", mapClaims(nxc)), ok(verify.Green)),
		q("green es256 hand-assembled, pretty JSON, escaped name", "hand-assembled crypto/ecdsa", handES256(t, nxKey, `{"typ":"hc+jwt", "kid":"e1", "alg":"ES256"}`, hand), ok(verify.Green)),
		q("green eddsa hand-assembled", "hand-assembled crypto/ed25519", handEdDSA(gxKey, `{"alg":"EdDSA","kid":"k1","typ":"hc+jwt"}`, `{"iss":"450000","sub":"a","jti":"b","iat":`+strconv.FormatInt(unix(-time.Hour), 10)+`,"exp":`+strconv.FormatInt(unix(time.Hour), 10)+`,"col":"green","nam":"王*","idm":"450*0000","x-extra":{"ignored":[1,2]}}`), ok(verify.Green)),
		q("in an https url", "yanma Signer", "https://hc.example.cn/c#"+good, ok(verify.Green)),
		q("yellow", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Col = verify.Yellow }), ok(verify.Yellow)),
		q("red", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Col = verify.Red }), ok(verify.Red)),
		q("gray: no check-in for 80 hours", "yanma Signer", cred(nx, func(c *verify.Claims) { ningxia(c); c.Chk = unix(-80 * time.Hour) }), ok(verify.Gray)),
		q("bound with a fresh proof", "yanma Signer + MakeProof", bound+"~"+proofAt(bound, -10*time.Second), ok(verify.Green)),
		q("bound, hand-made proof with full-length cth", "hand-assembled crypto/ed25519", bound+"~"+handEdDSA(holder, `{"alg":"EdDSA","typ":"hc-kb+jwt"}`, `{"iat":`+strconv.FormatInt(unix(-5*time.Second), 10)+`,"cth":"`+fullCTH(bound)+`"}`), ok(verify.Green)),
		q("missing proof", "yanma Signer", bound, no(verify.ReasonMissingProof)),
		q("proof from another credential", "yanma Signer + MakeProof", bound+"~"+strings.SplitN(otherBound+"~"+proofAt(otherBound, 0), "~", 2)[1], no(verify.ReasonBadProof)),
		q("screenshot after the window", "yanma Signer + MakeProof", bound+"~"+proofAt(bound, -2*time.Minute), no(verify.ReasonStaleProof)),
		q("expired", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Iat, c.Exp = unix(-48*time.Hour), unix(-24*time.Hour) }), no(verify.ReasonExpired)),
		q("not yet valid", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Nbf = unix(time.Hour) }), no(verify.ReasonNotYetValid)),
		q("revoked by jti", "yanma Signer", cred(gx, func(c *verify.Claims) { c.JTI = "rEv0kEdJt1x" }), no(verify.ReasonRevoked)),
		q("revoked person, older credential", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Sub, c.Iat = "Rv0kEdP3rs0", unix(-3*time.Hour) }), no(verify.ReasonRevoked)),
		q("revoked person, newer credential", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Sub = "Rv0kEdP3rs0" }), ok(verify.Green)),
		q("unknown issuer", "yanma Signer", cred(gx, func(c *verify.Claims) { c.Iss = "110000" }), no(verify.ReasonUnknownIssuer)),
		q("kid of another issuer", "yanma Signer", must(nx.Sign(verify.TypCredential, base())), no(verify.ReasonUnknownKey)),
		q("forged with the right kid", "yanma Signer", cred(must2(verify.NewSigner("k1", vecEd("forger"))), nil), no(verify.ReasonBadSignature)),
		q("HS256 keyed with the ES256 public JWK", "golang-jwt v5 Token API", hmacConfusion(), no(verify.ReasonAlgNotAllowed)),
		q("alg none", "hand-assembled", b64v.EncodeToString([]byte(`{"alg":"none","typ":"hc+jwt","kid":"k1"}`))+"."+strings.Split(good, ".")[1]+".", no(verify.ReasonAlgNotAllowed)),
		q("duplicate claim", "hand-assembled crypto/ed25519", handEdDSA(gxKey, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1"}`, `{"iss":"450000","sub":"a","jti":"b","iat":`+strconv.FormatInt(unix(-time.Hour), 10)+`,"exp":`+strconv.FormatInt(unix(time.Hour), 10)+`,"col":"red","col":"green"}`), no(verify.ReasonMalformed)),
		q("base64 padding", "hand-assembled", strings.Replace(good, ".", "=.", 1), no(verify.ReasonMalformed)),
		q("too large", "hand-assembled", good+strings.Repeat("A", 4096), no(verify.ReasonTooLarge)),
	}
	tooOld := q("data too old", "yanma Signer", good, no(verify.ReasonDataTooOld))
	tooOld.TrustAsOf = ts(-80 * time.Hour)
	stale := tooOld
	stale.Name, stale.AcceptStale, stale.Expect = "data too old, site accepts", true, ok(verify.Green)
	noFeed := q("no revocation data applied", "yanma Signer", good, no(verify.ReasonDataTooOld))
	noFeed.Feed, noFeed.RevocationsAsOf = -1, ""
	expiredList := q("trust list expired", "yanma Signer", good, no(verify.ReasonTrustListExpired))
	expiredList.At = ts(8 * 24 * time.Hour)
	vf.Credentials = append(vf.Credentials, tooOld, stale, noFeed, expiredList)

	out, err := json.MarshalIndent(vf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(vectorDir, "vectors.json"), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must2(s *verify.Signer, err error) *verify.Signer {
	if err != nil {
		panic(err)
	}
	return s
}

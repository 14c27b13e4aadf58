package verify_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"yanma/verify"
)

// terminal is the smallest TrustSource, RevocationSource and StatusSource:
// a trust list, a set of revoked jtis, data synced an hour ago.
type terminal struct {
	tl      *verify.TrustList
	revoked map[string]bool
	synced  time.Time
}

func (t *terminal) Trust() (*verify.TrustList, error) { return t.tl, nil }
func (t *terminal) RevokedJTI(jti string) (bool, error) {
	return t.revoked[jti], nil
}
func (t *terminal) RevokedBefore(verify.PersonHash) (int64, bool, error) { return 0, false, nil }
func (t *terminal) SyncStatus() verify.SyncStatus {
	return verify.SyncStatus{TrustAsOf: t.synced, RevocationsAsOf: t.synced}
}

func key(name string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte("example " + name))
	return ed25519.NewKeyFromSeed(s[:])
}

// Example shows the whole contract: an issuer signs a code, the trust root
// signs the list that trusts the issuer, the terminal pins the root and
// verifies the QR text offline, then decides at a road checkpoint.
func Example() {
	now := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	root, _ := verify.NewSigner("root-1", key("root"))
	issuer, _ := verify.NewSigner("k1", key("issuer"))

	listJWS, _ := root.Sign(verify.TypTrustList, verify.TrustList{
		Iss: "root", Iat: now.Add(-time.Hour).Unix(), Exp: now.Add(7 * 24 * time.Hour).Unix(), Seq: 1,
		Issuers: []verify.IssuerEntry{{Iss: "450000", Name: "广西", Keys: []verify.JWK{issuer.PublicJWK()}}},
	})
	tl, err := verify.ParseTrustList(listJWS, []verify.JWK{root.PublicJWK()}, now)
	if err != nil {
		fmt.Println(err)
		return
	}

	qr, _ := issuer.Sign(verify.TypCredential, verify.Claims{
		Iss: "450000", Sub: "Xk3vQ9zLm2A", JTI: "bR7tYp0cW4e",
		Iat: now.Add(-time.Hour).Unix(), Exp: now.Add(23 * time.Hour).Unix(),
		Col: verify.Green, Nam: verify.MaskName("张三丰"), Idm: verify.MaskID("450103199001011234"),
	})

	term := &terminal{tl: tl, revoked: map[string]bool{}, synced: now.Add(-time.Hour)}
	v := verify.New(term, term, term, verify.WithClock(func() time.Time { return now }))
	r := v.Verify(qr)
	fmt.Println(r.Valid, r.Reason, r.Color, r.Name, r.IDMasked, r.IssuerName)

	d := verify.Decide(r, verify.SiteRoad, nil)
	fmt.Println("need temperature:", d.NeedTemperature)
	t, _ := verify.ParseTemperature("38,2")
	d = verify.Decide(r, verify.SiteRoad, &t)
	fmt.Println(d.Verdict, d.Report)

	term.revoked["bR7tYp0cW4e"] = true
	r = v.Verify(qr)
	fmt.Println(r.Valid, r.Reason, "—", r.Reason.Message("zh"), "/", r.Reason.Message("en"))
	// Output:
	// true ok green 张*丰 450*1234 广西
	// need temperature: true
	// deny fever
	// false revoked — 健康码已作废,请出示最新的码 / Code revoked; ask for the current code
}

// ExampleMakeProof binds a code to the holder's phone: the credential
// carries the phone's public key (cnf), the phone adds a fresh proof, and a
// screenshot of it is refused once the policy's window has passed.
func ExampleMakeProof() {
	now := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	root, _ := verify.NewSigner("root-1", key("root"))
	issuer, _ := verify.NewSigner("k1", key("issuer"))
	phone := key("phone")
	holderJWK, _ := verify.PublicJWK(phone.Public(), "", "")

	listJWS, _ := root.Sign(verify.TypTrustList, verify.TrustList{
		Iss: "root", Iat: now.Add(-time.Hour).Unix(), Exp: now.Add(7 * 24 * time.Hour).Unix(), Seq: 1,
		Issuers: []verify.IssuerEntry{{Iss: "450000", Name: "广西", Keys: []verify.JWK{issuer.PublicJWK()}}},
		Policy:  verify.Policy{ProofWindowS: 60},
	})
	tl, _ := verify.ParseTrustList(listJWS, []verify.JWK{root.PublicJWK()}, now)
	cred, _ := issuer.Sign(verify.TypCredential, verify.Claims{
		Iss: "450000", Sub: "Xk3vQ9zLm2A", JTI: "bR7tYp0cW4e",
		Iat: now.Add(-time.Hour).Unix(), Exp: now.Add(23 * time.Hour).Unix(), Col: verify.Green,
		Cnf: &verify.Cnf{JWK: holderJWK},
	})
	proof, _ := verify.MakeProof(phone, cred, now.Add(-5*time.Second))

	term := &terminal{tl: tl, revoked: map[string]bool{}, synced: now.Add(-time.Hour)}
	for _, at := range []time.Time{now, now.Add(2 * time.Minute)} {
		v := verify.New(term, term, term, verify.WithClock(func() time.Time { return at }))
		for _, qr := range []string{cred + "~" + proof, cred} {
			r := v.Verify(qr)
			fmt.Println(at.Sub(now), r.Reason, r.Bound)
		}
	}
	// Output:
	// 0s ok true
	// 0s missing_proof false
	// 2m0s stale_proof false
	// 2m0s missing_proof false
}

// ExampleParseTemperature shows the officer's entry being checked: a typo
// or an implausible reading is asked for again.
func ExampleParseTemperature() {
	for _, in := range []string{"36.6", "36,6", "3.66", "abc"} {
		t, err := verify.ParseTemperature(in)
		switch {
		case errors.Is(err, verify.ErrImplausibleTemperature):
			fmt.Println(in, "→ implausible, measure again")
		case errors.Is(err, verify.ErrNotNumber):
			fmt.Println(in, "→ not a number, type again")
		default:
			fmt.Println(in, "→", t)
		}
	}
	// Output:
	// 36.6 → 36.6
	// 36,6 → 36.6
	// 3.66 → implausible, measure again
	// abc → not a number, type again
}

// ExampleParseTrustList_errorChecking shows the sentinels a trust-list
// import is refused with.
func ExampleParseTrustList_errorChecking() {
	now := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	root, _ := verify.NewSigner("root-1", key("root"))
	issuer, _ := verify.NewSigner("k1", key("issuer"))
	list := verify.TrustList{Iss: "root", Iat: now.Add(-48 * time.Hour).Unix(), Exp: now.Add(-time.Hour).Unix(), Seq: 1}
	expired, _ := root.Sign(verify.TypTrustList, list)
	list.Exp = now.Add(time.Hour).Unix()
	byIssuer, _ := issuer.Sign(verify.TypTrustList, list)

	for _, tok := range []string{expired, byIssuer, "not a jws"} {
		_, err := verify.ParseTrustList(tok, []verify.JWK{root.PublicJWK()}, now)
		switch {
		case errors.Is(err, verify.ErrExpired):
			fmt.Println("expired")
		case errors.Is(err, verify.ErrBadSignature):
			fmt.Println("not signed by a pinned root")
		case errors.Is(err, verify.ErrMalformed):
			fmt.Println("malformed")
		}
	}
	// Output:
	// expired
	// not signed by a pinned root
	// malformed
}

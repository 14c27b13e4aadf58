package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signInput signs an arbitrary signing input with s's key, so that a test
// can present malformed input that nevertheless carries a good signature:
// the parser, not the signature, must refuse it.
func signInput(t testing.TB, s *Signer, input string) string {
	t.Helper()
	sig, err := s.method.Sign(input, s.key)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// signRaw signs a header and a payload given as JSON text, byte for byte.
func signRaw(t testing.TB, s *Signer, hdr, payload string) string {
	t.Helper()
	return signInput(t, s, b64.EncodeToString([]byte(hdr))+"."+b64.EncodeToString([]byte(payload)))
}

func claimsJSON(t testing.TB, c Claims) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func prove(t testing.TB, holder []byte, cred string, at time.Time) string {
	t.Helper()
	p, err := MakeProof(holder, cred, at)
	if err != nil {
		t.Fatal(err)
	}
	return cred + "~" + p
}

// verifyCase is one QR text against one terminal state.
type verifyCase struct {
	name  string
	text  string
	setup func(m *mem) // changes the terminal's data; nil: fresh
	opts  []Option     // more options
	want  Reason       // the reason
	valid bool         // and whether the code is valid
	color Color        // the colour shown ("" to skip)
	warns []Warning    // warnings that must be present
	check func(*testing.T, Result)
}

func runVerifyCases(t *testing.T, w *world, tests []verifyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := w.freshMem()
			if tt.setup != nil {
				tt.setup(m)
			}
			r := w.verifier(m, tt.opts...).Verify(tt.text)
			if r.Reason != tt.want || r.Valid != tt.valid {
				t.Fatalf("Verify: reason %q valid %v, want %q %v (%+v)", r.Reason, r.Valid, tt.want, tt.valid, r)
			}
			if tt.color != "" && r.Color != tt.color {
				t.Fatalf("color %q, want %q", r.Color, tt.color)
			}
			for _, wn := range tt.warns {
				if !slices.Contains(r.Warnings, wn) {
					t.Fatalf("warnings %v lack %q", r.Warnings, wn)
				}
			}
			if !r.Valid && r.Reason == ReasonOK {
				t.Fatal("invalid without a reason")
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestVerifyReasons(t *testing.T) {
	w := newWorld(t)
	c := w.claims()
	good := sign(t, w.ed, TypCredential, c)
	nsC := c
	nsC.Iss, nsC.Sub = "640000", "n-0001"
	nsC.Chk = t0.Add(-24 * time.Hour).Unix()
	ningxia := sign(t, w.es, TypCredential, nsC)

	with := func(f func(*Claims)) string {
		c := w.claims()
		f(&c)
		return sign(t, w.ed, TypCredential, c)
	}
	bound := sign(t, w.ed, TypCredential, w.bound())
	other := w.bound()
	other.JTI = "j-other"
	otherBound := sign(t, w.ed, TypCredential, other)
	otherProof := strings.SplitN(prove(t, w.holder, otherBound, t0), "~", 2)[1]
	strangerProof := strings.SplitN(prove(t, edKey("another phone"), bound, t0), "~", 2)[1]
	lee := 2 * time.Minute

	tests := []verifyCase{
		{name: "ok eddsa", text: good, want: ReasonOK, valid: true, color: Green, check: func(t *testing.T, r Result) {
			if r.Issuer != "450000" || r.IssuerName != "广西健康码" || r.Kid != "k1" || r.JTI != "j-0001" || r.Sub != "p-0001" ||
				r.Name != "张*三" || r.IDMasked != "450***********1234" || r.Person != HashPerson("450000", "p-0001") ||
				!r.IssuedAt.Equal(t0.Add(-time.Hour)) || !r.ExpiresAt.Equal(t0.Add(23*time.Hour)) || r.Bound ||
				r.TempThresholdC != 37.3 || !r.CheckedAt.Equal(t0) || len(r.Warnings) != 0 ||
				!r.TrustAsOf.Equal(t0.Add(-time.Hour)) || !r.RevocationsAsOf.Equal(t0.Add(-time.Hour)) {
				t.Fatalf("fields: %+v", r)
			}
		}},
		{name: "ok es256", text: ningxia, want: ReasonOK, valid: true, color: Green},
		{name: "ok in an https url", text: "https://hc.example.cn/v#" + good, want: ReasonOK, valid: true},
		{name: "ok with a scanner's line end", text: good + "\r\n", want: ReasonOK, valid: true},
		{name: "ok yellow", text: with(func(c *Claims) { c.Col = Yellow }), want: ReasonOK, valid: true, color: Yellow},
		{name: "ok red", text: with(func(c *Claims) { c.Col = Red }), want: ReasonOK, valid: true, color: Red},

		{name: "too large", text: good + strings.Repeat("A", MaxQRText-len(good)+1), want: ReasonTooLarge},
		{name: "malformed empty", text: "", want: ReasonMalformed},
		{name: "malformed text", text: "健康码", want: ReasonMalformed},
		{name: "malformed two dots", text: "a.b", want: ReasonMalformed},
		{name: "malformed two proofs", text: good + "~a~b", want: ReasonMalformed},
		{name: "malformed http url", text: "http://hc.example.cn/#" + good, want: ReasonMalformed},
		{name: "malformed url without fragment", text: "https://hc.example.cn/" + good, want: ReasonMalformed},
		{name: "malformed url without host", text: "https:///#" + good, want: ReasonMalformed},
		{name: "malformed trust list shown", text: w.signTrust(t, w.tl), want: ReasonMalformed},
		{name: "malformed no kid", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt"}`, claimsJSON(t, c)), want: ReasonMalformed},
		{name: "malformed no sub", text: with(func(c *Claims) { c.Sub = "" }), want: ReasonMalformed},
		{name: "malformed no exp", text: with(func(c *Claims) { c.Exp = 0 }), want: ReasonMalformed},
		{name: "malformed unknown colour", text: with(func(c *Claims) { c.Col = "blue" }), want: ReasonMalformed},
		{name: "malformed payload not an object", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1"}`, `"green"`), want: ReasonMalformed},

		{name: "alg none", text: b64.EncodeToString([]byte(`{"alg":"none","typ":"hc+jwt","kid":"k1"}`)) + "." + b64.EncodeToString([]byte(claimsJSON(t, c))) + ".", want: ReasonAlgNotAllowed},
		{name: "alg HS256", text: hs256(t, `{"alg":"HS256","typ":"hc+jwt","kid":"k1"}`, claimsJSON(t, c), []byte("secret")), want: ReasonAlgNotAllowed},
		{name: "alg RS256", text: forgeHeader(good, `{"alg":"RS256","typ":"hc+jwt","kid":"k1"}`), want: ReasonAlgNotAllowed},
		{name: "alg ES384", text: forgeHeader(good, `{"alg":"ES384","typ":"hc+jwt","kid":"k1"}`), want: ReasonAlgNotAllowed},
		{name: "alg disagrees with key", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"e1"}`, claimsJSON(t, nsC)), want: ReasonAlgNotAllowed},

		{name: "unknown issuer", text: with(func(c *Claims) { c.Iss = "110000" }), want: ReasonUnknownIssuer},
		{name: "unknown key", text: sign(t, mustSigner(t, "k9", edKey("k9")), TypCredential, c), want: ReasonUnknownKey},
		{name: "bad signature", text: tamperSig(good), want: ReasonBadSignature},
		{name: "bad signature forged by another key with the right kid", text: sign(t, mustSigner(t, "k1", edKey("forger")), TypCredential, c), want: ReasonBadSignature},

		{name: "expired", text: with(func(c *Claims) { c.Exp = t0.Add(-lee - time.Second).Unix() }), want: ReasonExpired},
		{name: "expired within leeway", text: with(func(c *Claims) { c.Exp = t0.Add(-lee).Unix() }), want: ReasonOK, valid: true},
		{name: "not yet valid nbf", text: with(func(c *Claims) { c.Nbf = t0.Add(lee + time.Second).Unix() }), want: ReasonNotYetValid},
		{name: "nbf within leeway", text: with(func(c *Claims) { c.Nbf = t0.Add(lee).Unix() }), want: ReasonOK, valid: true},
		{name: "not yet valid iat", text: with(func(c *Claims) { c.Iat = t0.Add(lee + time.Second).Unix() }), want: ReasonNotYetValid},
		{name: "leeway option", text: with(func(c *Claims) { c.Exp = t0.Add(-30 * time.Second).Unix() }), opts: []Option{WithLeeway(10 * time.Second)}, want: ReasonExpired},

		{name: "revoked jti", text: good, setup: func(m *mem) { m.jti["j-0001"] = true }, want: ReasonRevoked, color: Green},
		{name: "revoked person older credential", text: good, setup: func(m *mem) {
			m.person[HashPerson("450000", "p-0001")] = t0.Add(-30 * time.Minute).Unix()
		}, want: ReasonRevoked},
		{name: "revoked person newer credential accepted", text: good, setup: func(m *mem) {
			m.person[HashPerson("450000", "p-0001")] = t0.Add(-2 * time.Hour).Unix()
		}, want: ReasonOK, valid: true},
		{name: "revoked person credential issued at the cut-off accepted", text: good, setup: func(m *mem) {
			m.person[HashPerson("450000", "p-0001")] = t0.Add(-time.Hour).Unix()
		}, want: ReasonOK, valid: true},
		{name: "revocation of the same sub at another issuer does not apply", text: good, setup: func(m *mem) {
			m.person[HashPerson("640000", "p-0001")] = t0.Unix()
		}, want: ReasonOK, valid: true},

		{name: "bound ok", text: prove(t, w.holder, bound, t0.Add(-10*time.Second)), want: ReasonOK, valid: true, check: func(t *testing.T, r Result) {
			if !r.Bound {
				t.Fatal("Bound not set")
			}
		}},
		{name: "bound ok in an https url", text: "https://hc.example.cn/#" + prove(t, w.holder, bound, t0), want: ReasonOK, valid: true},
		{name: "bound ok with the full-length cth", text: bound + "~" + signRaw(t, mustSigner(t, "", w.holder), `{"alg":"EdDSA","typ":"hc-kb+jwt"}`,
			`{"iat":`+itoa(t0.Unix())+`,"cth":"`+fullCTH(bound)+`"}`), want: ReasonOK, valid: true},
		{name: "bad proof cth of another length", text: bound + "~" + signRaw(t, mustSigner(t, "", w.holder), `{"alg":"EdDSA","typ":"hc-kb+jwt"}`,
			`{"iat":`+itoa(t0.Unix())+`,"cth":"`+fullCTH(bound)[:30]+`"}`), want: ReasonBadProof},
		{name: "bad proof without cth", text: bound + "~" + signRaw(t, mustSigner(t, "", w.holder), `{"alg":"EdDSA","typ":"hc-kb+jwt"}`,
			`{"iat":`+itoa(t0.Unix())+`}`), want: ReasonBadProof},
		{name: "missing proof", text: bound, want: ReasonMissingProof},
		{name: "missing proof trailing tilde", text: bound + "~", want: ReasonMissingProof},
		{name: "bad proof from another credential", text: bound + "~" + otherProof, want: ReasonBadProof},
		{name: "bad proof by another phone", text: bound + "~" + strangerProof, want: ReasonBadProof},
		{name: "bad proof wrong typ", text: bound + "~" + signRaw(t, mustSigner(t, "", w.holder), `{"alg":"EdDSA","typ":"hc+jwt"}`, `{"iat":`+itoa(t0.Unix())+`,"cth":"`+credentialHash(bound)+`"}`), want: ReasonBadProof},
		{name: "bad proof beside an unbound credential", text: good + "~" + otherProof, want: ReasonBadProof},
		{name: "stale proof screenshot after the window", text: prove(t, w.holder, bound, t0.Add(-61*time.Second)), want: ReasonStaleProof},
		{name: "proof at the window edge", text: prove(t, w.holder, bound, t0.Add(-60*time.Second)), want: ReasonOK, valid: true},
		{name: "stale proof from the future", text: prove(t, w.holder, bound, t0.Add(lee+time.Second)), want: ReasonStaleProof},
		{name: "proof window from policy", text: prove(t, w.holder, bound, t0.Add(-20*time.Second)), setup: func(m *mem) {
			tl := *m.tl
			tl.Policy.ProofWindowS = 15
			m.tl = &tl
		}, want: ReasonStaleProof},

		{name: "no trust list", text: good, setup: func(m *mem) { m.tl = nil }, want: ReasonNoTrustList},
		{name: "trust list expired", text: good, setup: func(m *mem) {
			tl := *m.tl
			tl.Exp = t0.Add(-time.Second).Unix()
			m.tl = &tl
		}, want: ReasonTrustListExpired},
		{name: "trust source fails", text: good, setup: func(m *mem) { m.trustErr = errors.New("disk") }, want: ReasonLookupFailed},
		{name: "revocation source fails", text: good, setup: func(m *mem) { m.revErr = errors.New("disk") }, want: ReasonLookupFailed},

		{name: "data too old trust", text: good, setup: func(m *mem) { m.status.TrustAsOf = t0.Add(-73 * time.Hour) }, want: ReasonDataTooOld, color: Green},
		{name: "data too old revocations", text: good, setup: func(m *mem) { m.status.RevocationsAsOf = t0.Add(-73 * time.Hour) }, want: ReasonDataTooOld},
		{name: "data too old by policy", text: good, setup: func(m *mem) {
			tl := *m.tl
			tl.Policy.MaxOfflineHours = 24
			m.tl = &tl
			m.status.TrustAsOf = t0.Add(-25 * time.Hour)
		}, want: ReasonDataTooOld},
		{name: "no revocation data is too old", text: good, setup: func(m *mem) { m.status.RevocationsAsOf = time.Time{} }, want: ReasonDataTooOld, warns: []Warning{WarnNoRevocationData}},
		{name: "data old accepted by the site", text: good, setup: func(m *mem) { m.status.TrustAsOf = t0.Add(-100 * time.Hour) },
			opts: []Option{WithAcceptStaleData(true)}, want: ReasonOK, valid: true, color: Green, warns: []Warning{WarnStaleData}},
		{name: "no revocation data accepted by the site", text: good, setup: func(m *mem) { m.status.RevocationsAsOf = time.Time{} },
			opts: []Option{WithAcceptStaleData(true)}, want: ReasonOK, valid: true, warns: []Warning{WarnStaleData, WarnNoRevocationData}},
		{name: "old data does not hide a red code", text: with(func(c *Claims) { c.Col = Red }), setup: func(m *mem) { m.status.TrustAsOf = t0.Add(-100 * time.Hour) },
			want: ReasonOK, valid: true, color: Red},
		{name: "old data still refuses a revoked code", text: good, setup: func(m *mem) {
			m.status.TrustAsOf = t0.Add(-100 * time.Hour)
			m.jti["j-0001"] = true
		}, want: ReasonRevoked},

		{name: "clock behind warns on every verdict", text: "junk", setup: func(m *mem) { m.status.NewestSigned = t0.Add(time.Hour) },
			want: ReasonMalformed, warns: []Warning{WarnClockBehind}},
		{name: "clock behind on a valid code", text: good, setup: func(m *mem) { m.status.NewestSigned = t0.Add(time.Hour) },
			want: ReasonOK, valid: true, warns: []Warning{WarnClockBehind}},
		{name: "clock skew", text: good, setup: func(m *mem) { m.status.ClockOffset = -10 * time.Minute },
			want: ReasonOK, valid: true, warns: []Warning{WarnClockSkew}},
		{name: "clock skew option", text: good, setup: func(m *mem) { m.status.ClockOffset = 3 * time.Minute },
			opts: []Option{WithMaxClockSkew(time.Minute)}, want: ReasonOK, valid: true, warns: []Warning{WarnClockSkew}},
		{name: "policy threshold", text: good, setup: func(m *mem) {
			tl := *m.tl
			tl.Policy.TempThresholdC = 37.0
			m.tl = &tl
		}, want: ReasonOK, valid: true, check: func(t *testing.T, r Result) {
			if r.TempThresholdC != 37.0 {
				t.Fatalf("threshold %v", r.TempThresholdC)
			}
		}},
	}
	runVerifyCases(t, w, tests)
	for _, reason := range Reasons() {
		if !slices.ContainsFunc(tests, func(c verifyCase) bool { return c.want == reason }) {
			t.Errorf("no case for reason %s", reason)
		}
	}
}

func fullCTH(cred string) string {
	sum := sha256.Sum256([]byte(cred))
	return b64.EncodeToString(sum[:])
}

// TestVerifyWithoutRevocationSource: a Verifier given no RevocationSource
// never passes a code as "not revoked" silently.
func TestVerifyWithoutRevocationSource(t *testing.T) {
	w := newWorld(t)
	m := w.freshMem()
	tok := sign(t, w.ed, TypCredential, w.claims())
	clock := WithClock(func() time.Time { return t0 })
	tests := []struct {
		name  string
		v     *Verifier
		want  Reason
		valid bool
	}{
		{"with status", New(m, nil, m, clock), ReasonDataTooOld, false},
		{"with status, stale accepted", New(m, nil, m, clock, WithAcceptStaleData(true)), ReasonOK, true},
		{"without status", New(m, nil, nil, clock), ReasonOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.v.Verify(tok)
			if r.Reason != tt.want || r.Valid != tt.valid || !slices.Contains(r.Warnings, WarnNoRevocationData) {
				t.Fatalf("got %s valid %v warnings %v", r.Reason, r.Valid, r.Warnings)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// hs256 makes an HMAC-SHA256 JWS with the given secret.
func hs256(t testing.TB, hdr, payload string, secret []byte) string {
	t.Helper()
	in := b64.EncodeToString([]byte(hdr)) + "." + b64.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + b64.EncodeToString(mac.Sum(nil))
}

func TestVerifyGray(t *testing.T) {
	w := newWorld(t)
	ns := func(col Color, chk time.Time) string {
		c := w.claims()
		c.Iss, c.Col = "640000", col
		if !chk.IsZero() {
			c.Chk = chk.Unix()
		}
		return sign(t, w.es, TypCredential, c)
	}
	gx := w.claims()
	gx.Chk = t0.Add(-10 * 24 * time.Hour).Unix()
	runVerifyCases(t, w, []verifyCase{
		{name: "green with a recent check-in", text: ns(Green, t0.Add(-71*time.Hour)), want: ReasonOK, valid: true, color: Green},
		{name: "green without check-in for 3 days", text: ns(Green, t0.Add(-73*time.Hour)), want: ReasonOK, valid: true, color: Gray, check: func(t *testing.T, r Result) {
			if !r.CheckIn.Equal(t0.Add(-73 * time.Hour)) {
				t.Fatalf("CheckIn %v", r.CheckIn)
			}
		}},
		{name: "green with no chk under a gray rule", text: ns(Green, time.Time{}), want: ReasonOK, valid: true, color: Gray},
		{name: "yellow stays yellow", text: ns(Yellow, t0.Add(-100*time.Hour)), want: ReasonOK, valid: true, color: Yellow},
		{name: "red stays red", text: ns(Red, t0.Add(-100*time.Hour)), want: ReasonOK, valid: true, color: Red},
		{name: "issuer without a gray rule", text: sign(t, w.ed, TypCredential, gx), want: ReasonOK, valid: true, color: Green},
		{name: "gray is not held back for old data", text: ns(Green, t0.Add(-73*time.Hour)), setup: func(m *mem) { m.status.TrustAsOf = t0.Add(-100 * time.Hour) },
			want: ReasonOK, valid: true, color: Gray},
	})
}

// TestVerifyAttacks covers the attacks of issue 3 that are not a plain
// reason check.
func TestVerifyAttacks(t *testing.T) {
	w := newWorld(t)
	c := w.claims()
	cj := claimsJSON(t, c)
	hdr := `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1"}`
	good := sign(t, w.ed, TypCredential, c)

	// The ES256 issuer's public key, in the forms an HMAC-confused
	// verifier might use as the secret.
	esJWK, _ := json.Marshal(w.es.PublicJWK())
	esPub, _ := w.es.PublicJWK().PublicKey()
	nc := c
	nc.Iss = "640000"
	ncj := claimsJSON(t, nc)

	// Another issuer signs a credential naming 450000 with its own kid.
	intruder := w.claims() // iss 450000
	// The same kid at two issuers: 640000 also holds an EdDSA key "k1".
	clash := mustSigner(t, "k1", edKey("640000 clash"))

	deep := `{"iss":"450000","sub":"p","jti":"j","iat":1,"exp":9999999999,"col":"green","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`
	withName := func(name string) string {
		return `{"iss":"450000","sub":"p-0001","jti":"j-0001","iat":` + itoa(c.Iat) + `,"exp":` + itoa(c.Exp) + `,"col":"green","nam":"` + name + `","idm":"x"}`
	}
	stdPayload := func() string {
		// A payload whose base64url form has - or _, sent in the standard alphabet.
		for i := 0; ; i++ {
			p := withName("张" + strings.Repeat("?", i%7) + strings.Repeat(">", i/7))
			e := b64.EncodeToString([]byte(p))
			if strings.ContainsAny(e, "-_") {
				return base64.RawStdEncoding.EncodeToString([]byte(p))
			}
		}
	}()
	hdrB64 := b64.EncodeToString([]byte(hdr))

	runVerifyCases(t, w, []verifyCase{
		{name: "alg confusion: ES256 public key JWK as HMAC secret", text: hs256(t, `{"alg":"HS256","typ":"hc+jwt","kid":"e1"}`, ncj, esJWK), want: ReasonAlgNotAllowed},
		{name: "alg confusion: ES256 public point as HMAC secret", text: hs256(t, `{"alg":"HS256","typ":"hc+jwt","kid":"e1"}`, ncj, pointBytes(t, esPub)), want: ReasonAlgNotAllowed},
		{name: "kid naming another issuer's key", text: signRaw(t, w.es, `{"alg":"ES256","typ":"hc+jwt","kid":"e1"}`, claimsJSON(t, intruder)), want: ReasonUnknownKey},
		{name: "same kid at another issuer does not verify here", text: sign(t, clash, TypCredential, intruder), setup: func(m *mem) {
			tl := *m.tl
			tl.Issuers = slices.Clone(tl.Issuers)
			tl.Issuers[1].Keys = append(slices.Clone(tl.Issuers[1].Keys), clash.PublicJWK())
			m.tl = &tl
		}, want: ReasonBadSignature},
		{name: "duplicate claim (col red then green)", text: signRaw(t, w.ed, hdr, strings.Replace(cj, `"col":"green"`, `"col":"red","col":"green"`, 1)), want: ReasonMalformed},
		{name: "duplicate claim escaped", text: signRaw(t, w.ed, hdr, strings.Replace(cj, `"col":"green"`, `"col":"red","\u0063ol":"green"`, 1)), want: ReasonMalformed},
		{name: "claim in other case ignored, so col missing", text: signRaw(t, w.ed, hdr, strings.Replace(cj, `"col":`, `"COL":`, 1)), want: ReasonMalformed},
		{name: "duplicate header alg", text: signRaw(t, w.ed, `{"alg":"none","alg":"EdDSA","typ":"hc+jwt","kid":"k1"}`, cj), want: ReasonMalformed},
		{name: "duplicate header kid", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k9","kid":"k1"}`, cj), want: ReasonMalformed},
		{name: "crit unknown", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","crit":["exp"],"exp":1}`, cj), want: ReasonMalformed},
		{name: "crit empty", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","crit":[]}`, cj), want: ReasonMalformed},
		{name: "crit duplicate", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","crit":["x","x"],"x":1}`, cj), want: ReasonMalformed},
		{name: "header of 100 KB", text: forgeHeader(good, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","x":"`+strings.Repeat("a", 100<<10)+`"}`), want: ReasonTooLarge},
		{name: "payload of 100 KB", text: signRaw(t, w.ed, hdr, withName(strings.Repeat("a", 100<<10))), want: ReasonTooLarge},
		{name: "header over the header limit within the QR limit", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","x":"`+strings.Repeat("a", 600)+`"}`, cj), want: ReasonTooLarge},
		{name: "deeply nested payload", text: signRaw(t, w.ed, hdr, deep), want: ReasonMalformed},
		{name: "deeply nested header", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1","x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`, cj), want: ReasonMalformed},
		{name: "invalid utf-8 in a claim", text: signRaw(t, w.ed, hdr, withName("\xff\xfe")), want: ReasonMalformed},
		{name: "overlong utf-8 in a claim", text: signRaw(t, w.ed, hdr, withName("\xc0\xaf")), want: ReasonMalformed},
		{name: "lone surrogate escape in a claim", text: signRaw(t, w.ed, hdr, withName(`\ud800`)), want: ReasonMalformed},
		{name: "invalid utf-8 in the header", text: signRaw(t, w.ed, `{"alg":"EdDSA","typ":"hc+jwt","kid":"k1\xff"}`, cj), want: ReasonMalformed},
		{name: "utf-8 name is fine", text: signRaw(t, w.ed, hdr, withName("欧阳*")), want: ReasonOK, valid: true},
		{name: "escaped utf-8 name is fine", text: signRaw(t, w.ed, hdr, withName(`\u6b27\u9633*`)), want: ReasonOK, valid: true, check: func(t *testing.T, r Result) {
			if r.Name != "欧阳*" {
				t.Fatalf("name %q", r.Name)
			}
		}},
		{name: "base64 padding", text: signInput(t, w.ed, hdrB64+"."+padded(cj)), want: ReasonMalformed},
		{name: "base64 padding on the signature", text: good + "==", want: ReasonMalformed},
		{name: "base64 standard alphabet", text: signInput(t, w.ed, hdrB64+"."+stdPayload), want: ReasonMalformed},
		{name: "base64 line break", text: signInput(t, w.ed, hdrB64+"."+b64.EncodeToString([]byte(cj))[:20]+"\n"+b64.EncodeToString([]byte(cj))[20:]), want: ReasonMalformed},
		{name: "base64 non-canonical trailing bits", text: good[:len(good)-1] + nudge(good[len(good)-1]), want: ReasonMalformed},
		{name: "four segments", text: good + ".AAAA", want: ReasonMalformed},
		{name: "jwe-shaped", text: "a.b.c.d.e", want: ReasonMalformed},
		{name: "json serialization", text: `{"payload":"x","signatures":[]}`, want: ReasonMalformed},
		{name: "trailing garbage after payload json", text: signRaw(t, w.ed, hdr, cj+"x"), want: ReasonMalformed},
		{name: "null claim", text: signRaw(t, w.ed, hdr, strings.Replace(cj, `"nam":"张*三"`, `"nam":null`, 1)), want: ReasonMalformed},
		{name: "negative exp", text: signRaw(t, w.ed, hdr, strings.Replace(cj, `"exp":`+itoa(c.Exp), `"exp":-1`, 1)), want: ReasonMalformed},
		{name: "private key in cnf", text: signRaw(t, w.ed, hdr, strings.TrimSuffix(cj, "}")+`,"cnf":{"jwk":{"kty":"OKP","crv":"Ed25519","x":"`+w.ed.PublicJWK().X+`","d":"`+w.ed.PublicJWK().X+`"}}}`), want: ReasonMalformed},
		{name: "generic jwt library token", text: jwtLib(t, w.ed, c), want: ReasonOK, valid: true},
	})
}

// nudge returns a base64url character with the same top bits as c but
// different low bits, so that the decoded bytes stay the same while the
// encoding is no longer canonical (the last character of 86 carries 4
// meaningful bits and 2 padding bits).
func nudge(c byte) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alpha, c)
	return string(alpha[i^1])
}

// padded encodes s (plus trailing spaces, which JSON allows) in base64url
// with its '=' padding.
func padded(s string) string {
	for {
		e := base64.URLEncoding.EncodeToString([]byte(s))
		if strings.HasSuffix(e, "=") {
			return e
		}
		s += " "
	}
}

// tamperSig changes a byte in the middle of the signature.
func tamperSig(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 20
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func pointBytes(t testing.TB, pub any) []byte {
	t.Helper()
	type byter interface{ Bytes() ([]byte, error) }
	b, err := pub.(byter).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwtLib signs with golang-jwt's own Token API: what another team using a
// generic library would produce.
func jwtLib(t testing.TB, s *Signer, c Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, jwt.MapClaims{
		"iss": c.Iss, "sub": c.Sub, "jti": c.JTI, "iat": c.Iat, "exp": c.Exp,
		"col": string(c.Col), "nam": c.Nam, "idm": c.Idm,
	})
	tok.Header["typ"] = TypCredential
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func claimsJSONAny(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

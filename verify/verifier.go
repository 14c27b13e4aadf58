package verify

import (
	"crypto"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithLeeway sets the allowance for clock skew on exp/nbf/iat (default 2 minutes).
func WithLeeway(d time.Duration) Option { return func(v *Verifier) { v.leeway = d } }

// WithAcceptStaleData makes a code that would pass with data older than
// max_offline_hours pass with WarnStaleData instead of ReasonDataTooOld.
func WithAcceptStaleData(accept bool) Option { return func(v *Verifier) { v.acceptStale = accept } }

// WithMaxClockSkew sets how far the terminal's clock may be from the
// upstream's (as measured at the last sync) before every verdict carries
// WarnClockSkew (default DefaultMaxClockSkew).
func WithMaxClockSkew(d time.Duration) Option { return func(v *Verifier) { v.maxSkew = d } }

// DefaultMaxClockSkew is the clock offset beyond which verdicts warn.
const DefaultMaxClockSkew = 5 * time.Minute

// Verifier verifies QR texts offline. It is safe for concurrent use.
type Verifier struct {
	trust       TrustSource
	revs        RevocationSource
	status      StatusSource
	now         func() time.Time
	leeway      time.Duration
	acceptStale bool
	maxSkew     time.Duration

	// index caches the keys of the trust list in force, parsed once; it
	// is rebuilt when TrustSource returns a different *TrustList.
	index atomic.Pointer[trustIndex]
}

// New makes a Verifier. status may be nil: then there are no freshness or
// clock checks, TrustAsOf is the trust list's iat and no verdict says data
// too old — fit for tests and tools, not for a kiosk. revs may be nil only
// together with a status that reports no revocation data.
func New(trust TrustSource, revs RevocationSource, status StatusSource, opts ...Option) *Verifier {
	v := &Verifier{trust: trust, revs: revs, status: status, now: time.Now,
		leeway: 2 * time.Minute, maxSkew: DefaultMaxClockSkew}
	for _, o := range opts {
		o(v)
	}
	return v
}

type trustIndex struct {
	tl         *TrustList
	exp        time.Time
	issuers    map[string]*issuerIndex
	threshold  float64
	window     time.Duration
	maxOffline time.Duration
}

type issuerIndex struct {
	name      string
	grayAfter int64 // seconds; 0: no gray rule
	keys      []keyIndex
}

type keyIndex struct {
	kid      string
	alg      string
	method   jwt.SigningMethod
	pub      crypto.PublicKey
	nbf, exp int64
}

func buildIndex(tl *TrustList) *trustIndex {
	ix := &trustIndex{
		tl:         tl,
		exp:        time.Unix(tl.Exp, 0),
		issuers:    make(map[string]*issuerIndex, len(tl.Issuers)),
		threshold:  tl.Policy.TempThresholdC,
		window:     time.Duration(tl.Policy.ProofWindowS) * time.Second,
		maxOffline: time.Duration(tl.Policy.MaxOfflineHours) * time.Hour,
	}
	if ix.threshold == 0 {
		ix.threshold = DefaultTempThresholdC
	}
	if ix.window == 0 {
		ix.window = DefaultProofWindow
	}
	if ix.maxOffline == 0 {
		ix.maxOffline = DefaultMaxOfflineHours * time.Hour
	}
	for i := range tl.Issuers {
		e := &tl.Issuers[i]
		is := &issuerIndex{name: e.Name, grayAfter: int64(e.GrayAfterHours) * 3600}
		for _, k := range e.Keys {
			// A key whose alg is not allowed or does not fit it never verifies.
			alg, err := k.algorithm()
			if err != nil || k.Alg != alg {
				continue
			}
			pub, err := k.PublicKey()
			if err != nil {
				continue
			}
			m, _ := methodFor(alg)
			is.keys = append(is.keys, keyIndex{kid: k.Kid, alg: alg, method: m, pub: pub, nbf: k.NBF, exp: k.EXP})
		}
		ix.issuers[e.Iss] = is
	}
	return ix
}

func (v *Verifier) trustIndex() (*trustIndex, Reason) {
	if v.trust == nil {
		return nil, ReasonNoTrustList
	}
	tl, err := v.trust.Trust()
	switch {
	case errors.Is(err, ErrNoTrustList) || (err == nil && tl == nil):
		return nil, ReasonNoTrustList
	case err != nil:
		return nil, ReasonLookupFailed
	}
	if ix := v.index.Load(); ix != nil && ix.tl == tl {
		return ix, ReasonOK
	}
	ix := buildIndex(tl)
	v.index.Store(ix)
	return ix, ReasonOK
}

// Verify verifies one QR text. It never panics and never returns without a Reason.
//
// The checks run in this order, the first failure giving the reason:
// size; shape (URL fragment, credential~proof, strict JWS, claims); trust
// list present and current; issuer; key by (iss, kid) with the header's
// alg equal to the key's and iat within the key's window; signature;
// exp/nbf/iat; holder proof; revocation by jti and by person; then the
// gray rule and, for a code that would pass, the freshness of the data.
func (v *Verifier) Verify(text string) Result {
	now := v.now()
	r := Result{CheckedAt: now}
	var st SyncStatus
	if v.status != nil {
		st = v.status.SyncStatus()
		r.TrustAsOf, r.RevocationsAsOf = st.TrustAsOf, st.RevocationsAsOf
		if !st.NewestSigned.IsZero() && now.Before(st.NewestSigned.Add(-v.leeway)) {
			r.Warnings = append(r.Warnings, WarnClockBehind)
		}
		if !st.ClockMeasured.IsZero() && (st.ClockOffset > v.maxSkew || st.ClockOffset < -v.maxSkew) {
			r.Warnings = append(r.Warnings, WarnClockSkew)
		}
		if st.RevocationsAsOf.IsZero() {
			r.Warnings = append(r.Warnings, WarnNoRevocationData)
		}
	}
	if v.revs == nil && (v.status == nil || !st.RevocationsAsOf.IsZero()) {
		// Nothing to look revocations up in: say so, whatever the status claims.
		r.Warnings = append(r.Warnings, WarnNoRevocationData)
		st.RevocationsAsOf, r.RevocationsAsOf = time.Time{}, time.Time{}
	}
	r.Reason = v.verify(text, now, &r, &st)
	return r
}

func (v *Verifier) verify(text string, now time.Time, r *Result, st *SyncStatus) Reason {
	if len(text) > MaxQRText {
		return ReasonTooLarge
	}
	cred, proof, ok := splitQR(text)
	if !ok {
		return ReasonMalformed
	}
	j, err := parseJWS(cred, TypCredential, MaxQRText)
	if err != nil {
		return reasonFor(err)
	}
	if j.kid == "" {
		return ReasonMalformed
	}
	d := decoder{b: j.payload}
	c, err := d.claims()
	if err != nil || d.end() != nil || c.validate() != nil {
		return ReasonMalformed
	}
	r.Issuer, r.Kid = c.Iss, j.kid

	ix, reason := v.trustIndex()
	if reason != ReasonOK {
		return reason
	}
	r.TempThresholdC = ix.threshold
	if v.status == nil {
		r.TrustAsOf = time.Unix(ix.tl.Iat, 0)
	}
	if now.After(ix.exp) {
		return ReasonTrustListExpired
	}
	is := ix.issuers[c.Iss]
	if is == nil {
		return ReasonUnknownIssuer
	}
	r.IssuerName = is.name
	if reason := v.checkSignature(j, c, is, now); reason != ReasonOK {
		return reason
	}

	// Authentic from here on: show what the credential says.
	r.JTI, r.Sub, r.Name, r.IDMasked = c.JTI, c.Sub, c.Nam, c.Idm
	r.Color = c.Col
	r.IssuedAt, r.ExpiresAt = time.Unix(c.Iat, 0), time.Unix(c.Exp, 0)
	if c.Chk != 0 {
		r.CheckIn = time.Unix(c.Chk, 0)
	}
	r.Person = HashPerson(c.Iss, c.Sub)

	nowS, lee := now.Unix(), int64(v.leeway/time.Second)
	switch {
	case nowS > c.Exp+lee:
		return ReasonExpired
	case c.Nbf != 0 && c.Nbf > nowS+lee, c.Iat > nowS+lee:
		return ReasonNotYetValid
	}

	if reason := v.checkProof(cred, proof, c, ix, now); reason != ReasonOK {
		return reason
	}
	r.Bound = c.Cnf != nil

	if v.revs != nil {
		revoked, err := v.revs.RevokedJTI(c.JTI)
		if err != nil {
			return ReasonLookupFailed
		}
		if revoked {
			return ReasonRevoked
		}
		before, found, err := v.revs.RevokedBefore(r.Person)
		if err != nil {
			return ReasonLookupFailed
		}
		if found && c.Iat < before {
			return ReasonRevoked
		}
	}

	if r.Color == Green && is.grayAfter > 0 && (c.Chk == 0 || nowS-c.Chk > is.grayAfter) {
		// No check-in known, or too long ago: the issuer's gray rule.
		r.Color = Gray
	}
	r.Valid = true
	if r.Color != Green || v.status == nil {
		// Only a code that would pass can be held back for old data.
		return ReasonOK
	}
	if dataTooOld(st, now, ix.maxOffline) {
		if !v.acceptStale {
			r.Valid = false
			return ReasonDataTooOld
		}
		r.Warnings = append(r.Warnings, WarnStaleData)
	}
	return ReasonOK
}

// dataTooOld: either the trust list or the revocation data is older than
// allowed. Never having applied a revocation feed counts as too old: no
// key is "not revoked" merely because nothing arrived.
func dataTooOld(st *SyncStatus, now time.Time, max time.Duration) bool {
	if st.TrustAsOf.IsZero() || st.RevocationsAsOf.IsZero() {
		return true
	}
	return now.Sub(st.TrustAsOf) > max || now.Sub(st.RevocationsAsOf) > max
}

// checkSignature finds the issuer's keys named by kid, keeps those whose
// alg is the header's and whose window covers the credential, and accepts
// when any of them verifies.
func (v *Verifier) checkSignature(j *jws, c *Claims, is *issuerIndex, now time.Time) Reason {
	lee := int64(v.leeway / time.Second)
	nowS := now.Unix()
	named, algOK, tried := false, false, false
	for i := range is.keys {
		k := &is.keys[i]
		if k.kid != j.kid {
			continue
		}
		named = true
		if k.alg != j.alg {
			continue
		}
		algOK = true
		if k.nbf != 0 && c.Iat < k.nbf-lee {
			continue
		}
		if k.exp != 0 && (c.Iat > k.exp || nowS > k.exp+lee) {
			continue
		}
		tried = true
		if k.method.Verify(j.signingInput, j.sig, k.pub) == nil {
			return ReasonOK
		}
	}
	switch {
	case !named:
		return ReasonUnknownKey
	case !algOK:
		return ReasonAlgNotAllowed
	case !tried:
		// Only keys outside their validity window carry this kid.
		return ReasonUnknownKey
	}
	return ReasonBadSignature
}

// checkProof applies holder binding: a credential with cnf needs a proof
// signed by the cnf key, over this credential, made within the policy's
// window; a proof beside an unbound credential is refused too.
func (v *Verifier) checkProof(cred, proof string, c *Claims, ix *trustIndex, now time.Time) Reason {
	if c.Cnf == nil {
		if proof != "" {
			return ReasonBadProof
		}
		return ReasonOK
	}
	if proof == "" {
		return ReasonMissingProof
	}
	alg, err := c.Cnf.JWK.algorithm()
	if err != nil {
		return ReasonMalformed
	}
	pub, err := c.Cnf.JWK.PublicKey()
	if err != nil {
		return ReasonMalformed
	}
	p, err := parseJWS(proof, TypProof, MaxQRText)
	if err != nil {
		if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
			return ReasonMalformed
		}
		return ReasonBadProof
	}
	if p.alg != alg {
		return ReasonBadProof
	}
	m, _ := methodFor(alg)
	if m.Verify(p.signingInput, p.sig, pub) != nil {
		return ReasonBadProof
	}
	d := decoder{b: p.payload}
	var iat int64
	var cth []byte
	var hasIat bool
	err = d.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "iat":
			hasIat = true
			iat, err = d.date()
		case "cth":
			var s []byte
			s, err = d.rawString()
			cth = append(cth[:0], s...)
		default:
			err = d.skip()
		}
		return err
	})
	if err != nil || d.end() != nil || !hasIat {
		return ReasonMalformed
	}
	if !cthMatches(cth, cred) {
		return ReasonBadProof
	}
	nowS := now.Unix()
	if iat < nowS-int64(ix.window/time.Second) || iat > nowS+int64(v.leeway/time.Second) {
		return ReasonStaleProof
	}
	return ReasonOK
}

// splitQR takes the credential and the optional proof out of a QR text: the
// text itself, or the fragment of an https URL; then credential or
// credential~proof. Outer whitespace (a scanner's line end) is ignored.
func splitQR(text string) (cred, proof string, ok bool) {
	text = strings.TrimSpace(text)
	if len(text) >= 8 && strings.EqualFold(text[:8], "https://") {
		rest := text[8:]
		hash := strings.IndexByte(rest, '#')
		if hash < 0 {
			return "", "", false
		}
		host := rest[:hash]
		if i := strings.IndexAny(host, "/?"); i >= 0 {
			host = host[:i]
		}
		if host == "" {
			return "", "", false
		}
		text = rest[hash+1:]
	}
	cred, proof, _ = strings.Cut(text, "~")
	if cred == "" || strings.IndexByte(proof, '~') >= 0 {
		return "", "", false
	}
	return cred, proof, true
}

func reasonFor(err error) Reason {
	switch {
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrAlgNotAllowed):
		return ReasonAlgNotAllowed
	}
	return ReasonMalformed
}

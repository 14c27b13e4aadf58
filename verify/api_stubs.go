package verify

// This file holds the signatures the rest of the terminal codes against.
// The verify owner replaces every body with the real thing (and may move the
// declarations to files of their own); the signatures are a contract: change
// one only together with its callers.

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"time"
)

var errTODO = errors.New("verify: not implemented yet")

// ParsePublicJWK reads one public JWK (JSON), e.g. the trust root a terminal pins.
func ParsePublicJWK(data []byte) (JWK, error) { return JWK{}, errTODO }

// PublicKey returns the ed25519.PublicKey or *ecdsa.PublicKey the JWK holds.
func (k JWK) PublicKey() (crypto.PublicKey, error) { return nil, errTODO }

// PublicJWK makes the JWK of a public key (ed25519.PublicKey or *ecdsa.PublicKey P-256).
func PublicJWK(pub crypto.PublicKey, kid, alg string) (JWK, error) { return JWK{}, errTODO }

// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url.
func (k JWK) Thumbprint() string { return "" }

// ParseTrustList verifies a trust-list JWS against the pinned roots (any one
// verifying suffices), checks typ and exp against now, and returns its content.
// It does not know the seq held; the store refuses replays.
func ParseTrustList(token string, roots []JWK, now time.Time) (*TrustList, error) {
	return nil, errTODO
}

// ParseRevocationFeed verifies a revocation-feed JWS against the pinned roots.
func ParseRevocationFeed(token string, roots []JWK) (*RevocationFeed, error) {
	return nil, errTODO
}

// HashPerson computes PersonHash for (iss, sub).
func HashPerson(iss, sub string) PersonHash { return PersonHash{} }

// String is the lowercase hex form used in feeds and reports.
func (p PersonHash) String() string { return "" }

// ParsePersonHash reads the lowercase hex form.
func ParsePersonHash(s string) (PersonHash, error) { return PersonHash{}, errTODO }

// Signer signs protocol artefacts (credentials, trust lists, feeds) with one key.
type Signer struct {
	kid string
	alg string
	key crypto.Signer
}

// NewSigner wraps an ed25519.PrivateKey (alg EdDSA) or a P-256 *ecdsa.PrivateKey (alg ES256).
func NewSigner(kid string, key crypto.Signer) (*Signer, error) { return nil, errTODO }

// PublicJWK is the signer's public key with kid and alg set.
func (s *Signer) PublicJWK() JWK { return JWK{} }

// Sign makes a compact JWS with header {alg, typ, kid} over claims (marshalled as JSON).
func (s *Signer) Sign(typ string, claims any) (string, error) { return "", errTODO }

// MakeProof makes the holder proof (typ hc-kb+jwt, claims iat and cth) for a
// credential; the QR text is credential + "~" + proof.
func MakeProof(holder ed25519.PrivateKey, credential string, iat time.Time) (string, error) {
	return "", errTODO
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithLeeway sets the allowance for clock skew on exp/nbf/iat.
func WithLeeway(d time.Duration) Option { return func(v *Verifier) { v.leeway = d } }

// WithAcceptStaleData makes a code that would pass with data older than
// max_offline_hours pass with WarnStaleData instead of ReasonDataTooOld.
func WithAcceptStaleData(accept bool) Option { return func(v *Verifier) { v.acceptStale = accept } }

// Verifier verifies QR texts offline.
type Verifier struct {
	trust       TrustSource
	revs        RevocationSource
	status      StatusSource
	now         func() time.Time
	leeway      time.Duration
	acceptStale bool
}

// New makes a Verifier. status may be nil (no freshness or clock checks).
func New(trust TrustSource, revs RevocationSource, status StatusSource, opts ...Option) *Verifier {
	v := &Verifier{trust: trust, revs: revs, status: status, now: time.Now, leeway: 2 * time.Minute}
	for _, o := range opts {
		o(v)
	}
	return v
}

// Verify verifies one QR text. It never panics and never returns without a Reason.
func (v *Verifier) Verify(text string) Result { return Result{Reason: ReasonMalformed} }

// Site is the kind of checkpoint, which sets what is asked and recorded.
type Site string

// Sites.
const (
	SiteRoad       Site = "road"
	SiteCommunity  Site = "community"
	SiteMall       Site = "mall"
	SiteTransit    Site = "transit"
	SiteEnterprise Site = "enterprise"
)

// Verdict is what the officer does.
type Verdict string

// Verdicts.
const (
	VerdictPass Verdict = "pass"
	VerdictDeny Verdict = "deny"
)

// ReportKind is what, if anything, goes upstream.
type ReportKind string

// Report kinds.
const (
	ReportNone        ReportKind = ""
	ReportFever       ReportKind = "fever"
	ReportRedSighting ReportKind = "red_sighting"
)

// Decision is the checkpoint's decision for one person.
type Decision struct {
	Verdict         Verdict    `json:"verdict"`
	Report          ReportKind `json:"report,omitempty"`
	NeedTemperature bool       `json:"need_temperature,omitempty"`
	TemperatureC    float64    `json:"temperature_c,omitempty"`
	ThresholdC      float64    `json:"threshold_c,omitempty"`
}

// Plausible body temperatures; a reading outside is a measuring error.
const (
	MinPlausibleC = 35.0
	MaxPlausibleC = 42.5
)

// ParseTemperature reads an officer's entry ("36.6", "36,6") and refuses what
// is not a number in [MinPlausibleC, MaxPlausibleC].
func ParseTemperature(s string) (float64, error) { return 0, errTODO }

// Decide applies the checkpoint rules. temp is nil when no temperature has
// been taken yet: for a valid green code at a site that measures, the result
// then has NeedTemperature set and Verdict empty.
func Decide(r Result, site Site, temp *float64) Decision { return Decision{Verdict: VerdictDeny} }

// Message is the officer-facing text for a reason, lang "zh" or "en".
func (r Reason) Message(lang string) string { return string(r) }

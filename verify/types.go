package verify

import (
	"time"
)

// Color is the health-code colour a credential carries (or, for gray, the
// colour the terminal derives from an old check-in).
type Color string

// The colours of the protocol.
const (
	Green  Color = "green"
	Yellow Color = "yellow"
	Red    Color = "red"
	Gray   Color = "gray"
)

// Reason is the one machine-readable cause of a verdict. ReasonOK for a valid
// code; every refusal has exactly one other reason.
type Reason string

// Reasons. The first group is the contract of issue 2 (`checkpoint verify`);
// the rest say why a code could not be judged at all.
const (
	ReasonOK            Reason = "ok"
	ReasonMalformed     Reason = "malformed"
	ReasonTooLarge      Reason = "too_large"
	ReasonAlgNotAllowed Reason = "alg_not_allowed"
	ReasonUnknownIssuer Reason = "unknown_issuer"
	ReasonUnknownKey    Reason = "unknown_key"
	ReasonBadSignature  Reason = "bad_signature"
	ReasonExpired       Reason = "expired"
	ReasonNotYetValid   Reason = "not_yet_valid"
	ReasonRevoked       Reason = "revoked"
	ReasonMissingProof  Reason = "missing_proof"
	ReasonBadProof      Reason = "bad_proof"
	ReasonStaleProof    Reason = "stale_proof"

	// ReasonNoTrustList: the terminal holds no trust list yet.
	ReasonNoTrustList Reason = "no_trust_list"
	// ReasonTrustListExpired: the trust list in force is past its exp; the
	// code may be fine, the terminal cannot tell.
	ReasonTrustListExpired Reason = "trust_list_expired"
	// ReasonDataTooOld: the code would pass, but the trust list or revocation
	// data is older than the policy's max_offline_hours.
	ReasonDataTooOld Reason = "data_too_old"
	// ReasonLookupFailed: the terminal's own data (trust list, revocations)
	// could not be read; never a silent pass.
	ReasonLookupFailed Reason = "lookup_failed"
)

// Reasons lists every reason code, in the order above.
func Reasons() []Reason {
	return []Reason{ReasonOK, ReasonMalformed, ReasonTooLarge, ReasonAlgNotAllowed,
		ReasonUnknownIssuer, ReasonUnknownKey, ReasonBadSignature, ReasonExpired,
		ReasonNotYetValid, ReasonRevoked, ReasonMissingProof, ReasonBadProof,
		ReasonStaleProof, ReasonNoTrustList, ReasonTrustListExpired, ReasonDataTooOld,
		ReasonLookupFailed}
}

// MaxQRText is the largest QR text verify will look at; anything longer is
// ReasonTooLarge before any parsing.
const MaxQRText = 4096

// JOSE "typ" header values of the protocol.
const (
	TypCredential  = "hc+jwt"
	TypProof       = "hc-kb+jwt"
	TypTrustList   = "hc-trust+jwt"
	TypRevocations = "hc-revocations+jwt"
)

// JWK is a public key in JSON Web Key form (RFC 7517): Ed25519 as
// {"kty":"OKP","crv":"Ed25519","x":…}, P-256 as {"kty":"EC","crv":"P-256","x":…,"y":…}.
// In a trust list every key carries kid and alg ("EdDSA" or "ES256"), and
// optionally a validity window (nbf/exp, NumericDate).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	NBF int64  `json:"nbf,omitempty"`
	EXP int64  `json:"exp,omitempty"`
}

// Policy is the checkpoint policy a trust list carries.
type Policy struct {
	TempThresholdC  float64 `json:"temp_threshold_c,omitempty"`
	ProofWindowS    int     `json:"proof_window_s,omitempty"`
	MaxOfflineHours int     `json:"max_offline_hours,omitempty"`
}

// Defaults used where a trust list's policy leaves a field zero.
const (
	DefaultTempThresholdC  = 37.3
	DefaultProofWindow     = 60 * time.Second
	DefaultMaxOfflineHours = 72
)

// IssuerEntry is one trusted issuing platform in a trust list.
type IssuerEntry struct {
	Iss            string `json:"iss"`
	Name           string `json:"name"`
	Keys           []JWK  `json:"keys"`
	GrayAfterHours int    `json:"gray_after_hours,omitempty"`
}

// TrustList is the verified content of a trust-list JWS (typ hc-trust+jwt).
type TrustList struct {
	Iss     string        `json:"iss"`
	Iat     int64         `json:"iat"`
	Exp     int64         `json:"exp"`
	Seq     uint64        `json:"seq"`
	Issuers []IssuerEntry `json:"issuers"`
	Policy  Policy        `json:"policy"`
	// NextRoot announces the root that will sign the lists after a root
	// rotation, under the signature of the root in force, so that a
	// terminal pins it before the first list it signs.
	NextRoot *JWK `json:"next_root,omitempty"`
}

// RevocationEntry voids either one credential (JTI) or every credential of a
// person issued before Before (SH, lowercase hex of PersonHash).
type RevocationEntry struct {
	SH     string `json:"sh,omitempty"`
	Before int64  `json:"before,omitempty"`
	JTI    string `json:"jti,omitempty"`
}

// RevocationFeed is the verified content of a revocation-feed JWS
// (typ hc-revocations+jwt): the entries between sequence numbers From
// (exclusive) and To (inclusive), or, when Full, the whole state at To.
type RevocationFeed struct {
	Iss     string            `json:"iss"`
	Iat     int64             `json:"iat"`
	From    uint64            `json:"from"`
	To      uint64            `json:"to"`
	Full    bool              `json:"full"`
	Count   uint64            `json:"count,omitempty"`
	Entries []RevocationEntry `json:"entries"`
}

// Cnf binds a credential to the holder's phone key.
type Cnf struct {
	JWK JWK `json:"jwk"`
}

// Claims are the claims of a code credential (typ hc+jwt).
type Claims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	JTI string `json:"jti"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
	Nbf int64  `json:"nbf,omitempty"`
	Col Color  `json:"col"`
	Nam string `json:"nam"`
	Idm string `json:"idm"`
	Chk int64  `json:"chk,omitempty"`
	Cnf *Cnf   `json:"cnf,omitempty"`
}

// PersonHash is the first 16 bytes of SHA-256(iss ‖ 0x00 ‖ sub): how
// revocations and reports name a person without naming them.
type PersonHash [16]byte

// Warning is something the officer must see beside the verdict.
type Warning string

// Warnings.
const (
	WarnClockBehind      Warning = "clock_behind"       // earlier than the newest signed artefact held
	WarnClockSkew        Warning = "clock_skew"         // far from the upstream's clock at the last sync
	WarnStaleData        Warning = "stale_data"         // accepted although data is too old (site switch)
	WarnNoRevocationData Warning = "no_revocation_data" // no revocation feed applied yet
)

// Result is the outcome of verifying one QR text.
type Result struct {
	Valid  bool   `json:"valid"`
	Reason Reason `json:"reason"`
	// Color is the colour to show: the credential's, or Gray under the
	// issuer's gray rule. Empty when the credential could not be read.
	Color Color `json:"color,omitempty"`

	Issuer     string     `json:"iss,omitempty"`
	IssuerName string     `json:"issuer_name,omitempty"`
	Kid        string     `json:"kid,omitempty"`
	JTI        string     `json:"jti,omitempty"`
	Sub        string     `json:"sub,omitempty"`
	Person     PersonHash `json:"-"`
	Name       string     `json:"name,omitempty"` // masked
	IDMasked   string     `json:"id_masked,omitempty"`
	IssuedAt   time.Time  `json:"issued_at,omitzero"`
	ExpiresAt  time.Time  `json:"expires_at,omitzero"`
	CheckIn    time.Time  `json:"check_in,omitzero"`
	Bound      bool       `json:"bound,omitempty"` // carried cnf and a good proof

	Warnings        []Warning `json:"warnings,omitempty"`
	TrustAsOf       time.Time `json:"trust_as_of,omitzero"`
	RevocationsAsOf time.Time `json:"revocations_as_of,omitzero"`
	// TempThresholdC is the threshold in force for this verdict.
	TempThresholdC float64 `json:"temp_threshold_c,omitempty"`
	// CheckedAt is the terminal's clock reading the verdict was made at.
	CheckedAt time.Time `json:"checked_at,omitzero"`
}

// SyncStatus is what the terminal knows about the freshness of its data and
// its clock, as the store records it after each complete sync.
type SyncStatus struct {
	TrustAsOf       time.Time     // when the trust list in force was last confirmed current
	RevocationsAsOf time.Time     // zero: no revocation data applied yet
	NewestSigned    time.Time     // newest iat among the signed artefacts held
	ClockOffset     time.Duration // upstream clock minus ours at ClockMeasured
	ClockMeasured   time.Time     // zero: never measured
}

// TrustSource gives the verified trust list in force.
type TrustSource interface {
	// Trust returns the trust list in force, or an error wrapping
	// ErrNoTrustList when the terminal holds none.
	Trust() (*TrustList, error)
}

// RevocationSource answers revocation lookups.
type RevocationSource interface {
	// RevokedBefore returns the cut-off (NumericDate) before which every
	// credential of the person was voided, and whether there is one.
	RevokedBefore(p PersonHash) (before int64, found bool, err error)
	// RevokedJTI reports whether the credential with this jti was voided.
	RevokedJTI(jti string) (bool, error)
}

// StatusSource reports data freshness and clock measurements.
type StatusSource interface {
	SyncStatus() SyncStatus
}

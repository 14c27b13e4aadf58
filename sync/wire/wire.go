// Package wire holds the HTTP protocol between checkpoint terminals and
// their upstream: paths, headers, the JSON bodies and the error codes. Both
// the terminal's client (package yanma/sync) and the reference upstream
// (yanma/sync/upstream) use it, so the two cannot drift apart.
// docs/sync.md describes the same protocol for other implementers.
package wire

import (
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"yanma/verify"
)

// Paths. Every path is under /v1.
const (
	PathTrustList       = "/v1/trust-list"
	PathRevocations     = "/v1/revocations"
	PathEnroll          = "/v1/enroll"
	PathReports         = "/v1/reports"
	PathRoot            = "/v1/root" // GET: the root in force; admin: POST ?step=prepare|rotate
	PathHealth          = "/healthz"
	PathCodes           = "/v1/codes"            // admin
	PathEnrollmentCodes = "/v1/enrollment-codes" // admin
	PathPersonColor     = "/v1/person-color"     // admin
	PathDeviceRevoke    = "/v1/device-revoke"    // admin
	PathFullSnapshot    = "/v1/snapshot"         // admin: the whole snapshot in one JWS
	PathSightings       = "/v1/sightings"        // admin: recent red sightings, newest first
	PathIssuerKey       = "/v1/issuer-key"       // admin: POST ?step=prepare|rotate
)

// Media types of the bodies.
const (
	MediaJWT  = "application/jwt"
	MediaJSON = "application/json"
	MediaJWK  = "application/jwk+json"
)

// HeaderSnapshotNext names the cursor of the next page of a paged full
// revocation snapshot; absent on the last page. It is a transport hint, not
// signed: the store checks the page's signed seq and count and the total.
const HeaderSnapshotNext = "Snapshot-Next"

// DeviceAudience is the aud of a device token.
const DeviceAudience = "yanma-upstream"

// EnrollAudience is the aud of the proof of possession sent with an
// enrollment.
const EnrollAudience = "yanma-enroll"

// Token lifetimes. A device token lives at most MaxTokenLifetime from its
// iat; the upstream remembers each jti for ReplayWindow, and refuses a
// token whose iat is further than ReplayWindow/2 from its own clock, so a
// token can never be replayed after its jti was forgotten.
const (
	TokenLifetime    = 60 * time.Second
	MaxTokenLifetime = 5 * time.Minute
	ReplayWindow     = 20 * time.Minute
)

// Limits.
const (
	// MaxReportBatch is the most reports one POST /v1/reports may carry.
	MaxReportBatch = 5000
	// MaxRequestBody is the most bytes a request body may hold, after
	// decompression.
	MaxRequestBody = 8 << 20
)

// TrustETag is the entity tag of a signed trust list: a strong tag over
// the JWS text, so a terminal can compute it from the list it holds.
func TrustETag(jws string) string {
	sum := sha256.Sum256([]byte(jws))
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// RevocationETag is the entity tag of the revocation state at seq: a
// terminal that holds seq asks with If-None-Match: RevocationETag(seq) and
// gets 304 Not Modified while the upstream's head is still seq.
func RevocationETag(seq uint64) string {
	return `"rev-` + strconv.FormatUint(seq, 10) + `"`
}

// MatchETag reports whether an If-None-Match header value names tag.
func MatchETag(header, tag string) bool {
	for _, f := range strings.Split(header, ",") {
		f = strings.TrimSpace(f)
		f = strings.TrimPrefix(f, "W/")
		if f == tag || f == "*" {
			return true
		}
	}
	return false
}

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Code    string `json:"error"`
	Message string `json:"message,omitempty"`
}

// Error codes. A client acts on the code, never on the message.
const (
	CodeBadRequest    = "bad_request"         // the request is malformed; do not send it again as is
	CodeUnauthorized  = "unauthorized"        // missing, malformed, expired or badly signed token
	CodeUnknownDevice = "unknown_device"      // the token names no enrolled device: enroll again
	CodeDeviceRevoked = "device_revoked"      // the device was revoked upstream: it must not sync
	CodeReplay        = "token_replayed"      // a token's jti was seen before: make a fresh one
	CodeBadCode       = "bad_enrollment_code" // unknown, used or expired enrollment code
	CodeAhead         = "ahead_of_upstream"   // from is beyond the upstream's head
	CodeTooLarge      = "too_large"
	CodeInternal      = "internal"
	CodeNotFound      = "not_found"
)

// EnrollRequest is the body of POST /v1/enroll.
type EnrollRequest struct {
	// Code is the one-time enrollment code the installer typed.
	Code string `json:"code"`
	// Key is the terminal's fresh Ed25519 public key.
	Key verify.JWK `json:"key"`
	// Proof is a JWS (EdDSA) by Key with claims aud (EnrollAudience),
	// iat, exp and nonce (the enrollment code): proof that the terminal
	// holds the private key.
	Proof string `json:"proof"`
	// Label is a free name for the terminal (site, gate), shown upstream.
	Label string `json:"label,omitempty"`
}

// EnrollResponse is the body of a successful enrollment (201).
type EnrollResponse struct {
	// DeviceID is the sub and kid of the device's tokens from now on.
	DeviceID string `json:"device_id"`
	// Root is the trust root the terminal pins.
	Root verify.JWK `json:"root"`
}

// Report is one event a terminal pushes. ID is made on the terminal; the
// upstream applies each ID once, however often it arrives.
type Report struct {
	ID           string            `json:"id"`
	Kind         verify.ReportKind `json:"kind"`
	Time         time.Time         `json:"time"`
	Site         verify.Site       `json:"site,omitempty"`
	Issuer       string            `json:"iss"`
	Sub          string            `json:"sub"`
	JTI          string            `json:"jti,omitempty"`
	Color        verify.Color      `json:"color,omitempty"`
	TemperatureC float64           `json:"temperature_c,omitempty"`
}

// ReportBatch is the body of POST /v1/reports.
type ReportBatch struct {
	Reports []Report `json:"reports"`
}

// ReportAck is the answer to a report batch (200). Acked lists every ID the
// upstream has durably recorded (applied now or before): the terminal may
// forget exactly those. Rejected lists reports that can never be recorded
// (no ID); everything else, even a report the upstream cannot apply, is
// recorded and acknowledged.
type ReportAck struct {
	Acked    []string   `json:"acked"`
	Rejected []Rejected `json:"rejected,omitempty"`
}

// Rejected is one report refused for good.
type Rejected struct {
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// IssueRequest is the body of POST /v1/codes (admin).
type IssueRequest struct {
	Sub   string       `json:"sub"`
	Name  string       `json:"name,omitempty"`
	ID    string       `json:"id,omitempty"`
	Color verify.Color `json:"color,omitempty"`
	// Holder is the holder's phone key (Ed25519 public JWK), if bound.
	Holder *verify.JWK `json:"holder,omitempty"`
	// CheckIn is the person's last health check-in (zero: now).
	CheckIn time.Time `json:"check_in,omitzero"`
}

// IssueResponse is the answer to POST /v1/codes.
type IssueResponse struct {
	Credential string       `json:"credential"`
	Color      verify.Color `json:"color"`
	JTI        string       `json:"jti"`
	Expires    time.Time    `json:"expires"`
}

// EnrollmentCodeResponse is the answer to POST /v1/enrollment-codes.
type EnrollmentCodeResponse struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
}

// PersonColorRequest is the body of POST /v1/person-color (admin): a
// platform-side colour change (14 days of normal check-ins, discharge…).
type PersonColorRequest struct {
	Iss   string       `json:"iss,omitempty"`
	Sub   string       `json:"sub"`
	Color verify.Color `json:"color"`
}

// DeviceRevokeRequest is the body of POST /v1/device-revoke (admin).
type DeviceRevokeRequest struct {
	DeviceID string `json:"device_id"`
}

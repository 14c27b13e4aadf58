// Package verify decides, offline, whether a health-code QR text is an
// authentic, current credential of a trusted issuer, which colour it carries
// and, when it is not, why not.
//
// It also holds the issuer side of the protocol (Signer, MakeProof,
// MaskName, MaskID) that the reference upstream and the tests use, and the
// checkpoint's decision rules (Decide, ParseTemperature), so that the whole
// contract of a code lives in one place. The wire formats are specified in
// docs/protocol.md; testdata/vectors holds test vectors for other
// implementations.
//
// What a security reviewer should know:
//
//   - JWS compact serializations and their JSON are parsed by this
//     package's own strict reader, not encoding/json: unpadded base64url of
//     the URL alphabet only, canonical; exact-case member names; no
//     duplicate names (after unescaping); valid UTF-8 and no lone
//     surrogates; nesting at most 16 deep; no crit; size limits before any
//     decoding. golang-jwt does the signature mathematics only.
//   - The algorithm is fixed by the key (its trust-list entry, or the
//     pinned root), never by the token: EdDSA and ES256 only. Keys are
//     looked up by (iss, kid); every key with that kid is tried; a key
//     outside its validity window is skipped.
//   - Trust lists and revocation feeds verify against the pinned roots
//     (two may be pinned during a root rotation); their payload is read only
//     after a signature verified.
//   - A code that would pass with data older than the policy allows, or
//     with no revocation data at all, is "data too old" — never a silent
//     "not revoked". Clock trouble is a warning on every verdict.
//
// verify depends on the standard library and golang-jwt only. What it needs
// from the rest of the terminal — the trust list in force, revocation lookups,
// sync status and the clock — it declares as small interfaces (TrustSource,
// RevocationSource, StatusSource) and a func() time.Time.
package verify

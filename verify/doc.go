// Package verify decides, offline, whether a health-code QR text is an
// authentic, current credential of a trusted issuer, which colour it carries
// and, when it is not, why not.
//
// It also holds the issuer side of the protocol (Signer, MakeProof) that the
// reference upstream and the tests use, and the checkpoint's decision rules
// (Decide), so that the whole contract of a code lives in one place.
//
// verify depends on the standard library and golang-jwt only. What it needs
// from the rest of the terminal — the trust list in force, revocation lookups,
// sync status and the clock — it declares as small interfaces (TrustSource,
// RevocationSource, StatusSource) and a func() time.Time.
package verify

// Package upstream is the reference upstream service of yanma: the
// provincial health-code platform's side of the checkpoint protocol, small
// enough to run on a laptop for demos and tests, complete enough that a
// terminal cannot tell it from a real one.
//
// One Server owns one bbolt file. On first start it creates its trust root
// and an issuer key (Ed25519) and keeps them there; the issuer key can be
// rotated (PrepareIssuerKey, RotateIssuerKey). It
//
//   - issues health-code credentials (Issue) reflecting each person's
//     colour as the platform holds it;
//   - serves the trust list (signed by the root, typ hc-trust+jwt) and the
//     revocation feed (deltas by sequence number, or a paged full snapshot
//     for a terminal too far behind);
//   - enrolls terminals with one-time codes (NewEnrollmentCode) and takes
//     report batches from them, each report applied once by its
//     terminal-made id. A fever report for a green person turns the person
//     yellow and revokes every code issued to them before that moment.
//
// Handler returns the HTTP API described in docs/sync.md. Admin endpoints
// (issuing codes, enrollment codes, colour changes, device revocation)
// require the admin token (AdminToken) as a bearer token; the terminal
// endpoints require a device token, except enrollment and the public
// artefacts.
package upstream

// Package store keeps everything a terminal holds in one bbolt file: the
// pinned trust roots, the trust list in force, revocations, checkpoint
// entries, the report outbox and the device identity.
//
// Every signed artefact is verified (through package verify) before it is
// written, and each import is one bbolt transaction: after a crash the file
// holds either the old state or the new one, never half of an import.
// *DB satisfies verify.TrustSource, verify.RevocationSource and
// verify.StatusSource; the trust list and the sync status are served from
// memory, refreshed after each commit, so verification never waits on disk
// for them.
//
// # Layout of the file
//
//	meta               state (JSON: seqs, as-of times, clock offset, counts),
//	                   roots, trust (verified list, JSON), trust.jws (as signed),
//	                   rev.gen (revocation generation in force),
//	                   rev.snap (resume record of a paged snapshot being
//	                   received, JSON: its staging generation, header,
//	                   pages staged, next cursor),
//	                   device.id, device.key (Ed25519 seed)
//	revocations/gN/L/person  16-byte PersonHash → uvarint before
//	revocations/gN/L/jti     16 bytes of SHA-256(jti) → 0x01
//	                   (generation N in force, layers L oldest first: a full
//	                   snapshot is the base layer of a new generation, a
//	                   large delta a layer on top; Compact merges them;
//	                   beside it, the staging generation rev.snap names)
//	entries            8-byte big-endian time ‖ ID → Entry (JSON)
//	outbox.red         8-byte sequence → Report (JSON); red sightings first,
//	outbox.fever       then fever reports,
//	outbox.other       then kinds this version does not know
//	outbox.ids         report ID → kind tag ‖ sequence, for AckReports
//
// # Personal data and secrets
//
// Entries keep the masked name and masked ID number shown to the officer,
// nothing more identifying; reports carry the issuer's pseudonymous sub
// because the upstream needs it to act. Entries are deleted after the
// retention period (Maintain). The device's Ed25519 private key is the one
// secret in the file, which is created mode 0600.
package store

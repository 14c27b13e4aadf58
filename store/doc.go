// Package store keeps everything a terminal holds in one bbolt file: the
// pinned trust roots, the trust list in force, revocations, checkpoint
// entries, the report outbox and the device identity.
//
// Every signed artefact is verified (through package verify) before it is
// written, and each import is one bbolt transaction: after a crash the file
// holds either the old state or the new one, never half of an import.
// *DB satisfies verify.TrustSource, verify.RevocationSource and
// verify.StatusSource.
package store

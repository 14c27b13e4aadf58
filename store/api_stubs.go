package store

// The signatures the rest of the terminal codes against. The store owner
// replaces every body with the real thing (and may move declarations into
// files of their own); the signatures are a contract: change one only
// together with its callers.

import (
	"crypto/ed25519"
	"errors"
	"time"

	"yanma/verify"
)

var errTODO = errors.New("store: not implemented yet")

// Compile-time checks that DB is what verify needs.
var (
	_ verify.TrustSource      = (*DB)(nil)
	_ verify.RevocationSource = (*DB)(nil)
	_ verify.StatusSource     = (*DB)(nil)
)

// DB is one terminal's bbolt file.
type DB struct{}

// Open opens (creating if needed) the bbolt file at path.
func Open(path string) (*DB, error) { return nil, errTODO }

// Close closes the file.
func (db *DB) Close() error { return nil }

// PinRoots replaces the pinned trust roots (one, or two during a root rotation).
func (db *DB) PinRoots(roots ...verify.JWK) error { return errTODO }

// Roots returns the pinned roots (none: ErrNotPinned).
func (db *DB) Roots() ([]verify.JWK, error) { return nil, errTODO }

// ImportTrustList verifies token against the pinned roots and, if it is
// current and its seq is not lower than the one held, makes it the trust list
// in force, in one transaction. Refused: the store is unchanged.
func (db *DB) ImportTrustList(token string, now time.Time) (*verify.TrustList, error) {
	return nil, errTODO
}

// ConfirmTrustCurrent records that the upstream confirmed (e.g. 304) that
// the trust list held is still current at now.
func (db *DB) ConfirmTrustCurrent(now time.Time) error { return errTODO }

// Trust returns the trust list in force (from memory; no disk read).
func (db *DB) Trust() (*verify.TrustList, error) { return nil, verify.ErrNoTrustList }

// TrustSeq is the seq of the trust list in force (0 if none).
func (db *DB) TrustSeq() uint64 { return 0 }

// ApplyRevocations verifies a feed against the pinned roots and applies it in
// one transaction: a delta must start at the seq held (From == RevocationSeq),
// a full snapshot replaces everything. Refused: the store is unchanged.
func (db *DB) ApplyRevocations(token string, now time.Time) (*verify.RevocationFeed, error) {
	return nil, errTODO
}

// RevocationSeq is the seq of the revocation state held (0 if none).
func (db *DB) RevocationSeq() uint64 { return 0 }

// RevokedBefore implements verify.RevocationSource.
func (db *DB) RevokedBefore(p verify.PersonHash) (int64, bool, error) { return 0, false, errTODO }

// RevokedJTI implements verify.RevocationSource.
func (db *DB) RevokedJTI(jti string) (bool, error) { return false, errTODO }

// SyncStatus implements verify.StatusSource.
func (db *DB) SyncStatus() verify.SyncStatus { return verify.SyncStatus{} }

// SetClockOffset records the upstream's clock minus ours, measured at measured.
func (db *DB) SetClockOffset(offset time.Duration, measured time.Time) error { return errTODO }

// Entry is one person at the checkpoint: what the officer saw and decided.
// It holds masked name and ID only.
type Entry struct {
	ID           string            `json:"id"`
	Time         time.Time         `json:"time"`
	Site         verify.Site       `json:"site"`
	Issuer       string            `json:"iss,omitempty"`
	JTI          string            `json:"jti,omitempty"`
	Person       string            `json:"person,omitempty"` // PersonHash hex
	Name         string            `json:"name,omitempty"`
	IDMasked     string            `json:"id_masked,omitempty"`
	Color        verify.Color      `json:"color,omitempty"`
	Valid        bool              `json:"valid"`
	Reason       verify.Reason     `json:"reason"`
	TemperatureC float64           `json:"temperature_c,omitempty"` // 0: not measured
	ThresholdC   float64           `json:"threshold_c,omitempty"`
	Verdict      verify.Verdict    `json:"verdict"`
	Report       verify.ReportKind `json:"report,omitempty"`
}

// Report is one event for the upstream. ID is made on the terminal and is
// how the upstream applies it once.
type Report struct {
	ID           string            `json:"id"`
	Kind         verify.ReportKind `json:"kind"`
	Time         time.Time         `json:"time"`
	Site         verify.Site       `json:"site"`
	Issuer       string            `json:"iss"`
	Sub          string            `json:"sub"`
	JTI          string            `json:"jti"`
	Color        verify.Color      `json:"color"`
	TemperatureC float64           `json:"temperature_c,omitempty"`
}

// Record stores an entry and, if r is not nil, its report in the outbox, in
// one durable (fsynced) transaction. Empty IDs are filled in (time-ordered,
// unique). It returns the entry as stored.
func (db *DB) Record(e Entry, r *Report) (Entry, error) { return e, errTODO }

// Entries returns the entries with from <= Time < to, oldest first.
func (db *DB) Entries(from, to time.Time) ([]Entry, error) { return nil, errTODO }

// PendingReports returns up to max reports not yet acknowledged, red
// sightings before temperature reports, oldest first within each kind.
func (db *DB) PendingReports(max int) ([]Report, error) { return nil, errTODO }

// AckReports removes acknowledged reports from the outbox.
func (db *DB) AckReports(ids []string) error { return errTODO }

// OutboxStats says how many reports wait and when the oldest was made.
func (db *DB) OutboxStats() (n int, oldest time.Time, err error) { return 0, time.Time{}, errTODO }

// Purge deletes entries older than before; it returns how many.
func (db *DB) Purge(before time.Time) (int, error) { return 0, errTODO }

// Device returns the terminal's enrolled identity (ErrNotEnrolled if none).
func (db *DB) Device() (id string, key ed25519.PrivateKey, err error) {
	return "", nil, errTODO
}

// SetDevice records the terminal's identity after enrollment.
func (db *DB) SetDevice(id string, key ed25519.PrivateKey) error { return errTODO }

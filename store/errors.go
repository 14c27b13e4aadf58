package store

import "errors"

// Sentinel errors. Methods wrap one of these (or one of verify's sentinels
// for a refused artefact) with context; callers test with errors.Is.
var (
	// ErrNotPinned is returned when an import needs a pinned root and none is.
	ErrNotPinned = errors.New("no trust root pinned")
	// ErrNotEnrolled is returned by Device before enrollment.
	ErrNotEnrolled = errors.New("terminal not enrolled")
	// ErrSeqGap is returned for a revocation delta that does not start at the seq held.
	ErrSeqGap = errors.New("revocation feed does not follow the state held")
	// ErrCountMismatch is returned when the entries of a full revocation
	// snapshot, once stored, do not number what the feed's count says: a page
	// is missing or repeated. Nothing is applied; fetch the snapshot again.
	ErrCountMismatch = errors.New("revocation snapshot count mismatch")
	// ErrSnapshotMismatch is returned when a page does not belong to the
	// snapshot being received (another seq, issuer or count, or not full).
	ErrSnapshotMismatch = errors.New("page of another revocation snapshot")
	// ErrSnapshotDone is returned when a snapshot already committed or
	// aborted is used again.
	ErrSnapshotDone = errors.New("revocation snapshot already finished")
	// ErrSnapshotLost is returned when what a snapshot staged is gone or
	// no longer its own (another snapshot was begun, or this one was
	// committed or aborted through another handle): start it again.
	ErrSnapshotLost = errors.New("staged revocation snapshot lost")
	// ErrInvalidRecord is returned by Record for an entry or report the
	// store will not keep (a report without a kind, an ID already used).
	ErrInvalidRecord = errors.New("invalid record")
	// ErrDiskFull is returned (together with the system's ENOSPC) when a
	// write failed because the disk is full; nothing of it was kept.
	ErrDiskFull = errors.New("disk full")
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("database file in use by another process")
	// ErrNoRevocations is returned by ConfirmRevocationsCurrent when no
	// revocation data was ever applied: there is nothing to confirm.
	ErrNoRevocations = errors.New("no revocation data held")
	// ErrCorrupt is returned when a stored value cannot be decoded, and by
	// Open for a data file that is damaged (cut short, garbled pages),
	// which it leaves untouched.
	ErrCorrupt = errors.New("stored value corrupt")
	// ErrClosed is returned by any method called after Close.
	ErrClosed = errors.New("store closed")
)

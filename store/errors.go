package store

import "errors"

var (
	// ErrNotPinned is returned when an import needs a pinned root and none is.
	ErrNotPinned = errors.New("no trust root pinned")
	// ErrNotEnrolled is returned by Device before enrollment.
	ErrNotEnrolled = errors.New("terminal not enrolled")
	// ErrSeqGap is returned for a revocation delta that does not start at the seq held.
	ErrSeqGap = errors.New("revocation feed does not follow the state held")
)

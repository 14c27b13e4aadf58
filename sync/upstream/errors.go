package upstream

import "errors"

// Sentinel errors. Methods wrap one of these with context; callers test
// with errors.Is. The HTTP layer maps each to a status and a wire error code.
var (
	// ErrBadRequest is returned for a request that is malformed or incomplete.
	ErrBadRequest = errors.New("bad request")
	// ErrBadEnrollmentCode is returned for an enrollment code that is
	// unknown, already used or expired.
	ErrBadEnrollmentCode = errors.New("enrollment code unknown, used or expired")
	// ErrUnauthorized is returned for a missing, malformed, expired or
	// badly signed token.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnknownDevice is returned for a token naming no enrolled device.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrDeviceRevoked is returned for a token of a revoked device.
	ErrDeviceRevoked = errors.New("device revoked")
	// ErrReplay is returned for a device token whose jti was seen before.
	ErrReplay = errors.New("token replayed")
	// ErrAhead is returned when a terminal asks for revocations from a seq
	// beyond the upstream's head.
	ErrAhead = errors.New("terminal ahead of upstream")
	// ErrUnknownPerson is returned for a colour change of a person the
	// upstream never issued a code to.
	ErrUnknownPerson = errors.New("unknown person")
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("upstream data file in use by another process")
	// ErrCorrupt is returned by Open for a data file that is damaged (cut
	// short, garbled pages): it is left untouched for the operator.
	ErrCorrupt = errors.New("upstream data file damaged")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("upstream closed")
)

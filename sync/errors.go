package sync

import (
	"errors"
	"fmt"
)

// Sentinel errors. A failed step returns an *Error wrapping one of these
// (or a store or verify sentinel for a refused artefact); callers test with
// errors.Is and ask IsRetryable whether trying later may help.
var (
	// ErrUnavailable: the upstream could not be reached, timed out, or
	// answered 5xx or 429. Retryable.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrProtocol: the upstream's answer was not what the protocol says
	// (cut short, undecodable, an unexpected status). Retryable.
	ErrProtocol = errors.New("unexpected answer from upstream")
	// ErrRefused: the upstream refused the request as malformed. Not
	// retryable as is.
	ErrRefused = errors.New("upstream refused the request")
	// ErrUnauthorized: the upstream refused the device token (expired,
	// replayed, bad signature; often a clock far off). Retryable with a
	// fresh token.
	ErrUnauthorized = errors.New("upstream refused the device token")
	// ErrUnknownDevice: the upstream does not know this terminal: enroll
	// it again. Not retryable.
	ErrUnknownDevice = errors.New("terminal unknown to the upstream; enroll again")
	// ErrDeviceRevoked: the upstream revoked this terminal. Not retryable.
	ErrDeviceRevoked = errors.New("terminal revoked by the upstream")
	// ErrEnrollmentCode: the enrollment code is unknown, used or expired.
	// Not retryable with the same code.
	ErrEnrollmentCode = errors.New("enrollment code refused")
	// ErrAhead: the terminal holds revocations the upstream does not
	// (the upstream lost data). Retryable: it may be restored.
	ErrAhead = errors.New("terminal ahead of the upstream")
	// ErrArtefactRefused: the store refused a pulled trust list or feed
	// (bad signature, another root, replayed, a gap, a count mismatch);
	// nothing of it was applied. Retryable: the next pull asks again.
	ErrArtefactRefused = errors.New("pulled artefact refused")
)

// Error is a failed sync step.
type Error struct {
	// Op is the step: "enroll", "pull trust list", "pull revocations", "push".
	Op string
	// Status is the HTTP status, 0 when there was no answer.
	Status int
	// Code is the upstream's error code (wire.Code*), if it sent one.
	Code string
	// Retryable says whether trying the same step later may succeed.
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	s := e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			s += " " + e.Code
		}
		s += ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err is worth trying again later: a network
// failure, an upstream in trouble, or an artefact that was refused and
// will be asked for again. For errors joined from several steps, every
// step must be retryable. A context cancellation is not.
func IsRetryable(err error) bool {
	found, all := retryable(err)
	return found && all
}

// retryable walks err's tree: whether it holds an *Error, and whether all
// it holds are retryable.
func retryable(err error) (found, all bool) {
	if err == nil {
		return false, true
	}
	if e, ok := err.(*Error); ok {
		return true, e.Retryable
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		all = true
		for _, x := range u.Unwrap() {
			f, a := retryable(x)
			found = found || f
			all = all && a
		}
		return found, all
	case interface{ Unwrap() error }:
		return retryable(u.Unwrap())
	}
	return false, true
}

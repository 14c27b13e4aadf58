package pin

import "errors"

var (
	// ErrWrongPIN is returned by Verify for a PIN that does not match.
	ErrWrongPIN = errors.New("wrong PIN")
	// ErrWeakPIN is returned by Check and Hash for a PIN too short or too
	// easy to guess.
	ErrWeakPIN = errors.New("PIN too weak")
	// ErrBadHash is returned by Verify for a stored hash it cannot read.
	ErrBadHash = errors.New("unreadable PIN hash")
	// ErrLockedOut is returned by Guard.Verify while guessing is paused.
	ErrLockedOut = errors.New("too many wrong PINs; wait")
)

package qr

import "errors"

var (
	// ErrNotFound is returned when an image holds no readable QR code. It is
	// the normal answer for most camera frames.
	ErrNotFound = errors.New("qr: no code found")
	// ErrBudget is returned when a search was cut short by Options.MaxCenters
	// or Options.Deadline: the image may hold a code, but not cheaply.
	ErrBudget = errors.New("qr: search budget exhausted")
	// ErrDecoder is returned when gozxing failed in a way that is not "no
	// code here" (including a panic inside it, which Decode recovers).
	ErrDecoder = errors.New("qr: decoder failure")
)

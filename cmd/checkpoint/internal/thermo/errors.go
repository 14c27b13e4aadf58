package thermo

import (
	"errors"

	"yanma/scanner/serial"
)

var (
	// ErrUnsupportedBaud is returned by Open for a baud rate termios cannot set.
	ErrUnsupportedBaud = serial.ErrUnsupportedBaud
	// ErrDisconnected is returned by Temperature after the device went away
	// (unplugged, hung up); reopen it or fall back to the keypad.
	ErrDisconnected = errors.New("thermometer disconnected")
	// ErrClosed is returned by Temperature after Close.
	ErrClosed = errors.New("thermometer closed")
	// ErrNoReading is returned by ParseLine for a line that holds no reading.
	ErrNoReading = errors.New("no temperature in line")
)

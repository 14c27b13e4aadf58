package scanner

import (
	"errors"
	"fmt"
)

var (
	// ErrNoCode is returned by Decoder.DecodeImage and Decoder.DecodeMat when
	// the frame holds no readable QR code: the normal answer for most frames.
	ErrNoCode = errors.New("scanner: no QR code in the frame")

	// ErrBadSpec is returned by OpenSource for a source spec it does not know
	// ("camera:0", "file:PATH", "images:DIR", "stdin", "tty:PATH").
	ErrBadSpec = errors.New("scanner: bad source spec")

	// ErrUnreadable is returned for a file that is neither an image nor a
	// video OpenCV can read (a text file, a corrupt or truncated image).
	ErrUnreadable = errors.New("scanner: not a readable image or video")

	// ErrEmptySource is returned by OpenSource for a folder with no image in it.
	ErrEmptySource = errors.New("scanner: no images in the folder")

	// ErrCamera is returned when a camera cannot be opened at all. A camera
	// that was open and goes away is reopened instead, and logged.
	ErrCamera = errors.New("scanner: camera unavailable")

	// ErrClosed is returned by a Source or Scanner used after Close.
	ErrClosed = errors.New("scanner: closed")

	// ErrFrameSize is returned by WriteVideo when the frames differ in size.
	ErrFrameSize = errors.New("scanner: frames differ in size")

	// ErrEncode is returned by RenderQR when the text cannot be put in a QR
	// code (empty, or too long for version 40).
	ErrEncode = errors.New("scanner: cannot encode the text as a QR code")
)

// ErrBudget is returned by the Decoder when a frame's time budget ran out
// before any code was found. It is ErrNoCode too (errors.Is): the loop simply
// moves on to the next frame.
var ErrBudget = fmt.Errorf("scanner: frame budget spent: %w", ErrNoCode)

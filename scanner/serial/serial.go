// Package serial opens the serial devices a checkpoint kiosk reads lines
// from — a scanner gun in serial mode (USB COM, CDC-ACM: /dev/ttyACM0), an
// infrared thermometer on a USB-serial adapter (/dev/ttyUSB0) — raw: 8
// data bits, no parity, one stop bit at a chosen baud, no echo, no line
// editing and no CR/LF translation, so that the bytes arrive as the device
// sent them and nothing is sent back to it.
package serial

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrUnsupportedBaud is returned by Open for a baud rate termios cannot set.
var ErrUnsupportedBaud = errors.New("unsupported baud rate")

// DefaultBaud is what serial scanner guns and thermometers are set to out
// of the box. (A CDC-ACM device ignores the rate.)
const DefaultBaud = 9600

var bauds = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600,
	19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200,
}

// Open opens the serial device at path raw at baud. The descriptor is
// non-blocking underneath, so Go's poller waits on it: a Read blocks until
// bytes come, and Close ends a pending Read. A device that goes away
// (unplugged) ends a Read with an error or io.EOF.
func Open(path string, baud int) (*os.File, error) {
	speed, ok := bauds[baud]
	if !ok {
		return nil, fmt.Errorf("%s: %d: %w (want 1200, 2400, 4800, 9600, 19200, 38400, 57600 or 115200)", path, baud, ErrUnsupportedBaud)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := configure(fd, speed); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.ENOTTY) {
			return nil, fmt.Errorf("%s: not a serial device (%w)", path, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// configure makes the tty raw (no echo, no line editing, no CR/LF
// translation), 8 data bits, no parity, one stop bit, receiver on, modem
// lines ignored, at speed.
func configure(fd int, speed uint32) error {
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("get termios: %w", err)
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	tio.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
	tio.Ispeed, tio.Ospeed = speed, speed
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		return fmt.Errorf("set termios: %w", err)
	}
	return nil
}

// OpenPTY makes a pseudo-terminal pair, a serial device without the
// hardware: what is written to master arrives at the device path slave,
// which Open opens as it opens /dev/ttyACM0; closing master is the device
// unplugged. For tests, and for trying a kiosk without a scanner gun.
func OpenPTY() (master *os.File, slave string, err error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, "", fmt.Errorf("pty number: %w", err)
	}
	return os.NewFile(uintptr(fd), "ptmx"), fmt.Sprintf("/dev/pts/%d", n), nil
}

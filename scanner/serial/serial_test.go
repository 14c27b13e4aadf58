package serial

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pty is a pseudo-terminal pair for one test: the master is the device's
// end, the slave path opens as the device.
func pty(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	return master, slave
}

// TestOpenRaw: the device comes up raw at the asked rate, and bytes pass
// untranslated (a scanner gun's CR suffix stays a CR).
func TestOpenRaw(t *testing.T) {
	master, slave := pty(t)
	f, err := Open(slave, 115200)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Cflag&unix.CBAUD != unix.B115200 {
		t.Errorf("baud bits %#o, want B115200", tio.Cflag&unix.CBAUD)
	}
	if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 || tio.Iflag&(unix.ICRNL|unix.IXON) != 0 || tio.Oflag&unix.OPOST != 0 {
		t.Errorf("not raw: lflag %#o iflag %#o oflag %#o", tio.Lflag, tio.Iflag, tio.Oflag)
	}
	if tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&(unix.PARENB|unix.CSTOPB) != 0 || tio.Cflag&unix.CLOCAL == 0 {
		t.Errorf("cflag %#o, want 8N1 with modem lines ignored", tio.Cflag)
	}
	const sent = "CODE-1\rCODE-2\r\n"
	if _, err := master.WriteString(sent); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(sent))
	if _, err := io.ReadFull(f, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != sent {
		t.Errorf("read %q, want %q untranslated", got, sent)
	}
}

func TestOpenErrors(t *testing.T) {
	_, slave := pty(t)
	if _, err := Open(slave, 12345); !errors.Is(err, ErrUnsupportedBaud) {
		t.Errorf("baud 12345: %v, want ErrUnsupportedBaud", err)
	}
	if _, err := Open("/dev/nope-scanner", DefaultBaud); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing device: %v, want fs.ErrNotExist", err)
	}
	if _, err := Open(os.DevNull, DefaultBaud); !errors.Is(err, unix.ENOTTY) || !strings.Contains(err.Error(), "not a serial device") {
		t.Errorf("/dev/null (no terminal): %v, want ENOTTY said as not a serial device", err)
	}
}

// TestReadEnds: a pending Read ends when the device is unplugged (its
// master closed) and when the file is closed, rather than hanging.
func TestReadEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(master, f *os.File)
	}{
		{"unplugged", func(master, _ *os.File) { master.Close() }},
		{"closed", func(_, f *os.File) { f.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			master, slave := pty(t)
			f, err := Open(slave, DefaultBaud)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			done := make(chan error, 1)
			go func() {
				_, err := f.Read(make([]byte, 16))
				done <- err
			}()
			time.Sleep(20 * time.Millisecond) // let the Read block first
			tc.end(master, f)
			select {
			case err := <-done:
				if err == nil {
					t.Error("Read returned no error")
				}
			case <-time.After(10 * time.Second): // bounds a hang; not a measurement
				t.Fatal("Read still blocked")
			}
		})
	}
}

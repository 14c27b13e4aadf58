package thermo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"yanma/scanner/serial"
)

// openPTY makes a real pseudo-terminal pair: the test writes to the master
// what a thermometer would send; the Thermometer opens the slave as it opens
// /dev/ttyUSB0.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	return master, slave
}

func open(t *testing.T, path string, opts ...Option) *Thermometer {
	t.Helper()
	th, err := Open(context.Background(), path, 9600, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { th.Close() })
	return th
}

func temperature(t *testing.T, th *Thermometer) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // bounds a hang; not a measurement
	defer cancel()
	return th.Temperature(ctx)
}

func TestReadingsOverATTY(t *testing.T) {
	tests := []struct {
		name  string
		bytes string
		want  string
	}{
		{"bare CRLF", "36.5\r\n", "36.5"},
		{"T= LF", "T=36.6C\n", "36.6"},
		{"Body ℃ CR", "Body:38.2℃\r", "38.2"},
		{"unit after space", "36.9 C\r\n", "36.9"},
		{"banner then reading", "IR THERMOMETER V2\r\n37.1\r\n", "37.1"},
		{"implausible is passed on", "45.9\r\n", "45.9"},
		{"sensor error word", "Lo\r\n", "Lo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			master, slave := openPTY(t)
			th := open(t, slave)
			if _, err := master.WriteString(tc.bytes); err != nil {
				t.Fatal(err)
			}
			got, err := temperature(t, th)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Temperature = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOpenSetsRawModeAndBaud(t *testing.T) {
	_, slave := openPTY(t)
	th, err := Open(context.Background(), slave, 115200)
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	tio, err := unix.IoctlGetTermios(int(th.f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Cflag&unix.CBAUD != unix.B115200 {
		t.Errorf("baud bits %#o, want B115200", tio.Cflag&unix.CBAUD)
	}
	if tio.Lflag&(unix.ICANON|unix.ECHO) != 0 || tio.Iflag&unix.ICRNL != 0 {
		t.Errorf("tty not raw: lflag %#o iflag %#o", tio.Lflag, tio.Iflag)
	}
	if tio.Cflag&unix.CSIZE != unix.CS8 || tio.Cflag&unix.PARENB != 0 {
		t.Errorf("not 8N1: cflag %#o", tio.Cflag)
	}
}

func TestOpenRefuses(t *testing.T) {
	_, slave := openPTY(t)
	if _, err := Open(context.Background(), slave, 12345); !errors.Is(err, ErrUnsupportedBaud) {
		t.Errorf("baud 12345: err = %v, want ErrUnsupportedBaud", err)
	}
	if _, err := Open(context.Background(), "/dev/no-such-tty", 9600); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: err = %v, want not exist", err)
	}
}

// TestEachReadingOnce: the newest waiting reading is used once; one too old
// (taken for the previous person) is not.
func TestEachReadingOnce(t *testing.T) {
	master, slave := openPTY(t)
	clock := &fakeClock{t: time.Date(2020, 2, 10, 8, 0, 0, 0, time.UTC)}
	th := open(t, slave, WithMaxAge(10*time.Second), WithClock(clock.now))

	master.WriteString("36.4\r\n36.5\r\n")
	waitParsed(t, th, 2)
	if got, err := temperature(t, th); err != nil || got != "36.5" {
		t.Fatalf("first = %q, %v; want the newest, 36.5", got, err)
	}
	// The same reading is not handed out twice: the next call waits for a new one.
	go master.WriteString("36.7\r\n")
	if got, err := temperature(t, th); err != nil || got != "36.7" {
		t.Fatalf("second = %q, %v; want 36.7", got, err)
	}
	// A reading that waited longer than MaxAge belongs to someone else.
	master.WriteString("38.9\r\n")
	waitParsed(t, th, 4)
	clock.advance(time.Minute)
	go func() {
		time.Sleep(50 * time.Millisecond)
		master.WriteString("36.6\r\n")
	}()
	if got, err := temperature(t, th); err != nil || got != "36.6" {
		t.Fatalf("after a stale reading = %q, %v; want 36.6", got, err)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// waitParsed waits until the reader has parsed and queued n readings.
func waitParsed(t *testing.T, th *Thermometer, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for th.parsed.Load() < n {
		if time.Now().After(deadline) {
			t.Fatal("reading never queued")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUnpluggedAndClosed(t *testing.T) {
	t.Run("hang-up is ErrDisconnected", func(t *testing.T) {
		master, slave := openPTY(t)
		th := open(t, slave)
		master.Close() // the pty's other end goes away, as a USB device does
		if _, err := temperature(t, th); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("err = %v, want ErrDisconnected", err)
		}
	})
	t.Run("Close ends a waiting call", func(t *testing.T) {
		_, slave := openPTY(t)
		th, err := Open(context.Background(), slave, 9600)
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error)
		go func() { _, err := temperature(t, th); errc <- err }()
		if err := th.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	})
	t.Run("ctx ends a waiting call", func(t *testing.T) {
		_, slave := openPTY(t)
		th := open(t, slave)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := th.Temperature(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// plug points the stable path link (what /dev/serial/by-id/… is) at a new
// pseudo-terminal: a thermometer plugged in. Closing the master it returns
// unplugs it.
func plug(t *testing.T, link string) *os.File {
	t.Helper()
	master, slave := openPTY(t)
	tmp := link + ".new"
	if err := os.Symlink(slave, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	return master
}

// deviceEvents records WithReconnect's callbacks for a test to wait on.
type deviceEvents struct {
	mu     sync.Mutex
	events []bool // lost?
	ch     chan struct{}
}

func newDeviceEvents() *deviceEvents { return &deviceEvents{ch: make(chan struct{}, 16)} }

func (d *deviceEvents) on(lost bool, err error) {
	d.mu.Lock()
	d.events = append(d.events, lost)
	d.mu.Unlock()
	d.ch <- struct{}{}
}

// next waits for the next event and says whether it was a loss.
func (d *deviceEvents) next(t *testing.T) bool {
	t.Helper()
	select {
	case <-d.ch:
	case <-time.After(20 * time.Second): // bounds a hang; not a measurement
		t.Fatal("no device event")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.events[len(d.events)-1]
}

// TestReconnect: with WithReconnect a thermometer missing at start (a USB
// device enumerated after the kiosk started) is waited for, and one that
// is unplugged is opened again when it is back; readings flow each time.
func TestReconnect(t *testing.T) {
	link := filepath.Join(t.TempDir(), "usb-thermometer")
	ev := newDeviceEvents()
	th := open(t, link, WithReconnect(10*time.Millisecond, ev.on))
	if !ev.next(t) {
		t.Fatal("first event is not the loss")
	}
	got := make(chan string, 1)
	go func() {
		text, err := temperature(t, th)
		if err != nil {
			text = err.Error()
		}
		got <- text
	}()
	master := plug(t, link)
	if ev.next(t) {
		t.Fatal("plugging in was not heard")
	}
	if _, err := master.Write([]byte("36.6\r\n")); err != nil {
		t.Fatal(err)
	}
	if text := <-got; text != "36.6" {
		t.Fatalf("first reading: %q", text)
	}

	master.Close() // unplugged
	if !ev.next(t) {
		t.Fatal("unplugging was not heard")
	}
	master = plug(t, link)
	if ev.next(t) {
		t.Fatal("plugging in again was not heard")
	}
	if _, err := master.Write([]byte("37.9\n")); err != nil {
		t.Fatal(err)
	}
	if text, err := temperature(t, th); err != nil || text != "37.9" {
		t.Fatalf("reading after the replug: %q, %v", text, err)
	}
}

// TestReconnectRefusesMistakes: waiting is for a device not there yet; a
// path that is no serial device, or a baud rate termios cannot set, is the
// installer's mistake and refused at once.
func TestReconnectRefusesMistakes(t *testing.T) {
	_, slave := openPTY(t)
	for _, tc := range []struct {
		path string
		baud int
	}{{os.DevNull, 9600}, {slave, 12345}} {
		if th, err := Open(context.Background(), tc.path, tc.baud, WithReconnect(time.Millisecond, nil)); err == nil {
			th.Close()
			t.Errorf("%s at %d: opened", tc.path, tc.baud)
		}
	}
}

// TestCloseWhileAway: Close ends a Temperature waiting for a device that is
// away.
func TestCloseWhileAway(t *testing.T) {
	th, err := Open(context.Background(), filepath.Join(t.TempDir(), "nope"), 9600, WithReconnect(time.Millisecond, nil))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := temperature(t, th); errc <- err }()
	if err := th.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

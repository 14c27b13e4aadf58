// Package thermo reads the infrared thermometers checkpoint kiosks use,
// which send each reading as a text line over a USB serial port
// (/dev/ttyUSB0, /dev/ttyACM0, or better a /dev/serial/by-id/ path).
//
// A Thermometer is a temperature source for the scan loop: Temperature
// returns the next reading as text, and the scan loop validates it as it
// validates a typed one (verify.ParseTemperature), so a reading out of the
// plausible range asks to re-measure instead of raising an alarm.
package thermo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	gosync "sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"yanma/scanner/serial"
)

// DefaultMaxAge is how old a reading may be when the scan loop asks for
// one: officers often measure while the person is still finding the code.
const DefaultMaxAge = 10 * time.Second

// Reading is one measurement.
type Reading struct {
	Text string    // "36.5" (°C), or the sensor's own error word ("Lo")
	At   time.Time // when the line arrived
}

// Option configures a Thermometer.
type Option func(*Thermometer)

// WithMaxAge sets how old a waiting reading may be and still be used
// (default DefaultMaxAge; 0 takes only readings made after the request).
func WithMaxAge(d time.Duration) Option { return func(t *Thermometer) { t.maxAge = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(t *Thermometer) { t.log = l } }

// WithClock sets the clock that stamps readings (default time.Now).
func WithClock(now func() time.Time) Option { return func(t *Thermometer) { t.now = now } }

// WithReconnect makes a thermometer that is absent when Open is called, or
// that goes away later (unplugged, or not yet enumerated when the kiosk
// starts at boot), be opened again every `every` until Close, instead of
// failing. Meanwhile Temperature waits (the keypad answers through First),
// and onDevice, if not nil, hears each change: lost with why, then back
// with nil.
func WithReconnect(every time.Duration, onDevice func(lost bool, err error)) Option {
	return func(t *Thermometer) {
		t.reopen = every
		if onDevice != nil {
			t.onDevice = onDevice
		}
	}
}

// Thermometer is a serial thermometer.
type Thermometer struct {
	path     string
	baud     int
	maxAge   time.Duration
	log      *slog.Logger
	now      func() time.Time
	reopen   time.Duration // 0: a device that goes away stays away
	onDevice func(lost bool, err error)

	// latest holds the one reading not yet taken; a newer one replaces it.
	latest chan Reading
	parsed atomic.Int64  // readings parsed so far (tests wait on it)
	done   chan struct{} // closed when the reader stops
	stop   chan struct{} // closed by Close: ends the waits between reopens
	mu     gosync.Mutex
	f      *os.File // nil while the device is away
	err    error    // why the reader stopped
	closed bool
}

// Open opens the serial device at path, sets it to raw 8N1 at baud, and
// starts reading lines. A wrong baud rate or a path that is no serial
// device is refused at once; with WithReconnect, a device that is absent
// is waited for.
func Open(ctx context.Context, path string, baud int, opts ...Option) (*Thermometer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := &Thermometer{
		path: path, baud: baud, maxAge: DefaultMaxAge, log: slog.New(slog.DiscardHandler), now: time.Now,
		onDevice: func(bool, error) {},
		latest:   make(chan Reading, 1), done: make(chan struct{}), stop: make(chan struct{}),
	}
	for _, o := range opts {
		o(t)
	}
	f, err := serial.Open(path, baud)
	if err != nil && (t.reopen == 0 || !absent(err)) {
		return nil, fmt.Errorf("thermometer: %w", err)
	}
	if err != nil {
		t.log.Warn("thermometer not there yet; waiting for it", "device", path, "err", err)
		t.onDevice(true, fmt.Errorf("thermometer: %w", err))
	}
	t.f = f
	go t.run()
	return t, nil
}

// absent says whether an open failed because the device is not there (yet):
// unplugged, or not yet enumerated.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.EIO)
}

// run reads the device, and with WithReconnect opens it again each time it
// goes away, until Close.
func (t *Thermometer) run() {
	defer close(t.done)
	for {
		t.mu.Lock()
		f := t.f
		t.mu.Unlock()
		if f != nil {
			err := t.read(f)
			t.mu.Lock()
			t.f = nil
			closed := t.closed
			t.mu.Unlock()
			f.Close()
			if closed {
				t.setErr(ErrClosed)
				return
			}
			t.log.Warn("thermometer disconnected", "device", t.path, "err", err)
			if t.reopen == 0 {
				t.setErr(fmt.Errorf("%w: %w", ErrDisconnected, err))
				return
			}
			t.onDevice(true, fmt.Errorf("%w: %w", ErrDisconnected, err))
		}
		if !t.wait() {
			t.setErr(ErrClosed)
			return
		}
	}
}

// wait opens the device again every t.reopen until it answers (true) or
// Close is called (false).
func (t *Thermometer) wait() bool {
	tick := time.NewTicker(t.reopen)
	defer tick.Stop()
	for tries := 1; ; tries++ {
		select {
		case <-t.stop:
			return false
		case <-tick.C:
		}
		f, err := serial.Open(t.path, t.baud)
		if err != nil {
			if tries%60 == 0 {
				t.log.Warn("thermometer still away", "device", t.path, "tries", tries, "err", err)
			}
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			f.Close()
			return false
		}
		t.f = f
		t.mu.Unlock()
		t.log.Info("thermometer back", "device", t.path, "tries", tries)
		t.onDevice(false, nil)
		return true
	}
}

func (t *Thermometer) setErr(err error) {
	t.mu.Lock()
	t.err = err
	t.mu.Unlock()
}

// read parses lines from f until it fails (the device went away, or Close
// closed it).
func (t *Thermometer) read(f *os.File) error {
	r := bufio.NewReaderSize(f, 256)
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		if b != '\n' && b != '\r' {
			if len(line) < 256 { // a device spewing garbage cannot grow memory
				line = append(line, b)
			}
			continue
		}
		text, err := ParseLine(string(line))
		line = line[:0]
		if err != nil {
			if !errors.Is(err, ErrNoReading) || len(text) > 0 {
				t.log.Debug("thermometer line ignored", "err", err)
			}
			continue
		}
		t.offer(Reading{Text: text, At: t.now()})
		t.parsed.Add(1)
	}
}

// offer keeps the newest reading only.
func (t *Thermometer) offer(r Reading) {
	for {
		select {
		case t.latest <- r:
			return
		default:
		}
		select {
		case <-t.latest:
		default:
		}
	}
}

// Temperature returns the next reading as text: one already waiting if it
// is at most MaxAge old, otherwise the next one to arrive. Each reading is
// returned once, so one person's reading is never used for the next.
func (t *Thermometer) Temperature(ctx context.Context) (string, error) {
	asked := t.now()
	for {
		select {
		case r := <-t.latest:
			if asked.Sub(r.At) > t.maxAge {
				continue // measured for someone else
			}
			return r.Text, nil
		case <-t.done:
			// A reading that arrived just before the device went away still counts.
			select {
			case r := <-t.latest:
				if asked.Sub(r.At) <= t.maxAge {
					return r.Text, nil
				}
			default:
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			return "", t.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Close stops reading and closes the device.
func (t *Thermometer) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.stop)
	var err error
	if t.f != nil {
		err = t.f.Close() // ends the pending read
	}
	t.mu.Unlock()
	<-t.done
	if err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("thermometer: close: %w", err)
	}
	return nil
}

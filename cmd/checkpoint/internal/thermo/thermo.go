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
	"log/slog"
	"os"
	gosync "sync"
	"sync/atomic"
	"time"

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

// Thermometer is an open serial thermometer.
type Thermometer struct {
	f      *os.File
	maxAge time.Duration
	log    *slog.Logger
	now    func() time.Time

	// latest holds the one reading not yet taken; a newer one replaces it.
	latest chan Reading
	parsed atomic.Int64  // readings parsed so far (tests wait on it)
	done   chan struct{} // closed when the reader stops
	mu     gosync.Mutex
	err    error // why the reader stopped
	closed bool
}

// Open opens the serial device at path, sets it to raw 8N1 at baud, and
// starts reading lines.
func Open(ctx context.Context, path string, baud int, opts ...Option) (*Thermometer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := serial.Open(path, baud)
	if err != nil {
		return nil, fmt.Errorf("thermometer: %w", err)
	}
	t := &Thermometer{
		f: f, maxAge: DefaultMaxAge, log: slog.New(slog.DiscardHandler), now: time.Now,
		latest: make(chan Reading, 1), done: make(chan struct{}),
	}
	for _, o := range opts {
		o(t)
	}
	go t.read()
	return t, nil
}

// read parses lines until the device goes away or is closed.
func (t *Thermometer) read() {
	defer close(t.done)
	r := bufio.NewReaderSize(t.f, 256)
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			t.mu.Lock()
			if t.closed {
				t.err = ErrClosed
			} else {
				t.err = fmt.Errorf("%w: %w", ErrDisconnected, err)
				t.log.Warn("thermometer disconnected", "device", t.f.Name(), "err", err)
			}
			t.mu.Unlock()
			return
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
	t.closed = true
	t.mu.Unlock()
	err := t.f.Close()
	<-t.done
	if err != nil {
		return fmt.Errorf("thermometer: close: %w", err)
	}
	return nil
}

package scanner

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"yanma/scanner/serial"
)

// readLineFrame reads one frame of a line source and returns its text.
func readLineFrame(t *testing.T, src Source) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a hang; not a measurement
	defer cancel()
	f, err := src.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(f.Texts) != 1 {
		t.Fatalf("frame with %d texts, want one line", len(f.Texts))
	}
	return f.Texts[0]
}

// TestTTYSource: a scanner gun in serial mode, on a real pseudo-terminal,
// ends its codes with CR, CR LF or LF; each is one code, and the device is
// left raw (nothing echoed back to the gun).
func TestTTYSource(t *testing.T) {
	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	defer master.Close()
	src, err := OpenSource("tty:"+slave+"@115200", SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := master.WriteString("CODE-1\rCODE-2\r\n  CODE-3 \n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CODE-1", "CODE-2", "CODE-3"} {
		if got := readLineFrame(t, src); got != want {
			t.Errorf("line %q, want %q", got, want)
		}
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}

// TestTTYSourceReopens: a scanner gun unplugged mid-shift and plugged back
// in is opened again, and the source says so; the codes before and after
// both arrive. The device is the edge: each open makes a new real
// pseudo-terminal (as a replugged gun gets a new device), and the two
// opens after the unplugging fail as a missing device does.
func TestTTYSourceReopens(t *testing.T) {
	masters := make(chan *os.File, 4)
	var opens atomic.Int32
	open := func() (io.ReadCloser, error) {
		if n := opens.Add(1); n == 2 || n == 3 {
			return nil, fs.ErrNotExist
		}
		master, slave, err := serial.OpenPTY()
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { master.Close() })
		f, err := serial.Open(slave, serial.DefaultBaud)
		if err != nil {
			return nil, err
		}
		masters <- master
		return f, nil
	}
	rec := &recorder{}
	rc, err := open()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	events := make(chan DeviceEvent, 4)
	opt := SourceOptions{Logger: slog.New(rec), Reopen: 5 * time.Millisecond, OnDevice: func(ev DeviceEvent) { events <- ev }}.withDefaults()
	src := newDeviceSource("tty:gun", rc, open, opt)
	defer src.Close()

	first := <-masters
	if _, err := first.WriteString("BEFORE\r"); err != nil {
		t.Fatal(err)
	}
	if got := readLineFrame(t, src); got != "BEFORE" {
		t.Fatalf("line %q, want BEFORE", got)
	}
	first.Close() // unplugged

	var second *os.File
	select {
	case second = <-masters:
	case <-time.After(10 * time.Second): // bounds a hang; not a measurement
		t.Fatalf("not reopened after %d opens", opens.Load())
	}
	if _, err := second.WriteString("AFTER\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := readLineFrame(t, src); got != "AFTER" {
		t.Fatalf("line %q, want AFTER", got)
	}
	if n := opens.Load(); n != 4 {
		t.Errorf("%d opens, want 4 (first, two while away, back)", n)
	}
	if rec.count("scanner gun lost, reopening") != 1 || rec.count("scanner gun back") != 1 || rec.count("scanner gun still unavailable") != 1 {
		t.Errorf("logged %q; want the loss, one still-unavailable and the return", rec.msgs)
	}
	close(events)
	var got []DeviceEvent
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 2 || !got[0].Lost || got[0].Err == nil || got[1].Lost || got[1].Source != "tty:gun" {
		t.Errorf("device events %+v: want lost (with why), then back", got)
	}
}

// TestTTYSourceClosedWhileAway: closing the source while the gun is
// unplugged ends the reopening; Read then says closed.
func TestTTYSourceClosedWhileAway(t *testing.T) {
	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	f, err := serial.Open(slave, serial.DefaultBaud)
	if err != nil {
		t.Fatal(err)
	}
	tried := make(chan struct{}, 1)
	open := func() (io.ReadCloser, error) {
		select {
		case tried <- struct{}{}:
		default:
		}
		return nil, fs.ErrNotExist
	}
	opt := SourceOptions{Reopen: 5 * time.Millisecond}.withDefaults()
	src := newDeviceSource("tty:gun", f, open, opt)
	master.Close() // unplugged, never back
	select {
	case <-tried:
	case <-time.After(10 * time.Second): // bounds a hang; not a measurement
		t.Fatal("no reopen attempt")
	}
	if err := src.Close(); err != nil {
		t.Fatalf("Close while away: %v", err)
	}
	if _, err := src.Read(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v, want ErrClosed", err)
	}
}

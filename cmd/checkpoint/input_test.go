package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner"
	"yanma/scanner/serial"
)

type recordDisplay struct{ evs []ui.Event }

func (r *recordDisplay) Show(ev ui.Event) { r.evs = append(r.evs, ev) }

// TestWaitingCamera: a camera absent at start is waited for, said once, and
// used when it appears (here a video stands in for the camera that came).
func TestWaitingCamera(t *testing.T) {
	qr, err := scanner.RenderQR("person-1", 4)
	if err != nil {
		t.Fatal(err)
	}
	video := filepath.Join(t.TempDir(), "cam.avi")
	if err := scanner.WriteVideo(video, 10, scanner.Presentations(640, 480, []image.Image{qr}, 5, 0)); err != nil {
		t.Fatal(err)
	}
	tries := 0
	open := func() (*scanner.Scanner, error) {
		tries++
		if tries < 3 {
			return nil, fmt.Errorf("source camera:0: %w", scanner.ErrCamera)
		}
		s, err := scanner.OpenSource("file:"+video, scanner.SourceOptions{})
		if err != nil {
			return nil, err
		}
		return scanner.NewScanner(s, nil, scanner.ScannerOptions{}), nil
	}
	disp := &recordDisplay{}
	cam := &waitingDevice{open: open, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Millisecond, lang: "en"}
	defer cam.Close()

	text, err := cam.Next(context.Background())
	if err != nil || text != "person-1" {
		t.Fatalf("Next = %q, %v", text, err)
	}
	if tries != 3 || len(disp.evs) != 1 || disp.evs[0].Kind != ui.KindError {
		t.Fatalf("tries=%d events=%+v; want 3 tries and one error shown", tries, disp.evs)
	}
	cam.Done()
	if _, err := cam.Next(context.Background()); err != io.EOF {
		t.Fatalf("after the video: %v, want EOF", err)
	}

	// A source that is not a camera fails at once: no waiting for a typo.
	bad := &waitingDevice{open: func() (*scanner.Scanner, error) { return nil, scanner.ErrBadSpec }, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Hour}
	if _, err := bad.Next(context.Background()); err != scanner.ErrBadSpec {
		t.Fatalf("bad spec: %v", err)
	}
}

// TestWaitingScannerGun: a serial scanner gun absent at start (no device
// node yet) is waited for and said once in the gun's words, then read
// when it appears (a real pseudo-terminal stands in for the gun). A
// camera's "absent" is no reason to wait for a gun.
func TestWaitingScannerGun(t *testing.T) {
	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	defer master.Close()
	tries := 0
	open := func() (*scanner.Scanner, error) {
		tries++
		if tries < 3 {
			return nil, fmt.Errorf("source tty:/dev/ttyACM0: %w", fs.ErrNotExist)
		}
		s, err := scanner.OpenSource("tty:"+slave, scanner.SourceOptions{})
		if err != nil {
			return nil, err
		}
		return scanner.NewScanner(s, nil, scanner.ScannerOptions{}), nil
	}
	disp := &recordDisplay{}
	gun := &waitingDevice{open: open, gun: true, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Millisecond, lang: "en"}
	defer gun.Close()
	if _, err := master.WriteString("person-2\r"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a hang; not a measurement
	defer cancel()
	text, err := gun.Next(ctx)
	if err != nil || text != "person-2" {
		t.Fatalf("Next = %q, %v", text, err)
	}
	if tries != 3 || len(disp.evs) != 1 || !strings.Contains(disp.evs[0].Message, "scanner gun") {
		t.Fatalf("tries=%d events=%+v; want 3 tries and one scanner-gun error shown", tries, disp.evs)
	}

	notGun := &waitingDevice{open: func() (*scanner.Scanner, error) { return nil, scanner.ErrCamera }, gun: true, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Hour}
	if _, err := notGun.Next(context.Background()); !errors.Is(err, scanner.ErrCamera) {
		t.Fatalf("a gun spec failing as a camera: %v, want it returned at once", err)
	}
}

// TestLostDevice: the status line's lost device follows the source's
// events, named by the kind of source.
func TestLostDevice(t *testing.T) {
	var l lostDevice
	steps := []struct {
		ev   scanner.DeviceEvent
		want string
	}{
		{scanner.DeviceEvent{Source: "camera:0", Lost: true, Err: scanner.ErrCamera}, ui.LostCamera},
		{scanner.DeviceEvent{Source: "camera:0"}, ""},
		{scanner.DeviceEvent{Source: "tty:/dev/ttyACM0", Lost: true, Err: io.EOF}, ui.LostScannerGun},
		{scanner.DeviceEvent{Source: "tty:/dev/ttyACM0"}, ""},
	}
	for i, s := range steps {
		l.set(s.ev)
		var st ui.Status
		l.mark(&st)
		if st.SourceLost != s.want || st.ThermometerLost {
			t.Errorf("after event %d (%+v): %+v, want source lost %q", i, s.ev, st, s.want)
		}
	}
	// The thermometer is away on its own, beside the scanning device.
	l.set(scanner.DeviceEvent{Source: "camera:0", Lost: true})
	l.setThermometer(true)
	var st ui.Status
	l.mark(&st)
	if st.SourceLost != ui.LostCamera || !st.ThermometerLost {
		t.Errorf("camera and thermometer away: %+v", st)
	}
	l.setThermometer(false)
	l.mark(&st)
	if st.ThermometerLost || st.SourceLost != ui.LostCamera {
		t.Errorf("thermometer back: %+v", st)
	}
}

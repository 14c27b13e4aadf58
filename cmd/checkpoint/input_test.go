package main

import (
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner"
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
			return nil, fmt.Errorf("open source camera:0: %w", scanner.ErrCamera)
		}
		s, err := scanner.OpenSource("file:"+video, scanner.SourceOptions{})
		if err != nil {
			return nil, err
		}
		return scanner.NewScanner(s, nil, scanner.ScannerOptions{}), nil
	}
	disp := &recordDisplay{}
	cam := &waitingCamera{open: open, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Millisecond, lang: "en"}
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
	bad := &waitingCamera{open: func() (*scanner.Scanner, error) { return nil, scanner.ErrBadSpec }, display: disp, now: time.Now, log: slog.New(slog.DiscardHandler), every: time.Hour}
	if _, err := bad.Next(context.Background()); err != scanner.ErrBadSpec {
		t.Fatalf("bad spec: %v", err)
	}
}

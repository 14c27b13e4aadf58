package tui

import (
	"bytes"
	"context"
	"io"
	"testing"

	"yanma/cmd/checkpoint/internal/ui"
)

// TestShowBeforeRunAndAfter: a scan loop may show events before the screen
// runs (they wait) and after it ended (they are dropped); neither blocks.
func TestShowBeforeRunAndAfter(t *testing.T) {
	lines := make(chan string)
	in, inW := io.Pipe()
	defer inW.Close()
	var out bytes.Buffer
	d := New(Options{Lines: lines, Input: in, Output: &out})
	for range eventsLen / 2 {
		d.Show(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after ctx ended = %v, want nil", err)
	}
	for range eventsLen * 2 {
		d.Show(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{}})
	}
	if _, open := <-lines; open {
		t.Fatal("Lines still open after Run returned")
	}
}

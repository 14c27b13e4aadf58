package main

import (
	"context"
	"image"
	"image/color"
	"runtime"
	gosync "sync"
	"time"

	"gocv.io/x/gocv"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner"
	"yanma/verify"
)

// preview is the camera window for kiosks with a screen facing the officer:
// the live feed, the outline of each code found, and a frame around it all
// in the verdict's colour while the verdict stands.
//
// OpenCV's HighGUI must be driven from one OS thread, so one goroutine,
// locked to its thread, owns the window; the scan loop hands it frames
// without waiting (a frame the window is too busy for is dropped).
type preview struct {
	frames chan previewFrame
	hold   time.Duration
	now    func() time.Time

	mu     gosync.Mutex
	border color.RGBA
	label  string
	until  time.Time
}

type previewFrame struct {
	mat   gocv.Mat
	codes []scanner.Code
}

func newPreview(hold time.Duration, now func() time.Time) *preview {
	return &preview{frames: make(chan previewFrame, 1), hold: hold, now: now}
}

// onFrame is the scanner's OnFrame hook: it runs on the scan loop, so it
// copies the frame only when the window is ready for one.
func (p *preview) onFrame(pv scanner.Preview) {
	if len(p.frames) > 0 || pv.Mat.Empty() {
		return
	}
	f := previewFrame{mat: pv.Mat.Clone(), codes: pv.Codes}
	select {
	case p.frames <- f:
	default:
		f.mat.Close()
	}
}

// Show colours the frame by the verdict.
func (p *preview) Show(ev ui.Event) {
	var c color.RGBA
	var label string
	switch ev.Kind {
	case ui.KindDecided:
		c, label = verdictColor(ev.Result, ev.Decision)
	case ui.KindVerified:
		if !ev.Decision.NeedTemperature {
			return
		}
		c, label = color.RGBA{R: 0, G: 200, B: 0, A: 255}, "MEASURE TEMPERATURE"
	default:
		return
	}
	p.mu.Lock()
	p.border, p.label, p.until = c, label, p.now().Add(p.hold)
	p.mu.Unlock()
}

// verdictColor is the frame colour and an ASCII label (OpenCV's fonts have
// no Chinese) for a verdict.
func verdictColor(r verify.Result, d verify.Decision) (color.RGBA, string) {
	switch {
	case !r.Valid:
		return color.RGBA{R: 200, G: 0, B: 200, A: 255}, "INVALID CODE"
	case d.Report == verify.ReportFever:
		return color.RGBA{R: 255, G: 140, B: 0, A: 255}, "FEVER - DENY"
	case r.Color == verify.Red:
		return color.RGBA{R: 230, G: 0, B: 0, A: 255}, "RED - DENY"
	case r.Color == verify.Yellow:
		return color.RGBA{R: 240, G: 210, B: 0, A: 255}, "YELLOW - DENY"
	case r.Color == verify.Gray:
		return color.RGBA{R: 128, G: 128, B: 128, A: 255}, "GRAY - DENY"
	case d.Verdict == verify.VerdictPass:
		return color.RGBA{R: 0, G: 200, B: 0, A: 255}, "PASS"
	}
	return color.RGBA{R: 200, G: 0, B: 200, A: 255}, "DENY"
}

// run owns the window until ctx ends. After ctx ends it keeps showing the
// last frame until the verdict on it has stood for its hold time, so the
// last person's verdict is not cut short when a video ends.
func (p *preview) run(ctx context.Context) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w := gocv.NewWindow("yanma 验码")
	defer w.Close()
	last := gocv.NewMat()
	defer func() { last.Close() }() // the Mat held at the end, not the first
	var lastCodes []scanner.Code
	defer func() { // a frame handed over after the last look
		select {
		case f := <-p.frames:
			f.mat.Close()
		default:
		}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	done := ctx.Done()
	for {
		select {
		case f := <-p.frames:
			last.Close()
			last, lastCodes = f.mat, f.codes
		case <-tick.C:
		case <-done:
			done = nil // from now on, run out the verdict's hold on the ticker
		}
		if done == nil {
			p.mu.Lock()
			until := p.until
			p.mu.Unlock()
			if !p.now().Before(until) {
				return
			}
		}
		if last.Empty() {
			w.WaitKey(1)
			continue
		}
		shown := last.Clone()
		p.draw(&shown, lastCodes)
		w.IMShow(shown)
		shown.Close()
		w.WaitKey(1)
	}
}

// draw outlines the codes and frames the picture in the verdict's colour.
func (p *preview) draw(m *gocv.Mat, codes []scanner.Code) {
	for _, c := range codes {
		if r := c.Outline(); !r.Empty() {
			gocv.Rectangle(m, r, color.RGBA{R: 0, G: 160, B: 255, A: 255}, 3)
		}
	}
	p.mu.Lock()
	border, label, until := p.border, p.label, p.until
	p.mu.Unlock()
	if !p.now().Before(until) {
		return
	}
	size := m.Size() // rows, cols
	thick := max(8, size[0]/24)
	gocv.Rectangle(m, image.Rect(thick/2, thick/2, size[1]-thick/2, size[0]-thick/2), border, thick)
	gocv.PutText(m, label, image.Pt(thick+8, thick+40), gocv.FontHersheyDuplex, 1.2, border, 3)
}

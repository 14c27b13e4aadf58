package scanner

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"gocv.io/x/gocv"
)

// Scan is one presentation of one code.
type Scan struct {
	// Text is the code's content.
	Text string
	// Source names where it was seen (the source spec or file name).
	Source string
	// Frame is the frame index in a video or camera stream, -1 for a still
	// image or a typed line.
	Frame int
	// At is when the frame was taken.
	At time.Time
}

// Preview is what a preview window shows of one decoded frame.
type Preview struct {
	// Mat is the frame (BGR). It is only valid during the callback: copy
	// what you keep (Mat.Clone, or Mat.ToImage), never Close it.
	Mat gocv.Mat
	// Codes are the codes found in it, with their positions.
	Codes []Code
	// Index is the frame's index in its stream.
	Index int
}

// ScannerOptions configures a Scanner.
type ScannerOptions struct {
	// Gap is how long a code may go unseen and still be the same
	// presentation (default 1 s): decoding misses frames now and then while
	// a phone is held up.
	Gap time.Duration
	// ReleaseFrames is how many frames in a row a code must be missing, once
	// Done was called, before showing it again is a new scan (default 3).
	ReleaseFrames int
	// OnFrame, when set, is called with every decoded picture frame and the
	// codes in it, for a preview window. It runs on the scanning goroutine:
	// keep it short.
	OnFrame func(Preview)
}

// presence is what the Scanner remembers of a code it reported.
type presence struct {
	last     time.Time // source time it was last seen
	released bool      // Done was called while it was showing
	missed   int       // frames in a row it was missing since release
}

// Scanner turns a Source's frames into Scans, one per presentation of a code.
// Next and Done may be called from different goroutines; Next itself is for
// one goroutine at a time.
type Scanner struct {
	src Source
	dec *Decoder
	opt ScannerOptions

	// carry is what one frame's decoding left unfinished for the next
	// (Decoder.DecodeFrame); only Next touches it.
	carry Carry

	mu      sync.Mutex
	present map[string]*presence
	queue   []Scan // codes found in one frame beyond the first
	closed  bool
}

// NewScanner makes a Scanner reading src with dec. The Scanner owns src:
// Close closes it.
func NewScanner(src Source, dec *Decoder, opt ScannerOptions) *Scanner {
	if opt.Gap <= 0 {
		opt.Gap = time.Second
	}
	if opt.ReleaseFrames <= 0 {
		opt.ReleaseFrames = 3
	}
	if dec == nil {
		dec = NewDecoder()
	}
	return &Scanner{src: src, dec: dec, opt: opt, present: make(map[string]*presence)}
}

// Next returns the next new presentation of a code. It returns io.EOF when a
// finite source ends, ctx's error when ctx ends, ErrClosed after Close.
func (s *Scanner) Next(ctx context.Context) (Scan, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Scan{}, ErrClosed
		}
		if len(s.queue) > 0 {
			sc := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return sc, nil
		}
		s.mu.Unlock()

		f, err := s.src.Read(ctx)
		if err != nil {
			return Scan{}, err
		}
		texts := f.Texts
		if f.Cut {
			s.carry.Reset() // a still image or a new file: nothing goes on
		}
		if texts == nil && validMat(f.Mat) {
			codes, err := s.dec.DecodeFrame(f.Mat, &s.carry)
			if err != nil && !errors.Is(err, ErrNoCode) {
				return Scan{}, fmt.Errorf("scan %s: %w", s.src, err)
			}
			if s.opt.OnFrame != nil {
				s.opt.OnFrame(Preview{Mat: f.Mat, Codes: codes, Index: f.Index})
			}
			for _, c := range codes {
				texts = append(texts, c.Text)
			}
		}
		s.mu.Lock()
		s.observe(f, texts)
		s.mu.Unlock()
	}
}

// observe updates what is showing with one frame's codes and queues the new
// presentations. s.mu is held.
func (s *Scanner) observe(f Frame, texts []string) {
	if f.Cut {
		clear(s.present)
	}
	seen := make(map[string]bool, len(texts))
	for _, t := range texts {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		p, ok := s.present[t]
		if ok && !p.released && f.At.Sub(p.last) <= s.opt.Gap {
			p.last = f.At
			continue
		}
		if ok && p.released && p.missed < s.opt.ReleaseFrames {
			p.last, p.missed = f.At, 0
			continue
		}
		s.present[t] = &presence{last: f.At}
		name := f.Name
		if name == "" {
			name = s.src.String()
		}
		s.queue = append(s.queue, Scan{Text: t, Source: name, Frame: f.Index, At: f.At})
	}
	for t, p := range s.present {
		if seen[t] {
			continue
		}
		if p.released {
			p.missed++
			if p.missed >= s.opt.ReleaseFrames {
				delete(s.present, t)
			}
			continue
		}
		if f.At.Sub(p.last) > s.opt.Gap {
			delete(s.present, t)
		}
	}
}

// Done tells the Scanner the officer's verdict for the current scan is
// shown: from now on, a code that leaves the camera and comes back is a new
// scan as soon as it has been missing for ReleaseFrames frames, however soon
// after. A code still held up is not reported again while it stays.
func (s *Scanner) Done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.present {
		p.released = true
	}
}

// Close closes the Scanner and its Source. Call it after Next has returned
// (cancel Next's ctx first): a camera must not be closed mid-read.
func (s *Scanner) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.src.Close()
}

// Outline returns the corners to draw around a code in a preview: the
// bounding box of its points, padded by the finder patterns' half size,
// which the points (their centres) do not include.
func (c Code) Outline() image.Rectangle {
	if len(c.Points) == 0 {
		return image.Rectangle{}
	}
	r := image.Rectangle{Min: c.Points[0], Max: c.Points[0]}
	for _, p := range c.Points[1:] {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	pad := max(r.Dx(), r.Dy()) / 8
	return r.Inset(-pad)
}

package qr

import (
	"errors"
	"image"
	"time"
)

// Pass is one attempt of a cascade: the options of one Decode call, and
// whether it runs on the image halved.
type Pass struct {
	Options
	// Half runs the pass on the image halved (Downscale), which reads
	// moiré-ridden screen photos; skipped for images under 2·MinHalfSide.
	Half bool
}

// MinHalfSide is the smallest side a halved image may have: below it the
// modules of any real code are too small to survive halving.
const MinHalfSide = 200

// Cascade is the default pure-Go sequence: a cheap pass that reads most
// frames, then the harder ones only when it found nothing.
var cascade = []Pass{
	{Options: Options{Multi: true}},
	{Options: Options{Invert: true}},
	{Options: Options{Binarizer: GlobalHistogram}},
	{Half: true},
	{Options: Options{TryHarder: true}},
	{Options: Options{TryHarder: true, Invert: true}},
	{Options: Options{TryHarder: true, Binarizer: GlobalHistogram}},
}

// DefaultCascade returns the default pass sequence (a copy: callers may
// change it).
func DefaultCascade() []Pass { return append([]Pass(nil), cascade...) }

// Read runs the passes in order until one finds a code, stopping at the
// deadline (zero: none), measured with each pass's clock (Options.Now). It
// returns ErrNotFound when every pass ran and found nothing, ErrBudget when
// the deadline or a pass's centre budget cut the search short, and the
// codes of the first pass that found any.
func Read(g *image.Gray, passes []Pass, deadline time.Time) ([]Code, error) {
	// One Image each for the frame and its half: the passes on one share
	// its binarizations.
	full, half := NewImage(g), (*Image)(nil)
	cut := false
	for i, p := range passes {
		// The first pass runs whole: every image gets its cheap chance
		// however slow the machine; the deadline governs the rest.
		if i > 0 && !deadline.IsZero() && p.clock()().After(deadline) {
			return nil, ErrBudget
		}
		img := full
		if p.Half {
			if g.Rect.Dx() < 2*MinHalfSide || g.Rect.Dy() < 2*MinHalfSide {
				continue
			}
			if half == nil {
				half = NewImage(Downscale(g))
			}
			img = half
		}
		o := p.Options
		if i > 0 && (o.Deadline.IsZero() || (!deadline.IsZero() && deadline.Before(o.Deadline))) {
			o.Deadline = deadline
		}
		codes, err := img.Decode(o)
		switch {
		case err == nil:
			if p.Half {
				for i := range codes {
					codes[i].Points = scalePoints(codes[i].Points, g.Rect.Min)
				}
			}
			return codes, nil
		case errors.Is(err, ErrBudget):
			cut = true
		case errors.Is(err, ErrNotFound):
		default:
			return nil, err
		}
	}
	if cut {
		return nil, ErrBudget
	}
	return nil, ErrNotFound
}

// scalePoints maps points of a halved image (origin 0,0) back to the full
// image whose origin is min.
func scalePoints(pts []image.Point, min image.Point) []image.Point {
	for i, p := range pts {
		pts[i] = image.Pt(2*p.X+1, 2*p.Y+1).Add(min)
	}
	return pts
}

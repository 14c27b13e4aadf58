// Package qr is the scanner's pure-Go core: an 8-bit luminance image in, the
// texts of the QR codes it shows out, through gozxing.
//
// It knows nothing of cameras or OpenCV, so it builds without cgo and is
// unit-tested and fuzzed on plain PNG files. The scanner package does the
// capture and the OpenCV pre-processing around it.
//
// Every call is bounded: gozxing's finder-pattern search has no pre-filter and
// its pattern selection is cubic in the number of candidate centres (Java
// ZXing once spent hours on a noisy photo there). Decode counts candidate
// centres through gozxing's result-point callback and gives up on a frame
// once Options.MaxCenters is passed or Options.Deadline is reached.
package qr

import (
	"fmt"
	"image"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Binarizer chooses how gozxing turns luminance into black and white.
type Binarizer int

const (
	// Hybrid is gozxing's local-block binarizer: good with uneven light.
	Hybrid Binarizer = iota
	// GlobalHistogram thresholds the whole image at one level: it reads some
	// low-contrast and blurred codes Hybrid misses, at almost no cost.
	GlobalHistogram
)

// Options says how hard one Decode call tries. The zero value is the cheap
// first pass: Hybrid binarizer, no TRY_HARDER, one code or several.
type Options struct {
	// Binarizer chooses the binarizer.
	Binarizer Binarizer
	// TryHarder scans every row for finder patterns instead of every third.
	TryHarder bool
	// Invert reads light-on-dark (dark-mode) codes.
	Invert bool
	// Multi looks for several codes in the image (gozxing's multi reader);
	// without it the first code found is returned.
	Multi bool
	// MaxCenters bounds the finder-pattern candidates gozxing may collect
	// before the call gives up with ErrBudget (0 means DefaultMaxCenters).
	MaxCenters int
	// Deadline, when not zero, makes the call give up with ErrBudget once the
	// finder-pattern search runs past it.
	Deadline time.Time
	// Now is the clock Deadline is measured with (nil: time.Now). A
	// benchmark may pass the process's CPU time, so that the budget does
	// not shrink when other work shares the machine.
	Now func() time.Time
}

// clock returns o's clock.
func (o Options) clock() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

// DefaultMaxCenters keeps gozxing's cubic pattern selection to well under a
// millisecond; a real frame with a few codes yields a few dozen candidates.
const DefaultMaxCenters = 96

// multiMaxCenters is lower: the multi reader decodes every plausible triple,
// so its work grows with the cube of the candidates, each a full decode.
const multiMaxCenters = 30

// Code is one decoded QR code.
type Code struct {
	// Text is the decoded content.
	Text string
	// Points are the finder-pattern centres (and the alignment pattern when
	// there is one) in the coordinates of the image passed to Decode.
	Points []image.Point
}

// abort is the value the result-point callback panics with to stop gozxing
// mid-search; Decode recovers it and nothing else escapes.
type abort struct{}

// Decode returns the QR codes in g. No code is ErrNotFound; a search cut short
// by the budget is ErrBudget. It never panics: a panic inside gozxing (a bug
// on odd input) comes back as ErrDecoder.
func Decode(g *image.Gray, o Options) ([]Code, error) {
	return NewImage(g).Decode(o)
}

// Image is a gray image read with several Options in turn (a cascade on one
// crop): each binarization it needs is made once, on first use, and kept;
// the binarizer is most of a cheap pass. The inverted binarizations are
// made from the same pixels without an inverted copy. An Image is for one
// goroutine; g must not change while it is in use.
type Image struct {
	g       *image.Gray
	bits    [2][2]*gozxing.BitMatrix // [Binarizer][inverted]
	errs    [2][2]error
	centres int
}

// Centres is how many candidate finder-pattern centres (and alignment
// patterns) the last Decode came across: about four for each code it
// holds, more in a noisy image.
func (im *Image) Centres() int { return im.centres }

// NewImage prepares g for Decode calls.
func NewImage(g *image.Gray) *Image { return &Image{g: g} }

// matrix returns the binarization the options ask for.
func (im *Image) matrix(b Binarizer, invert bool) (*gozxing.BitMatrix, error) {
	if b != GlobalHistogram {
		b = Hybrid
	}
	inv := 0
	if invert {
		inv = 1
	}
	if m, err := im.bits[b][inv], im.errs[b][inv]; m != nil || err != nil {
		return m, err
	}
	var src gozxing.LuminanceSource = newGraySource(im.g)
	var bin gozxing.Binarizer
	switch {
	case b == GlobalHistogram && invert:
		bin = gozxing.NewGlobalHistgramBinarizer(src.Invert())
	case b == GlobalHistogram:
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	case invert:
		bin = newInvertedHybrid(src)
	default:
		bin = newFastHybrid(src)
	}
	im.bits[b][inv], im.errs[b][inv] = bin.GetBlackMatrix()
	return im.bits[b][inv], im.errs[b][inv]
}

// Decode returns the QR codes of the image read with o; see Decode.
func (im *Image) Decode(o Options) (codes []Code, err error) {
	g := im.g
	if g == nil || g.Rect.Dx() <= 0 || g.Rect.Dy() <= 0 {
		return nil, ErrNotFound
	}
	if len(g.Pix) < (g.Rect.Dy()-1)*g.Stride+g.Rect.Dx() {
		return nil, fmt.Errorf("qr: pixel buffer too short for %v: %w", g.Rect, ErrDecoder)
	}
	defer func() {
		if r := recover(); r != nil {
			codes = nil
			if _, ok := r.(abort); ok {
				err = ErrBudget
				return
			}
			err = fmt.Errorf("qr: gozxing panicked: %v: %w", r, ErrDecoder)
		}
	}()

	limit := o.MaxCenters
	if limit <= 0 {
		limit = DefaultMaxCenters
	}
	if o.Multi && limit > multiMaxCenters {
		limit = multiMaxCenters
	}
	seen := 0
	defer func() { im.centres = seen }()
	deadline, now := o.Deadline, o.clock()
	var centres []*detector.FinderPattern
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK: gozxing.ResultPointCallback(func(p gozxing.ResultPoint) {
			seen++
			if seen > limit || (!deadline.IsZero() && now().After(deadline)) {
				panic(abort{})
			}
			if fp, ok := p.(*detector.FinderPattern); ok {
				centres = append(centres, fp)
			}
		}),
	}
	// gozxing switches TRY_HARDER on by the key's presence, whatever its value.
	if o.TryHarder {
		hints[gozxing.DecodeHintType_TRY_HARDER] = true
	}

	bm, err := im.matrix(o.Binarizer, o.Invert)
	if err != nil {
		return nil, ErrNotFound // a flat image: nothing to binarize
	}
	rd := &reader{bm: bm, hints: hints, dec: decoder.NewDecoder(), deadline: deadline, now: now}
	var infos []*detector.FinderPatternInfo
	if o.Multi {
		infos, err = rd.findMulti()
	} else {
		infos, err = rd.findSingle()
	}
	if err != nil {
		// gozxing's selection wants the three patterns within 40 % of one
		// another's module size, which a phone tilted 30° or more breaks
		// (the near pattern looks larger). Try the likeliest triples of
		// the patterns it did find.
		// Only the TRY_HARDER passes do: each triple costs a full read.
		if o.Multi || !o.TryHarder {
			return nil, ErrNotFound
		}
		infos = tiltedTriples(centres, 3)
		if len(infos) == 0 {
			return nil, ErrNotFound
		}
	}
	for _, info := range infos {
		got, err := rd.readInfo(info)
		if err != nil {
			continue
		}
		codes = appendUnique(codes, toCode(got, g))
		if !o.Multi {
			break
		}
	}
	if len(codes) == 0 && err == nil && !o.Multi && o.TryHarder {
		// gozxing's best triple did not read: the others may.
		for _, info := range tiltedTriples(centres, 3) {
			if got, err := rd.readInfo(info); err == nil {
				codes = append(codes, toCode(got, g))
				break
			}
		}
	}
	if len(codes) == 0 {
		return nil, ErrNotFound
	}
	return codes, nil
}

// appendUnique adds c unless a code with the same text is already there: the
// multi reader can find one code twice through different pattern triples.
func appendUnique(codes []Code, c Code) []Code {
	for _, have := range codes {
		if have.Text == c.Text {
			return codes
		}
	}
	return append(codes, c)
}

// toCode turns a read into a Code in g's coordinates.
func toCode(got read, g *image.Gray) Code {
	c := Code{Text: got.res.GetText()}
	for _, p := range got.finalPoints() {
		if p == nil {
			continue
		}
		c.Points = append(c.Points, image.Pt(int(p.GetX()+0.5)+g.Rect.Min.X, int(p.GetY()+0.5)+g.Rect.Min.Y))
	}
	return c
}

package scanner

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"math"
	"slices"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/qr"
)

// DefaultBudget is the time one frame may take to decode. A 30 fps camera
// leaves 33 ms a frame; the rest is capture and the loop. A frame that runs
// out of budget is given up (the camera sends another one next).
const DefaultBudget = 25 * time.Millisecond

// BudgetFor is the frame budget for a camera that sends fps frames a
// second: three quarters of the time between frames (DefaultBudget at 30
// fps), the rest left for capture and the loop, and within 10–100 ms. A
// camera that slows to 15 fps in a dim hall leaves twice the time for the
// harder passes; at 60 fps the cheap ones still run.
func BudgetFor(fps float64) time.Duration {
	if fps <= 0 || math.IsNaN(fps) || math.IsInf(fps, 0) {
		return DefaultBudget
	}
	d := time.Duration(0.75 * float64(time.Second) / fps)
	return min(max(d, minBudget), maxBudget)
}

// minBudget and maxBudget bound BudgetFor: under 10 ms most harmed frames
// are given up before a region is warped (of the 1300 corpus images, 845
// read at 10 ms, 1085 at 25); over 100 ms a phone held up waits visibly
// for its verdict, and reads no more (1102 at 100 ms).
const (
	minBudget = 10 * time.Millisecond
	maxBudget = 100 * time.Millisecond
)

// DefaultMaxSide is the longest side a frame is decoded at; larger frames
// are scaled down first. It bounds the work of one frame whatever the
// camera or file sends.
const DefaultMaxSide = 1920

// Decoder reads the QR codes of one frame. It holds no per-frame state: one
// Decoder may serve several goroutines.
type Decoder struct {
	budget  time.Duration
	maxSide int
	passes  []qr.Pass
	now     func() time.Time
	log     *slog.Logger
}

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// WithBudget sets the per-frame time budget (default DefaultBudget); zero or
// less means no deadline, for offline decoding of files where every frame
// should get every pass. The centre budget of scanner/qr still bounds each
// pass.
func WithBudget(d time.Duration) DecoderOption { return func(dec *Decoder) { dec.budget = d } }

// WithMaxSide sets the longest side a frame is decoded at (default
// DefaultMaxSide, at least 64).
func WithMaxSide(px int) DecoderOption {
	return func(dec *Decoder) {
		if px >= 64 {
			dec.maxSide = px
		}
	}
}

// WithClock sets the clock the budget is measured with (default time.Now).
// A benchmark may pass the process's CPU time so that the budget
// is the decoder's own work, whatever else runs on the machine.
func WithClock(now func() time.Time) DecoderOption { return func(dec *Decoder) { dec.now = now } }

// WithDecoderLogger sets the logger for decoder diagnostics (default: discard).
func WithDecoderLogger(l *slog.Logger) DecoderOption {
	return func(dec *Decoder) {
		if l != nil {
			dec.log = l
		}
	}
}

// NewDecoder makes a Decoder.
func NewDecoder(opts ...DecoderOption) *Decoder {
	d := &Decoder{
		budget:  DefaultBudget,
		maxSide: DefaultMaxSide,
		passes:  qr.DefaultCascade(),
		now:     time.Now,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(d)
	}
	for i := range d.passes {
		d.passes[i].Now = d.now // the pure-Go cascade reads the budget on the same clock
	}
	return d
}

// Code is one code found in a frame: its text and where it is, in the
// frame's pixel coordinates (finder-pattern centres), for a preview outline.
type Code struct {
	Text   string
	Points []image.Point
}

// DecodeImage reads the QR codes of img with the pure-Go path (no OpenCV).
// No code in the image is ErrNoCode with a nil slice.
func (d *Decoder) DecodeImage(img image.Image) ([]string, error) {
	codes, err := d.DecodeImageCodes(img)
	return texts(codes), err
}

// DecodeImageCodes is DecodeImage with the codes' positions.
func (d *Decoder) DecodeImageCodes(img image.Image) ([]Code, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, ErrNoCode
	}
	g := qr.Gray(img)
	scale := 1
	for max(g.Rect.Dx(), g.Rect.Dy()) > d.maxSide {
		g = qr.Downscale(g)
		scale *= 2
	}
	codes, err := qr.Read(g, d.passes, d.deadline())
	if err != nil {
		return nil, d.translate(err)
	}
	return fromQR(codes, scale, img.Bounds().Min), nil
}

// DecodeMat reads the QR codes of a frame (BGR, BGRA or gray). OpenCV does
// the pre-processing, gozxing the decoding. No code is ErrNoCode with a nil
// slice. m stays the caller's.
func (d *Decoder) DecodeMat(m gocv.Mat) ([]string, error) {
	codes, err := d.DecodeMatCodes(m)
	return texts(codes), err
}

// DecodeMatCodes is DecodeMat with the codes' positions.
//
// The frame is turned to gray and scaled to at most the decoder's max side;
// then passes run in order until one finds a code or the frame's budget is
// spent: the cheap pass first (the frame, halved when it is 720p or more),
// then the candidate regions (regions.go: read as they are when seen
// square-on, then warped upright, their boxes enlarged, then the harder
// warped passes in an order set by their polarity), then
// the full-size frame, the global-histogram binarizer and, for small
// frames, the frame doubled. A camera frame with no candidate region is
// given up after the cheap pass. Without a budget (files), the inverted,
// CLAHE, turned and TRY_HARDER whole-frame passes follow.
func (d *Decoder) DecodeMatCodes(m gocv.Mat) ([]Code, error) { return d.DecodeFrame(m, nil) }

// DecodeFrame is DecodeMatCodes for one frame of a camera: carry holds
// what the frame before left unfinished, and gets what this one leaves
// (Carry), so that a code too hard for one frame's budget is read over a
// few frames of the same presentation. A nil carry, or a decoder without
// a budget (which runs every pass anyway), carries nothing.
func (d *Decoder) DecodeFrame(m gocv.Mat, carry *Carry) ([]Code, error) {
	if d.budget <= 0 {
		carry = nil
	}
	carry.begin()
	if !validMat(m) || m.Rows() <= 0 || m.Cols() <= 0 {
		carry.Reset()
		return nil, ErrNoCode
	}
	deadline := d.deadline()
	gray, err := toGray(m)
	if err != nil {
		return nil, err
	}
	defer gray.Close()

	work, scale := gray, 1.0
	if side := max(gray.Rows(), gray.Cols()); side > d.maxSide {
		scale = float64(side) / float64(d.maxSide)
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(gray, &small, image.Pt(int(float64(gray.Cols())/scale), int(float64(gray.Rows())/scale)), 0, 0, gocv.InterpolationArea)
		work = small
	}
	v := &variants{base: work, maxDouble: maxDoubleSide, offline: d.budget <= 0}
	if v.offline {
		// Offline decoding of files can afford doubling a 720p frame, which
		// reads codes of 2–3.5 px per module that gozxing's finder-pattern
		// tolerances miss at the original size.
		v.maxDouble = max(maxDoubleSide, 1920)
	}
	defer v.close()

	cascade := smallCascade
	if min(work.Cols(), work.Rows()) >= minHalfFirst {
		cascade = largeCascade
	}
	cut := false
	// The finder-pattern candidates the first pass came across, and in
	// which variant.
	firstCentres, firstVariant := 0, nVariants
	for i, p := range cascade {
		// The first pass always runs whole (bounded by the frame size and
		// the finder-candidate cap): however slow the machine, or the race
		// detector, every frame gets its cheap chance. The budget governs
		// the harder passes.
		if i > 0 && !deadline.IsZero() && d.now().Add(d.budget/minPassShare).After(deadline) {
			// Too little budget left for a whole pass: a pass cut short
			// wastes what it spent, and the next frame comes soon.
			cut = true
			break
		}
		if p.regions {
			codes, regions := d.decodeRegions(work, v.halved(), nil, nRegionPasses, deadline, carry)
			if len(codes) > 0 {
				// A second code whose region did not read may read once
				// the first is erased from the whole frame. Not when every
				// region read (a second phone shows up as a region of its
				// own: on the 1300 corpus images, the erased frame read
				// nothing new in any of the 569 frames where the regions
				// had all been read, and cost 3 ms each), nor when the
				// first pass read that very frame and came across too few
				// finder patterns for one more code.
				unread := regions > len(codes) || regions >= maxRegions
				if img, _ := v.get(vGray); img != nil && unread && (firstVariant != vGray || firstCentres >= finderPatterns) {
					codes = d.more(img, qr.Options{}, codes, deadline)
				}
				return toCodes(codes, same, scale), nil
			}
			if regions == 0 && !v.offline {
				// Nothing in the frame looks like a code (no dense,
				// squarish patch of edges) and the cheap pass read
				// nothing: the harder whole-frame passes would spend the
				// rest of the budget on the table and the wall. Most
				// camera frames are this, and the next comes soon. (Of
				// the 1300 corpus images, 6 have no candidate region;
				// the whole-frame passes read 3 of them.)
				return nil, ErrNoCode
			}
			continue
		}
		if p.lastResort && !v.offline {
			continue
		}
		img, back := v.get(p.variant)
		if img == nil {
			continue
		}
		o := p.opts
		if i > 0 {
			o.Deadline, o.Now = deadline, d.now
		}
		prep := v.prepared(p.variant)
		codes, err := prep.Decode(o)
		if i == 0 {
			firstCentres, firstVariant = prep.Centres(), p.variant
		}
		switch {
		case err == nil:
			carry.Reset() // this frame's code was read: what was carried is done
			if i == 0 {
				// A second phone the whole-frame pass missed: its region,
				// with the cheap crop passes only (this runs on every
				// frame with a code), before the costlier whole-frame
				// search below.
				based := inBase(cloneCodes(codes), back)
				if more, _ := d.decodeRegions(work, v.halved(), based, cheapRegionPasses, deadline, nil); len(more) > len(based) {
					return toCodes(more, same, scale), nil
				}
			}
			if prep.Centres() >= finderPatterns*(len(codes)+1) {
				codes = d.more(img, o, codes, deadline)
			}
			codes = inBase(codes, back)
			return toCodes(codes, same, scale), nil
		case errors.Is(err, qr.ErrBudget):
			cut = true
		case errors.Is(err, qr.ErrNotFound):
		default:
			return nil, d.translate(err)
		}
	}
	if cut {
		return nil, ErrBudget
	}
	return nil, ErrNoCode
}

// inBase maps codes found in a variant to the base frame's coordinates.
func inBase(codes []qr.Code, back func(image.Point) image.Point) []qr.Code {
	for i := range codes {
		for j, p := range codes[i].Points {
			codes[i].Points[j] = back(p)
		}
	}
	return codes
}

func cloneCodes(codes []qr.Code) []qr.Code {
	out := make([]qr.Code, len(codes))
	for i, c := range codes {
		out[i] = qr.Code{Text: c.Text, Points: slices.Clone(c.Points)}
	}
	return out
}

func same(p image.Point) image.Point { return p }

// toCodes maps codes found in a variant back to the frame's coordinates.
func toCodes(codes []qr.Code, back func(image.Point) image.Point, scale float64) []Code {
	out := make([]Code, 0, len(codes))
	for _, c := range codes {
		oc := Code{Text: c.Text}
		for _, pt := range c.Points {
			bp := back(pt)
			oc.Points = append(oc.Points, image.Pt(int(float64(bp.X)*scale), int(float64(bp.Y)*scale)))
		}
		out = append(out, oc)
	}
	return out
}

// minPassShare: a pass starts only while 1/minPassShare of the budget is
// left (3 ms of the default 25).
const minPassShare = 8

// finderPatterns is how many finder patterns a code has. A pass that came
// across fewer than three candidates beyond those of the codes it read
// holds no further code for more to find: the erased frame would show
// the same candidates, less the read codes'. (Alignment patterns are
// counted too, so the test errs towards searching.)
const finderPatterns = 3

// maxCodes is the most codes one frame is searched for.
const maxCodes = 4

// more looks for further codes in img after codes were found there: it
// whitens the found codes and reads again, until nothing new turns up, the
// frame holds maxCodes, or the budget is spent. gozxing's multi reader
// misses the second code whenever its candidate selection pairs finder
// patterns across codes; erasing what was read removes the confusion.
func (d *Decoder) more(img *image.Gray, o qr.Options, codes []qr.Code, deadline time.Time) []qr.Code {
	o.Multi = false
	if deadline.IsZero() || o.Deadline.IsZero() {
		o.Deadline = deadline
	}
	o.Now = d.now
	var erased *image.Gray
	for len(codes) < maxCodes {
		if !deadline.IsZero() && d.now().After(deadline) {
			return codes
		}
		if erased == nil {
			erased = &image.Gray{Pix: append([]byte(nil), img.Pix...), Stride: img.Stride, Rect: img.Rect}
		}
		for _, c := range codes {
			whiten(erased, c.Points, o.Invert)
		}
		found, err := qr.Decode(erased, o)
		if err != nil {
			return codes
		}
		added := false
		for _, f := range found {
			if !slices.ContainsFunc(codes, func(c qr.Code) bool { return c.Text == f.Text }) {
				codes = append(codes, f)
				added = true
			}
		}
		if !added {
			return codes
		}
	}
	return codes
}

// whiten paints over the code whose finder-pattern centres (bottom-left,
// top-left, top-right, maybe the alignment pattern) are pts: the bounding
// box of the parallelogram they span, grown by the finder patterns' reach.
// For an inverted pass the code is dark-on-light after inversion, so the
// paint is black.
func whiten(g *image.Gray, pts []image.Point, inverted bool) {
	if len(pts) < 3 {
		return
	}
	bl, tl, tr := pts[0], pts[1], pts[2]
	br := tr.Add(bl).Sub(tl)
	r := image.Rectangle{Min: tl, Max: tl}
	for _, p := range []image.Point{bl, tr, br} {
		r = r.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
	}
	pad := max(r.Dx(), r.Dy())/6 + 2
	r = r.Inset(-pad).Intersect(g.Rect)
	v := byte(255)
	if inverted {
		v = 0
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := g.Pix[(y-g.Rect.Min.Y)*g.Stride+(r.Min.X-g.Rect.Min.X):]
		for x := 0; x < r.Dx(); x++ {
			row[x] = v
		}
	}
}

// variant names a pre-processed version of the frame.
type variant int

const (
	vGray   variant = iota // the gray frame
	vCLAHE                 // contrast-limited adaptive histogram equalisation
	vHalf                  // halved with area averaging (moiré, noise)
	vDouble                // doubled (codes of 2–3 px per module), small frames only
	vRot45                 // turned by 45°: gozxing's finder check fails near 45°
	nVariants
)

type matPass struct {
	variant variant
	opts    qr.Options
	// lastResort passes run only without a frame budget.
	lastResort bool
	// regions runs the region passes (regions.go) on the frame's candidate
	// regions, warped upright, instead of a whole-frame pass.
	regions bool
}

// The cascades: the order of passes, cheapest and most often right first.
// On the generated corpus (scanbench -n 1300, no budget) the cheap pass and
// the region pass read 96 % of what the whole cascade reads; of the
// whole-frame passes only the doubled frame (small and moiré codes) and, on
// 720p frames, the full-size and global-histogram passes still read a few
// images. The rest (lastResort) read 4 of 1098 together, at the
// cost of the whole cascade on every frame without a code; a camera sends
// the next frame 33 ms later, so only offline decoding (no budget) runs
// them.

// smallCascade is for frames under 720p.
var smallCascade = []matPass{
	{variant: vGray, opts: qr.Options{Multi: true}},
	regionPass,
	{variant: vDouble},
	{variant: vGray, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vCLAHE, lastResort: true},
	{variant: vHalf, lastResort: true},
	{variant: vGray, opts: qr.Options{Binarizer: qr.GlobalHistogram}, lastResort: true},
	{variant: vRot45, lastResort: true},
	{variant: vCLAHE, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vHalf, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vGray, opts: qr.Options{TryHarder: true}, lastResort: true},
	{variant: vCLAHE, opts: qr.Options{TryHarder: true, Binarizer: qr.GlobalHistogram}, lastResort: true},
}

// largeCascade is for frames of 720p and up: the cheap first pass reads
// the frame halved (a quarter of the work; a phone held up at a checkpoint
// shows its code at 4 px per module or more, which survives halving), then
// the regions, then the frame at full size.
var largeCascade = []matPass{
	{variant: vHalf, opts: qr.Options{Multi: true}},
	regionPass,
	{variant: vGray, opts: qr.Options{Multi: true}},
	{variant: vGray, opts: qr.Options{Binarizer: qr.GlobalHistogram}},
	{variant: vDouble}, // offline only: maxDoubleSide
	{variant: vGray, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vCLAHE, lastResort: true},
	{variant: vHalf, lastResort: true},
	{variant: vRot45, lastResort: true},
	{variant: vCLAHE, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vHalf, opts: qr.Options{Invert: true}, lastResort: true},
	{variant: vGray, opts: qr.Options{TryHarder: true}, lastResort: true},
	{variant: vCLAHE, opts: qr.Options{TryHarder: true, Binarizer: qr.GlobalHistogram}, lastResort: true},
}

// regionPass reads the candidate regions warped upright (regions.go); it
// comes right after the cheap first pass: a crop costs a fraction of a
// whole-frame pass, and it reads tilted, dim and inverted codes.
var regionPass = matPass{regions: true}

// minHalfFirst is the shorter side from which the first pass is halved.
const minHalfFirst = 600

// maxDoubleSide: frames up to this long side are also tried doubled; a
// doubled 1280×720 frame costs more than a frame's budget.
const maxDoubleSide = 800

// variants makes each pre-processed frame once, on first use, and closes
// them all at the end of the frame.
type variants struct {
	base      gocv.Mat
	maxDouble int
	offline   bool // no frame budget: afford the full-size variants
	mats      [nVariants]gocv.Mat
	imgs      [nVariants]*image.Gray
	qimgs     [nVariants]*qr.Image // binarizations kept across passes
	maps      [nVariants]func(image.Point) image.Point
	done      [nVariants]bool
}

// get returns the variant as a gray image and the function that maps its
// coordinates back to the base frame's; nil when it does not apply.
func (v *variants) get(k variant) (*image.Gray, func(image.Point) image.Point) {
	if v.done[k] {
		return v.imgs[k], v.maps[k]
	}
	v.done[k] = true
	scale := func(f float64) func(image.Point) image.Point {
		return func(p image.Point) image.Point { return image.Pt(int(float64(p.X)*f), int(float64(p.Y)*f)) }
	}
	var m gocv.Mat
	var back func(image.Point) image.Point
	switch k {
	case vGray:
		img, err := grayView(v.base)
		if err != nil {
			return nil, nil
		}
		v.imgs[k], v.maps[k] = img, scale(1)
		return img, v.maps[k]
	case vCLAHE:
		m = gocv.NewMat()
		c := gocv.NewCLAHEWithParams(3, image.Pt(8, 8))
		c.Apply(v.base, &m)
		c.Close()
		back = scale(1)
	case vHalf:
		if min(v.base.Cols(), v.base.Rows()) < 2*qr.MinHalfSide {
			return nil, nil
		}
		m = gocv.NewMat()
		gocv.Resize(v.base, &m, image.Pt(v.base.Cols()/2, v.base.Rows()/2), 0, 0, gocv.InterpolationArea)
		back = scale(2)
	case vDouble:
		if max(v.base.Cols(), v.base.Rows()) > v.maxDouble {
			return nil, nil
		}
		m = gocv.NewMat()
		gocv.Resize(v.base, &m, image.Pt(v.base.Cols()*2, v.base.Rows()*2), 0, 0, gocv.InterpolationCubic)
		back = scale(0.5)
	case vRot45:
		src, srcBack := v.base, func(p image.Point) image.Point { return p }
		if min(v.base.Cols(), v.base.Rows()) >= minHalfFirst && !v.offline {
			// A turned 720p frame is 2 megapixels; turn the halved one.
			if h, hb := v.get(vHalf); h != nil {
				src, srcBack = v.mats[vHalf], hb
			}
		}
		var rb func(image.Point) image.Point
		m, rb = rotate45(src)
		back = func(p image.Point) image.Point { return srcBack(rb(p)) }
	}
	v.mats[k] = m
	img, err := grayView(m)
	if err != nil {
		return nil, nil
	}
	v.imgs[k], v.maps[k] = img, back
	return img, back
}

// rotate45 turns g by 45° onto a canvas that holds all of it, and returns
// the map from the turned image back to g.
func rotate45(g gocv.Mat) (gocv.Mat, func(image.Point) image.Point) {
	w, h := float64(g.Cols()), float64(g.Rows())
	c := math.Sqrt2 / 2
	nw, nh := (w+h)*c, (w+h)*c
	cx, cy, ncx, ncy := w/2, h/2, nw/2, nh/2
	a := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer a.Close()
	// x' = c(x-cx) + c(y-cy) + ncx ; y' = -c(x-cx) + c(y-cy) + ncy
	a.SetDoubleAt(0, 0, c)
	a.SetDoubleAt(0, 1, c)
	a.SetDoubleAt(0, 2, ncx-c*cx-c*cy)
	a.SetDoubleAt(1, 0, -c)
	a.SetDoubleAt(1, 1, c)
	a.SetDoubleAt(1, 2, ncy+c*cx-c*cy)
	out := gocv.NewMat()
	gocv.WarpAffineWithParams(g, &out, a, image.Pt(int(nw), int(nh)), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	back := func(p image.Point) image.Point {
		dx, dy := float64(p.X)-ncx, float64(p.Y)-ncy
		return image.Pt(int(c*dx-c*dy+cx), int(c*dx+c*dy+cy))
	}
	return out, back
}

// halved returns the halved frame when it has been made (a zero Mat when
// not): the region search needs it for large frames, whose first pass made
// it.
func (v *variants) halved() gocv.Mat {
	if !v.done[vHalf] {
		return gocv.Mat{}
	}
	return v.mats[vHalf]
}

// prepared returns variant k (already made by get) ready for several
// passes.
func (v *variants) prepared(k variant) *qr.Image {
	if v.qimgs[k] == nil {
		v.qimgs[k] = qr.NewImage(v.imgs[k])
	}
	return v.qimgs[k]
}

func (v *variants) close() {
	for i := range v.mats {
		if v.done[i] && i != int(vGray) && v.mats[i].Ptr() != nil {
			v.mats[i].Close()
		}
	}
}

func (d *Decoder) deadline() time.Time {
	if d.budget <= 0 {
		return time.Time{}
	}
	return d.now().Add(d.budget)
}

// translate maps the core's answers onto this package's sentinels.
func (d *Decoder) translate(err error) error {
	switch {
	case errors.Is(err, qr.ErrNotFound):
		return ErrNoCode
	case errors.Is(err, qr.ErrBudget):
		return ErrBudget
	default:
		d.log.Warn("decoder failure", "err", err)
		return fmt.Errorf("decode: %w", err)
	}
}

// toGray returns a new single-channel 8-bit Mat of m.
func toGray(m gocv.Mat) (gocv.Mat, error) {
	g := gocv.NewMat()
	switch m.Channels() {
	case 1:
		m.CopyTo(&g)
	case 3:
		gocv.CvtColor(m, &g, gocv.ColorBGRToGray)
	case 4:
		gocv.CvtColor(m, &g, gocv.ColorBGRAToGray)
	default:
		g.Close()
		return gocv.Mat{}, fmt.Errorf("frame with %d channels: %w", m.Channels(), ErrUnreadable)
	}
	if g.Type() != gocv.MatTypeCV8U {
		conv := gocv.NewMat()
		g.ConvertTo(&conv, gocv.MatTypeCV8U)
		g.Close()
		g = conv
	}
	return g, nil
}

// grayView wraps a continuous 8-bit single-channel Mat as an *image.Gray
// without a copy. The view is valid only while the Mat is open.
func grayView(m gocv.Mat) (*image.Gray, error) {
	if !m.IsContinuous() {
		c := m.Clone()
		defer c.Close()
		b, err := c.DataPtrUint8()
		if err != nil {
			return nil, fmt.Errorf("frame pixels: %w", err)
		}
		pix := append([]byte(nil), b...)
		return &image.Gray{Pix: pix, Stride: c.Cols(), Rect: image.Rect(0, 0, c.Cols(), c.Rows())}, nil
	}
	b, err := m.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("frame pixels: %w", err)
	}
	return &image.Gray{Pix: b, Stride: m.Cols(), Rect: image.Rect(0, 0, m.Cols(), m.Rows())}, nil
}

func fromQR(codes []qr.Code, scale int, min image.Point) []Code {
	out := make([]Code, 0, len(codes))
	for _, c := range codes {
		oc := Code{Text: c.Text}
		for _, p := range c.Points {
			oc.Points = append(oc.Points, image.Pt(p.X*scale, p.Y*scale).Add(min))
		}
		out = append(out, oc)
	}
	return out
}

func texts(codes []Code) []string {
	if len(codes) == 0 {
		return nil
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c.Text
	}
	return out
}

// validMat reports whether m holds pixels; a zero Mat (no C object) would
// crash OpenCV if asked.
func validMat(m gocv.Mat) bool { return m.Ptr() != nil && !m.Empty() }

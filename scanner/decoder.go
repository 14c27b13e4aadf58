package scanner

import (
	"errors"
	"fmt"
	"image"
	"log/slog"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/qr"
)

// DefaultBudget is the time one frame may take to decode. A 30 fps camera
// leaves 33 ms a frame; the rest is capture and the loop. A frame that runs
// out of budget is given up (the camera sends another one next).
const DefaultBudget = 25 * time.Millisecond

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
// spent: the cheap pass first (it reads most frames), then inversion for
// dark-mode screens, CLAHE for dim and glare-washed screens, a halved frame
// against moiré and noise, the global-histogram binarizer, a doubled small
// frame for codes far away, and TRY_HARDER last.
func (d *Decoder) DecodeMatCodes(m gocv.Mat) ([]Code, error) {
	if !validMat(m) || m.Rows() <= 0 || m.Cols() <= 0 {
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
	v := &variants{base: work}
	defer v.close()

	cascade := matCascade
	if min(work.Cols(), work.Rows()) >= minHalfFirst {
		cascade = largeCascade
	}
	cut := false
	for i, p := range cascade {
		// The first pass always runs whole (bounded by the frame size and
		// the finder-candidate cap): however slow the machine, or the race
		// detector, every frame gets its cheap chance. The budget governs
		// the harder passes.
		if i > 0 && !deadline.IsZero() && d.now().After(deadline) {
			cut = true
			break
		}
		img, f := v.get(p.variant)
		if img == nil {
			continue
		}
		o := p.opts
		if i > 0 {
			o.Deadline = deadline
		}
		codes, err := qr.Decode(img, o)
		switch {
		case err == nil:
			out := make([]Code, 0, len(codes))
			for _, c := range codes {
				oc := Code{Text: c.Text}
				for _, pt := range c.Points {
					oc.Points = append(oc.Points, image.Pt(int(float64(pt.X)*f*scale), int(float64(pt.Y)*f*scale)))
				}
				out = append(out, oc)
			}
			return out, nil
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

// variant names a pre-processed version of the frame.
type variant int

const (
	vGray   variant = iota // the gray frame
	vCLAHE                 // contrast-limited adaptive histogram equalisation
	vHalf                  // halved with area averaging (moiré, noise)
	vDouble                // doubled (codes of 2–3 px per module), small frames only
)

type matPass struct {
	variant variant
	opts    qr.Options
}

// matCascade is the order of passes: cheapest and most often right first.
var matCascade = []matPass{
	{vGray, qr.Options{Multi: true}},
	{vGray, qr.Options{Invert: true}},
	{vCLAHE, qr.Options{}},
	{vHalf, qr.Options{}},
	{vGray, qr.Options{Binarizer: qr.GlobalHistogram}},
	{vCLAHE, qr.Options{Invert: true}},
	{vDouble, qr.Options{}},
	{vHalf, qr.Options{Invert: true}},
	{vGray, qr.Options{TryHarder: true}},
	{vCLAHE, qr.Options{TryHarder: true, Binarizer: qr.GlobalHistogram}},
}

// largeCascade is for frames of 720p and up: the cheap first pass reads
// the frame halved (a quarter of the work; a phone held up at a checkpoint
// shows its code at 4 px per module or more, which survives halving), then
// the whole cascade at full size.
var largeCascade = append([]matPass{{vHalf, qr.Options{Multi: true}}}, matCascade...)

// minHalfFirst is the shorter side from which the first pass is halved.
const minHalfFirst = 600

// maxDoubleSide: frames up to this long side are also tried doubled; a
// doubled 1280×720 frame costs more than a frame's budget.
const maxDoubleSide = 800

// variants makes each pre-processed frame once, on first use, and closes
// them all at the end of the frame.
type variants struct {
	base gocv.Mat
	mats [4]gocv.Mat
	imgs [4]*image.Gray
	done [4]bool
}

// get returns the variant as a gray image and the factor that maps its
// coordinates back to the base frame's; nil when it does not apply.
func (v *variants) get(k variant) (*image.Gray, float64) {
	factor := [4]float64{1, 1, 2, 0.5}[k]
	if v.done[k] {
		return v.imgs[k], factor
	}
	v.done[k] = true
	var m gocv.Mat
	switch k {
	case vGray:
		img, err := grayView(v.base)
		if err != nil {
			return nil, 0
		}
		v.imgs[k] = img
		return img, factor
	case vCLAHE:
		m = gocv.NewMat()
		c := gocv.NewCLAHEWithParams(3, image.Pt(8, 8))
		c.Apply(v.base, &m)
		c.Close()
	case vHalf:
		if min(v.base.Cols(), v.base.Rows()) < 2*qr.MinHalfSide {
			return nil, 0
		}
		m = gocv.NewMat()
		gocv.Resize(v.base, &m, image.Pt(v.base.Cols()/2, v.base.Rows()/2), 0, 0, gocv.InterpolationArea)
	case vDouble:
		if max(v.base.Cols(), v.base.Rows()) > maxDoubleSide {
			return nil, 0
		}
		m = gocv.NewMat()
		gocv.Resize(v.base, &m, image.Pt(v.base.Cols()*2, v.base.Rows()*2), 0, 0, gocv.InterpolationCubic)
	}
	v.mats[k] = m
	img, err := grayView(m)
	if err != nil {
		return nil, 0
	}
	v.imgs[k] = img
	return img, factor
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

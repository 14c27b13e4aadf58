package qr

import (
	"errors"
	"math"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	mdetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// errNoRead is the internal "these finder patterns did not decode".
var errNoRead = errors.New("no read")

// reader decodes from finder patterns. It is gozxing's QRCodeReader with one
// repair: gozxing (like Java ZXing) derives the code's dimension from the
// finder patterns' estimated module size, which blur and binarization bias
// by several percent. On a version-16 code (81 modules) that is 77 or 85,
// the grid is sampled wrongly and the read fails, although the patterns
// were found. When gozxing's own attempt fails, the reader samples again at
// the neighbouring valid dimensions (±4, ±8, ±12 modules), each with the
// alignment pattern searched for at that dimension. zxing-cpp reads the
// version blocks instead; trying a few dimensions is as good and cheap.
type reader struct {
	bm       *gozxing.BitMatrix
	hints    map[gozxing.DecodeHintType]interface{}
	dec      *decoder.Decoder
	deadline time.Time
	now      func() time.Time
}

type read struct {
	res    *common.DecoderResult
	points []gozxing.ResultPoint
}

// findSingle is gozxing's single-code finder search.
func (r *reader) findSingle() ([]*detector.FinderPatternInfo, error) {
	cb, _ := r.hints[gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK].(gozxing.ResultPointCallback)
	info, err := detector.NewFinderPatternFinder(r.bm, cb).Find(r.hints)
	if err != nil {
		return nil, err
	}
	return []*detector.FinderPatternInfo{info}, nil
}

// findMulti is gozxing's multi-code finder search.
func (r *reader) findMulti() ([]*detector.FinderPatternInfo, error) {
	cb, _ := r.hints[gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK].(gozxing.ResultPointCallback)
	infos, err := mdetector.NewMultiFinderPatternFinder(r.bm, cb).FindMulti(r.hints)
	if err != nil {
		return nil, err
	}
	return infos, nil
}

func (r *reader) late() bool { return !r.deadline.IsZero() && r.now().After(r.deadline) }

// readInfo decodes the code whose finder patterns are info.
func (r *reader) readInfo(info *detector.FinderPatternInfo) (read, error) {
	if dr, err := detector.NewDetector(r.bm).ProcessFinderPatternInfo(info); err == nil {
		if res, err := r.dec.Decode(dr.GetBits(), r.hints); err == nil {
			return read{res, dr.GetPoints()}, nil
		}
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if ms <= 0 {
		return read{}, errNoRead
	}
	dTop := gozxing.ResultPoint_Distance(tl, tr)
	dLeft := gozxing.ResultPoint_Distance(tl, bl)
	est := int(math.Round((dTop+dLeft)/2/ms)) + 7
	base := (est+1)/4*4 + 1 // nearest 4k+1
	for _, delta := range []int{0, -4, 4, -8, 8, -12, 12} {
		if r.late() {
			return read{}, errNoRead
		}
		dim := base + delta
		if dim < 21 || dim > 177 {
			continue
		}
		if res, pts, err := r.readAt(tl, tr, bl, dim, (dTop+dLeft)/2/float64(dim-7)); err == nil {
			return read{res, pts}, nil
		}
	}
	return read{}, errNoRead
}

// readAt samples the grid for a code of dimension dim and decodes it.
func (r *reader) readAt(tl, tr, bl *detector.FinderPattern, dim int, pitch float64) (*common.DecoderResult, []gozxing.ResultPoint, error) {
	v, err := decoder.Version_GetProvisionalVersionForDimension(dim)
	if err != nil {
		return nil, nil, err
	}
	var ap *detector.AlignmentPattern
	if len(v.GetAlignmentPatternCenters()) > 0 {
		brX := tr.GetX() - tl.GetX() + bl.GetX()
		brY := tr.GetY() - tl.GetY() + bl.GetY()
		corr := 1.0 - 3.0/float64(dim-7)
		ax := int(tl.GetX() + corr*(brX-tl.GetX()))
		ay := int(tl.GetY() + corr*(brY-tl.GetY()))
		for f := 4.0; f <= 16 && ap == nil; f *= 2 {
			ap = r.alignmentNear(pitch, ax, ay, f)
		}
	}
	try := func(ap *detector.AlignmentPattern) (*common.DecoderResult, []gozxing.ResultPoint, error) {
		t := detector.Detector_createTransform(tl, tr, bl, ap, dim)
		bits, err := detector.Detector_sampleGrid(r.bm, t, dim)
		if err != nil {
			return nil, nil, err
		}
		res, err := r.dec.Decode(bits, r.hints)
		if err != nil {
			return nil, nil, err
		}
		pts := []gozxing.ResultPoint{bl, tl, tr}
		if ap != nil {
			pts = append(pts, ap)
		}
		return res, pts, nil
	}
	res, pts, err := try(ap)
	if err != nil && ap != nil {
		// A wrong alignment pattern (noise near where it should be) bends
		// the grid; the three finder patterns alone may do better.
		res, pts, err = try(nil)
	}
	if err != nil && dim >= 45 && !r.late() {
		if res, err = r.readLocal(tl, tr, bl, ap, dim, v, pitch); err == nil {
			pts = []gozxing.ResultPoint{bl, tl, tr}
			if ap != nil {
				pts = append(pts, ap)
			}
		}
	}
	return res, pts, err
}

// alignmentNear is gozxing's findAlignmentInRegion (unexported there).
func (r *reader) alignmentNear(pitch float64, x, y int, allowanceFactor float64) *detector.AlignmentPattern {
	allow := int(allowanceFactor * pitch)
	left, right := max(0, x-allow), min(r.bm.GetWidth()-1, x+allow)
	top, bottom := max(0, y-allow), min(r.bm.GetHeight()-1, y+allow)
	if float64(right-left) < pitch*3 || float64(bottom-top) < pitch*3 {
		return nil
	}
	ap, err := detector.NewAlignmentPatternFinder(r.bm, left, top, right-left, bottom-top, pitch, nil).Find()
	if err != nil {
		return nil
	}
	return ap
}

// points applies gozxing's mirrored-code correction to a read's points.
func (rd read) finalPoints() []gozxing.ResultPoint {
	if md, ok := rd.res.GetOther().(*decoder.QRCodeDecoderMetaData); ok {
		md.ApplyMirroredCorrection(rd.points)
	}
	return rd.points
}

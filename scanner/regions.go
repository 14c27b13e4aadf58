package scanner

import (
	"image"
	"image/color"
	"math"
	"slices"
	"sort"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/qr"
)

// Candidate regions. A code is the densest texture of a frame: its modules
// make an edge every few pixels, which a background rarely does over a
// square area. The morphological gradient of the (halved) frame, thresholded
// by Otsu and closed, turns each code into a solid blob whatever its
// contrast or polarity; the blob's outline is the code's quadrilateral,
// foreshortened as the phone is tilted. Warping that quadrilateral onto an
// upright square undoes the perspective before gozxing sees it: gozxing's
// finder-pattern cross-checks, which reject patterns foreshortened by more
// than about 30°, then find square patterns of one size. The crop is a few
// hundred pixels wide, so the harder variants (inverted, CLAHE, global
// histogram) cost a fraction of a whole-frame pass.

// maxRegions is the most candidate regions one frame is searched in.
const maxRegions = 4

// quad is a candidate region's corners in the base frame, in clockwise
// order on the screen.
type quad [4]gocv.Point2f

// findQuads returns up to maxRegions candidate code regions of the gray
// frame base, largest first.
func findQuads(base gocv.Mat) []quad { return findQuadsHalved(base, gocv.Mat{}) }

// findQuadsHalved is findQuads given base already halved (area-averaged),
// when the decoder has made it; a zero Mat when not.
func findQuadsHalved(base, half gocv.Mat) []quad {
	src, s := base, float32(1)
	if min(base.Cols(), base.Rows()) >= minHalfFirst {
		if !validMat(half) {
			half = gocv.NewMat()
			defer half.Close()
			gocv.Resize(base, &half, image.Pt(base.Cols()/2, base.Rows()/2), 0, 0, gocv.InterpolationArea)
		}
		src, s = half, 2
	}
	k3 := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3))
	defer k3.Close()
	k5 := gocv.GetStructuringElement(gocv.MorphRect, image.Pt(5, 5))
	defer k5.Close()
	grad := gocv.NewMat()
	defer grad.Close()
	gocv.MorphologyEx(src, &grad, gocv.MorphGradient, k3)
	bin := gocv.NewMat()
	defer bin.Close()
	gocv.Threshold(grad, &bin, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu)
	// Close the gaps between module edges, then open away thin lines (the
	// edges of the phone, of furniture) that are not a dense area.
	blob := gocv.NewMat()
	defer blob.Close()
	gocv.MorphologyEx(bin, &grad, gocv.MorphClose, k5)
	gocv.MorphologyEx(grad, &blob, gocv.MorphOpen, k5)

	// Every blob, also one inside the ring a phone's dark edge draws round
	// its screen (an outermost-only search sees the ring and not the code
	// in it); the holes' own outlines are skipped.
	hier := gocv.NewMat()
	defer hier.Close()
	contours := gocv.FindContoursWithParams(blob, &hier, gocv.RetrievalCComp, gocv.ChainApproxSimple)
	defer contours.Close()
	frame := float64(src.Cols() * src.Rows())
	type cand struct {
		area float64
		q    quad
	}
	var cands []cand
	for i := 0; i < contours.Size(); i++ {
		if isHole(hier, i) {
			continue
		}
		c := contours.At(i)
		area := gocv.ContourArea(c)
		if area < minRegionArea || area > 0.8*frame {
			continue
		}
		corners, ok := quadOf(c.ToPoints())
		if !ok {
			continue
		}
		if !squarish(corners) {
			continue // a line or a strip: the edge of a phone or a table
		}
		qa := polyArea(corners[:])
		if qa <= 0 || area/qa < 0.7 {
			continue // not a filled quadrilateral
		}
		if edgeDensity(bin, c) < minEdgeDensity {
			// The outline of a plain shape (a dark box on the wall): the
			// blob is its edge, closed around an empty inside.
			continue
		}
		var q quad
		for j, p := range corners {
			q[j] = gocv.Point2f{X: float32(p.X) * s, Y: float32(p.Y) * s}
		}
		cands = append(cands, cand{area, q})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].area > cands[j].area })
	out := make([]quad, 0, min(len(cands), maxRegions))
	for i := 0; i < len(cands) && i < maxRegions; i++ {
		out = append(out, cands[i].q)
	}
	return out
}

// isHole reports whether contour i of a RetrievalCComp search is the
// outline of a hole (it has a parent) rather than of a blob.
func isHole(hier gocv.Mat, i int) bool {
	if hier.Empty() || i >= hier.Cols() {
		return false
	}
	return hier.GetVeciAt(0, i)[3] >= 0
}

// minEdgeDensity is the least ratio of edge pixels (in the bounding box)
// to a candidate's area: a code's modules make it a half or more, the
// outline of a plain box a few tenths at most.
const minEdgeDensity = 0.4

// edgeDensity is the number of set pixels of bin within c's bounding box
// over c's area.
func edgeDensity(bin gocv.Mat, c gocv.PointVector) float64 {
	r := gocv.BoundingRect(c).Intersect(image.Rect(0, 0, bin.Cols(), bin.Rows()))
	area := gocv.ContourArea(c)
	if r.Empty() || area <= 0 {
		return 0
	}
	roi := bin.Region(r)
	defer roi.Close()
	return float64(gocv.CountNonZero(roi)) / area
}

// minRegionArea is the least area (in the searched image's pixels) of a
// candidate: a version-10 code at 2 px per module in a halved 720p frame.
const minRegionArea = 28 * 28

// quadOf returns the four corners of the convex hull of pts, clockwise on
// the screen, or false when the hull is not close to a quadrilateral.
func quadOf(pts []image.Point) ([4]image.Point, bool) {
	hull := convexHull(pts)
	if len(hull) < 4 {
		return [4]image.Point{}, false
	}
	pv := gocv.NewPointVectorFromPoints(hull)
	defer pv.Close()
	peri := gocv.ArcLength(pv, true)
	for _, f := range []float64{0.02, 0.04, 0.06, 0.09} {
		ap := gocv.ApproxPolyDP(pv, f*peri, true)
		got := ap.ToPoints()
		ap.Close()
		if len(got) == 4 {
			return clockwise(got), true
		}
		if len(got) < 4 {
			break
		}
	}
	// Rounded or clipped: the minimum-area rectangle still bounds it.
	r := gocv.MinAreaRect(pv)
	if len(r.Points) != 4 {
		return [4]image.Point{}, false
	}
	return clockwise(r.Points), true
}

// clockwise orders four points by angle around their centre: top-left,
// top-right, bottom-right, bottom-left for an upright square (y grows down).
func clockwise(p []image.Point) [4]image.Point {
	var cx, cy float64
	for _, q := range p {
		cx += float64(q.X) / 4
		cy += float64(q.Y) / 4
	}
	s := slices.Clone(p)
	sort.Slice(s, func(i, j int) bool {
		return math.Atan2(float64(s[i].Y)-cy, float64(s[i].X)-cx) < math.Atan2(float64(s[j].Y)-cy, float64(s[j].X)-cx)
	})
	return [4]image.Point{s[0], s[1], s[2], s[3]}
}

// convexHull is Andrew's monotone chain; the hull comes back clockwise on
// the screen.
func convexHull(pts []image.Point) []image.Point {
	if len(pts) < 3 {
		return nil
	}
	p := slices.Clone(pts)
	sort.Slice(p, func(i, j int) bool {
		if p[i].X != p[j].X {
			return p[i].X < p[j].X
		}
		return p[i].Y < p[j].Y
	})
	cross := func(o, a, b image.Point) int {
		return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X)
	}
	h := make([]image.Point, 0, 2*len(p))
	for _, q := range p {
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		q := p[i]
		for len(h) >= lower && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	return h[:len(h)-1]
}

// squarish reports whether the shortest side of q is at least a third of
// its longest: a code tilted by 45° and turned still is.
func squarish(q [4]image.Point) bool {
	lo, hi := math.Inf(1), 0.0
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		e := math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
		lo, hi = min(lo, e), max(hi, e)
	}
	return hi > 0 && lo >= hi/3
}

// polyArea is the shoelace area of a polygon.
func polyArea(p []image.Point) float64 {
	a := 0
	for i := range p {
		j := (i + 1) % len(p)
		a += p[i].X*p[j].Y - p[j].X*p[i].Y
	}
	return math.Abs(float64(a)) / 2
}

// maxWarpSide is the most pixels a code is enlarged to across (without its
// margin): a version-22 code at 6.9 px per module.
const maxWarpSide = 720

// cropPass is one attempt on a rectified crop.
type cropPass struct {
	prep cropPrep
	opts qr.Options
}

// lightPasses are tried in order on a crop whose quiet zone is lighter than
// the code (the usual dark-on-light screen); darkPasses on a crop whose
// quiet zone is darker (dark mode). The crop's polarity only orders the
// passes, it does not drop any: a glare spot or a dark bezel can fool it.
// A crop is a few hundred pixels wide, so each pass costs a millisecond or
// two, most of it the binarization (kept across passes, qr.Image).
var (
	lightPasses = [nRegionPasses]cropPass{
		{cropPlain, qr.Options{}},
		{cropSharp, qr.Options{}},
		{cropSmooth, qr.Options{}},
		{cropCLAHE, qr.Options{}},
		{cropPlain, qr.Options{Binarizer: qr.GlobalHistogram}},
		{cropPlain, qr.Options{Invert: true}},
		{cropPlain, qr.Options{TryHarder: true}},
		{cropCLAHE, qr.Options{Invert: true}},
	}
	darkPasses = [nRegionPasses]cropPass{
		{cropPlain, qr.Options{Invert: true}},
		{cropSharp, qr.Options{Invert: true}},
		{cropCLAHE, qr.Options{Invert: true}},
		{cropPlain, qr.Options{}},
		{cropSmooth, qr.Options{}},
		{cropCLAHE, qr.Options{}},
		{cropPlain, qr.Options{Binarizer: qr.GlobalHistogram}},
		{cropPlain, qr.Options{TryHarder: true}},
	}
)

// nRegionPasses is how many passes a crop gets at most: both orders hold
// the same passes.
const nRegionPasses = 8

// cropPrep is what is done to a rectified crop before gozxing.
type cropPrep int

const (
	cropPlain  cropPrep = iota
	cropCLAHE           // contrast-limited equalisation: dim screens, glare
	cropSmooth          // a Gaussian blur: the moiré of a screen's pixel grid
	cropSharp           // an unsharp mask: blurred and small codes (sharpSigma)
	nCropPreps
)

// sharpSigma and sharpAmount make the unsharp mask of the cropSharp pass:
// crop + amount·(crop − Gaussian(crop, sigma)), saturated to 0–255. A
// warped crop is enlarged about twice, so sigma 4 is about 2 px of the
// frame: the blur of a phone out of focus or moving, and the spread of a
// small code's 2–3 px modules after the camera's optics and the bicubic
// enlargement. So strong a mask restores the module edges the binarizer
// needs. Second in the order, it reads on the 1300 corpus images about 80
// more with the 25 ms budget (1100 → 1184: small 63 → 94, blur 46 → 61,
// two phones 85 → 97, mixed 66 → 77) for less CPU (the passes it spares),
// and 1121 → 1198 without a budget; sigma 3–5 and amount 5–8 read within a
// few images of each other, milder masks (amount 1–2.5) 30–50 fewer.
const (
	sharpSigma  = 4
	sharpAmount = 6
)

// unsharp writes the unsharp mask of src (sharpSigma, sharpAmount) to dst,
// which may be src.
func unsharp(src gocv.Mat, dst *gocv.Mat) {
	blur := gocv.NewMat()
	defer blur.Close()
	gocv.GaussianBlur(src, &blur, image.Pt(0, 0), sharpSigma, sharpSigma, gocv.BorderReplicate)
	gocv.AddWeighted(src, 1+sharpAmount, blur, -sharpAmount, 0, dst)
}

// enlargedAfter and enlargedSharpAfter are how many warped passes each
// region gets before its box is read enlarged, and enlarged and sharpened.
const (
	enlargedAfter      = 1
	enlargedSharpAfter = 3
)

// cheapRegionPasses is how many region passes a crop gets when the frame
// already gave a code (a search for a second phone on every read frame).
const cheapRegionPasses = 2

// decodeRegions reads the codes of the candidate regions of base, adding
// them to codes (already found, in base's coordinates); a region that holds
// a found code is skipped. half is base halved, or a zero Mat. passes is
// how many passes each crop gets (after the first and the third, the
// region's box is also read enlarged, readEnlarged). The search goes
// breadth first: every region gets the first pass before any gets the
// second, so a code whose region is not the largest (a poster behind the
// phone is) is read as soon as the plain crop reads it, not after the
// other regions' hard passes.
// Codes come back in base's coordinates, with how many candidate regions
// the frame has. deadline zero means none.
func (d *Decoder) decodeRegions(base, half gocv.Mat, codes []qr.Code, passes int, deadline time.Time, carry *Carry) ([]qr.Code, int) {
	quads := findQuadsHalved(base, half)
	var crops []*regionCrop
	for _, q := range quads {
		if !slices.ContainsFunc(codes, func(c qr.Code) bool { return q.holds(c.Points) }) {
			rc := &regionCrop{q: q, start: carry.resume(q)}
			rc.tried = rc.start
			crops = append(crops, rc)
		}
	}
	defer func() {
		carry.keep(crops)
		for _, c := range crops {
			c.close()
		}
	}()
	// round tries read on every region not read yet; false once the frame
	// holds maxCodes or the budget is spent.
	round := func(read func(rc *regionCrop) (qr.Code, bool)) bool {
		for _, rc := range crops {
			if len(codes) >= maxCodes || d.late(deadline) {
				return false
			}
			if rc.done {
				continue
			}
			if c, ok := read(rc); ok {
				rc.done = true
				codes = addCode(codes, c)
			}
		}
		return true
	}
	// A region seen square-on is first read as it is in the frame (no warp,
	// no enlarging): a fraction of a warped pass, and with it a 720p frame
	// whose code the halved first pass missed for its small modules reads
	// at about 10 ms instead of 12 (median over the corpus images
	// ZXingReader reads, the same reads overall).
	asIs := func(rc *regionCrop) (qr.Code, bool) {
		if !square(rc.q) || rc.start > 0 {
			return qr.Code{}, false
		}
		return d.readAsIs(base, rc.q, deadline)
	}
	if !round(asIs) {
		return codes, len(quads)
	}
	for j := range min(passes, nRegionPasses) {
		if passes > cheapRegionPasses && (j == enlargedAfter || j == enlargedSharpAfter) {
			// Between the warped passes: the region's box enlarged, not
			// warped (readEnlarged), plain and later sharpened.
			sharp := j == enlargedSharpAfter
			enlarged := func(rc *regionCrop) (qr.Code, bool) {
				if j < rc.start {
					return qr.Code{}, false // an earlier frame tried it
				}
				return d.readEnlarged(base, rc.q, rc.dark, sharp, deadline)
			}
			if !round(enlarged) {
				return codes, len(quads)
			}
		}
		warped := func(rc *regionCrop) (qr.Code, bool) {
			if j < rc.start {
				return qr.Code{}, false // an earlier frame tried it
			}
			if rc.imgs[cropPlain] == nil && !rc.warp(base) {
				rc.done = true // beyond reading
				return qr.Code{}, false
			}
			p := lightPasses[j]
			if rc.dark {
				p = darkPasses[j]
			}
			o := p.opts
			o.Deadline, o.Now = deadline, d.now
			c, ok := rc.decode(p.prep, o)
			if !d.late(deadline) {
				// A pass the budget cut short is tried again next frame.
				rc.tried = j + 1
			}
			return c, ok
		}
		if !round(warped) {
			return codes, len(quads)
		}
	}
	return codes, len(quads)
}

// addCode adds c to codes unless a code of the same text is there.
func addCode(codes []qr.Code, c qr.Code) []qr.Code {
	if slices.ContainsFunc(codes, func(h qr.Code) bool { return h.Text == c.Text }) {
		return codes
	}
	return append(codes, c)
}

// readAsIs reads the region q of base as it is in the frame: cut out
// with its quiet zone at full size, neither warped nor enlarged.
func (d *Decoder) readAsIs(base gocv.Mat, q quad, deadline time.Time) (qr.Code, bool) {
	g, err := grayView(base)
	if err != nil {
		return qr.Code{}, false
	}
	bb := q.bounds()
	margin := quietMargin(bb)
	sub, ok := g.SubImage(bb.Inset(-margin).Intersect(g.Rect)).(*image.Gray)
	if !ok || sub.Rect.Dx() < minCodeSide || sub.Rect.Dy() < minCodeSide {
		return qr.Code{}, false
	}
	o := qr.Options{Deadline: deadline, Now: d.now, Invert: darkQuietZone(sub, bb.Intersect(sub.Rect), margin/2)}
	found, err := qr.Decode(stretched(sub), o)
	if err != nil || len(found) == 0 {
		return qr.Code{}, false
	}
	return found[0], true
}

// minCodeSide is the fewest pixels across a crop can hold a code in: a
// version-1 code at one pixel per module.
const minCodeSide = 21

// quietMargin is how far a crop of a region's box bb reaches beyond it: a
// code's quiet zone and the slack of the region's outline.
func quietMargin(bb image.Rectangle) int { return max(bb.Dx(), bb.Dy())/12 + 4 }

// readEnlarged reads the box of region q, with its quiet zone, enlarged
// twice by a bicubic Resize (less when that would pass maxEnlargedSide),
// not warped. Enlarging the frame's own pixels keeps the phase of a
// photographed screen's pixel grid, which the warp resamples into moiré:
// on the 1300 corpus images this pass, after the first warped one, reads
// about 15 more with the 25 ms budget (moiré 51 → 61, small codes, a
// second phone) and 7 more without (1114 → 1121), for no more CPU (the
// harder warped passes it spares cost as much); before the first warped
// pass it read fewer. inverted reads a dark-mode code; sharp applies the
// cropSharp pass's unsharp mask to the enlarged box (a later pass: 1184 →
// ~1190 reads with the budget, 1198 → 1212 without; in place of the plain
// one it read fewer moiré and dim codes).
func (d *Decoder) readEnlarged(base gocv.Mat, q quad, inverted, sharp bool, deadline time.Time) (qr.Code, bool) {
	bb := q.bounds()
	r := bb.Inset(-quietMargin(bb)).Intersect(image.Rect(0, 0, base.Cols(), base.Rows()))
	if r.Dx() < minCodeSide || r.Dy() < minCodeSide {
		return qr.Code{}, false
	}
	k := min(2, maxEnlargedSide/float64(max(r.Dx(), r.Dy())))
	if k < minEnlarge {
		return qr.Code{}, false // large enough already: the plain passes saw it at this size
	}
	roi := base.Region(r)
	defer roi.Close()
	big := gocv.NewMat()
	defer big.Close()
	gocv.Resize(roi, &big, image.Pt(int(k*float64(r.Dx())), int(k*float64(r.Dy()))), 0, 0, gocv.InterpolationCubic)
	if sharp {
		unsharp(big, &big)
	}
	g, err := grayView(big)
	if err != nil {
		return qr.Code{}, false
	}
	found, err := qr.Decode(stretched(g), qr.Options{Deadline: deadline, Now: d.now, Invert: inverted})
	if err != nil || len(found) == 0 {
		return qr.Code{}, false
	}
	c := found[0]
	for i, p := range c.Points {
		c.Points[i] = image.Pt(int(float64(p.X)/k)+r.Min.X, int(float64(p.Y)/k)+r.Min.Y)
	}
	return c, true
}

// minEnlarge is the least enlargement readEnlarged makes, and
// maxEnlargedSide the longest side it enlarges to: a box that would be
// enlarged less fills most of the frame, and the whole-frame passes read it.
const (
	minEnlarge      = 1.25
	maxEnlargedSide = 1200
)

// dimRange is the span of grey levels below which a region is a dim
// screen: ZXing's binarizer takes an 8×8 block whose levels span 24 or
// less for background, so a code of 20–45 levels between dark and light
// comes out partly blank.
const dimRange = 64

// stretched returns g with its levels spread over 0–255 when they span
// less than dimRange (a copy), or g itself. The 1st and 99th percentiles
// bound the span, so a few hot pixels do not hide a dim code.
func stretched(g *image.Gray) *image.Gray {
	var hist [256]int
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y += 2 {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w : y*g.Stride+w] {
			hist[v]++
		}
	}
	n := 0
	for _, c := range hist {
		n += c
	}
	lo, hi, acc := 0, 255, 0
	for v, c := range hist {
		if acc += c; acc > n/100 {
			lo = v
			break
		}
	}
	acc = 0
	for v := 255; v >= 0; v-- {
		if acc += hist[v]; acc > n/100 {
			hi = v
			break
		}
	}
	if hi-lo >= dimRange || hi <= lo {
		return g
	}
	var lut [256]byte
	for v := range lut {
		lut[v] = byte(min(max((v-lo)*255/(hi-lo), 0), 255))
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := out.Pix[y*out.Stride : y*out.Stride+w]
		for x, v := range src {
			dst[x] = lut[v]
		}
	}
	out.Rect = out.Rect.Add(g.Rect.Min)
	return out
}

// maxSquareTurn and maxSquareSkew bound a region read as it is: sides
// within 15° of the frame's axes, opposite sides within 15 % of each
// other's length (a tilt well under the 30° gozxing's finder-pattern
// cross-checks take).
const (
	maxSquareTurn = 15 * math.Pi / 180
	maxSquareSkew = 1.15
)

// square reports whether q is seen nearly square-on and turned little.
func square(q quad) bool {
	var l [4]float64
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
		l[i] = math.Hypot(dx, dy)
		if l[i] == 0 {
			return false
		}
		t := math.Mod(math.Abs(math.Atan2(dy, dx)), math.Pi/2)
		if min(t, math.Pi/2-t) > maxSquareTurn {
			return false
		}
	}
	ratio := func(a, b float64) float64 { return max(a, b) / min(a, b) }
	return ratio(l[0], l[2]) <= maxSquareSkew && ratio(l[1], l[3]) <= maxSquareSkew
}

// bounds is the smallest rectangle of whole pixels that holds q.
func (q quad) bounds() image.Rectangle {
	r := image.Rectangle{Min: image.Pt(math.MaxInt, math.MaxInt), Max: image.Pt(math.MinInt, math.MinInt)}
	for _, p := range q {
		r.Min.X = min(r.Min.X, int(math.Floor(float64(p.X))))
		r.Min.Y = min(r.Min.Y, int(math.Floor(float64(p.Y))))
		r.Max.X = max(r.Max.X, int(math.Ceil(float64(p.X)))+1)
		r.Max.Y = max(r.Max.Y, int(math.Ceil(float64(p.Y)))+1)
	}
	return r
}

// holds reports whether the centre of pts (a code's finder patterns) lies
// inside q.
func (q quad) holds(pts []image.Point) bool {
	if len(pts) == 0 {
		return false
	}
	var x, y float32
	for _, p := range pts {
		x += float32(p.X) / float32(len(pts))
		y += float32(p.Y) / float32(len(pts))
	}
	sign := 0
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		c := (b.X-a.X)*(y-a.Y) - (b.Y-a.Y)*(x-a.X)
		s := 1
		if c < 0 {
			s = -1
		}
		if sign != 0 && s != sign {
			return false
		}
		sign = s
	}
	return true
}

func (d *Decoder) late(deadline time.Time) bool {
	return !deadline.IsZero() && d.now().After(deadline)
}

// regionCrop is one candidate region warped upright, with the prepared
// variants of its crop, made on first use.
type regionCrop struct {
	q     quad
	start int  // the warped pass to start at (Carry); the earlier ones and the as-is read were tried on earlier frames
	tried int  // the warped passes tried, counting those of earlier frames
	done  bool // read, or beyond reading (the warp failed)
	dark  bool // the quiet zone is darker than the code: dark mode
	crop  gocv.Mat
	inv   [9]float64 // the crop's coordinates back to base's
	imgs  [nCropPreps]*qr.Image
	mats  [nCropPreps]gocv.Mat
}

func (rc *regionCrop) close() {
	for _, m := range rc.mats {
		if m.Ptr() != nil {
			m.Close()
		}
	}
	if rc.crop.Ptr() != nil {
		rc.crop.Close()
	}
}

// decode reads the warped crop prepared with prep, with the options o; the
// code comes back in base's coordinates.
func (rc *regionCrop) decode(prep cropPrep, o qr.Options) (qr.Code, bool) {
	if rc.imgs[prep] == nil {
		m := gocv.NewMat()
		rc.mats[prep] = m
		switch prep {
		case cropCLAHE:
			c := gocv.NewCLAHEWithParams(3, image.Pt(4, 4))
			c.Apply(rc.crop, &m)
			c.Close()
		case cropSmooth:
			gocv.GaussianBlur(rc.crop, &m, image.Pt(0, 0), 1.5, 1.5, gocv.BorderReplicate)
		case cropSharp:
			unsharp(rc.crop, &m)
		}
		g, err := grayView(m)
		if err != nil {
			return qr.Code{}, false
		}
		rc.imgs[prep] = qr.NewImage(g)
	}
	found, err := rc.imgs[prep].Decode(o)
	if err != nil || len(found) == 0 {
		return qr.Code{}, false
	}
	c := found[0]
	h := rc.inv
	for i, pt := range c.Points {
		x, y := float64(pt.X), float64(pt.Y)
		w := h[6]*x + h[7]*y + h[8]
		if w == 0 {
			continue
		}
		c.Points[i] = image.Pt(int((h[0]*x+h[1]*y+h[2])/w+0.5), int((h[3]*x+h[4]*y+h[5])/w+0.5))
	}
	return c, true
}

// warp warps the region of base onto an upright square with a quiet-zone
// margin; false when the crop cannot be had.
func (rc *regionCrop) warp(base gocv.Mat) bool {
	q := rc.q
	edge := 0.0
	for i := range q {
		a, b := q[i], q[(i+1)%4]
		edge = max(edge, math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y)))
	}
	// Upright, the code is as wide as its longest (least foreshortened)
	// side; small codes are enlarged so gozxing sees ≥ 3 px per module.
	side := float32(min(max(edge*2, 320), maxWarpSide))
	m := side / 10
	// Bicubic keeps the modules of an enlarged small code sharp; codes
	// large enough not to be enlarged much get bilinear.
	interp := gocv.InterpolationLinear
	if float64(side) >= 1.5*edge {
		interp = gocv.InterpolationCubic
	}
	dst := []gocv.Point2f{{X: m, Y: m}, {X: m + side, Y: m}, {X: m + side, Y: m + side}, {X: m, Y: m + side}}
	srcV := gocv.NewPoint2fVectorFromPoints(q[:])
	defer srcV.Close()
	dstV := gocv.NewPoint2fVectorFromPoints(dst)
	defer dstV.Close()
	inv := gocv.GetPerspectiveTransform2f(dstV, srcV)
	defer inv.Close()
	for i := range rc.inv {
		rc.inv[i] = inv.GetDoubleAt(i/3, i%3)
	}
	n := int(side + 2*m)
	// An enlarged code is warped at its own scale, then enlarged with
	// Resize. OpenCV's bicubic WarpPerspective is the costliest step of a
	// region (9 ms of CPU for a 864×864 crop on one core here, where a
	// bicubic Resize to that size takes 1 ms); this way costs 2.7 ms less
	// per image over the corpus and reads 5 fewer of its 1300 images without
	// a budget, more with the 25 ms budget (two codes in a frame no longer
	// spend it on two warps). Bilinear, or resizing first and warping after,
	// read 14–22 fewer; cutting the bounding box of a code seen square-on
	// without rectifying it, 43 fewer: the rectified square is what gozxing
	// reads best.
	k := float32(1)
	if interp == gocv.InterpolationCubic {
		k = float32(edge) / side
	}
	n1 := int(float32(n)*k + 0.5)
	var at [4]gocv.Point2f
	for i, p := range dst {
		at[i] = gocv.Point2f{X: p.X * k, Y: p.Y * k}
	}
	atV := gocv.NewPoint2fVectorFromPoints(at[:])
	defer atV.Close()
	fwd := gocv.GetPerspectiveTransform2f(srcV, atV)
	defer fwd.Close()
	rc.crop = gocv.NewMat()
	if n1 == n {
		gocv.WarpPerspectiveWithParams(base, &rc.crop, fwd, image.Pt(n, n), interp, gocv.BorderReplicate, color.RGBA{})
	} else {
		own := gocv.NewMat()
		defer own.Close()
		gocv.WarpPerspectiveWithParams(base, &own, fwd, image.Pt(n1, n1), interp, gocv.BorderReplicate, color.RGBA{})
		gocv.Resize(own, &rc.crop, image.Pt(n, n), 0, 0, interp)
	}
	box := image.Rect(int(m), int(m), n-int(m), n-int(m)) // the code's square
	plain, err := grayView(rc.crop)
	if err != nil {
		return false
	}
	rc.imgs[cropPlain] = qr.NewImage(stretched(plain))
	rc.dark = darkQuietZone(plain, box, int(m)/2)
	return true
}

// darkQuietZone reports whether the band of width band just outside the
// code's box in the crop g (where the quiet zone is) is darker on average
// than the box itself: a light-on-dark code.
func darkQuietZone(g *image.Gray, box image.Rectangle, band int) bool {
	if band < 1 || box.Dx() < 2 || box.Dy() < 2 {
		return false
	}
	outer := box.Inset(-band).Intersect(g.Rect)
	var sumBand, sumIn, nBand, nIn int
	for y := outer.Min.Y; y < outer.Max.Y; y += 2 {
		row := g.Pix[(y-g.Rect.Min.Y)*g.Stride:]
		for x := outer.Min.X; x < outer.Max.X; x += 2 {
			v := int(row[x-g.Rect.Min.X])
			if image.Pt(x, y).In(box) {
				sumIn += v
				nIn++
			} else {
				sumBand += v
				nBand++
			}
		}
	}
	return nBand > 0 && nIn > 0 && sumBand*nIn < sumIn*nBand
}

// Carry is what decoding one camera frame leaves for the next: the
// candidate regions the frame's budget cut short, and how many of their
// warped passes were tried. A phone held up shows the same region frame
// after frame, so every other frame goes on with that region's next pass
// instead of starting again at the first: a moiré or blurred code that
// needs the fifth pass, more than one frame's budget reaches, is read a
// few frames later instead of never. The frames between start afresh, so
// that a code the early passes read as soon as it is sharp (a phone that
// was still moving) is read at once, not after the hard passes. The zero
// value carries nothing; a nil *Carry is none. One Carry belongs to one
// camera's frames.
type Carry struct {
	regions []carried
	frames  int // frames decoded since the last Reset
	resumes bool
}

type carried struct {
	q     quad
	tried int
}

// Reset forgets what was carried: the next frame shows something else.
func (c *Carry) Reset() {
	if c != nil {
		c.regions, c.frames = c.regions[:0], 0
	}
}

// begin starts a frame: every second one resumes.
func (c *Carry) begin() {
	if c != nil {
		c.resumes = c.frames%2 == 1
		c.frames++
	}
}

// resume is how many warped passes the region q already had on the
// frames before, when this frame resumes and q is where a carried region
// was (the same place and size within a quarter: a phone held still); 0
// when it is new, or the frame starts afresh.
func (c *Carry) resume(q quad) int {
	if c == nil || !c.resumes {
		return 0
	}
	return c.tried(q)
}

func (c *Carry) tried(q quad) int {
	b := q.bounds()
	for _, r := range c.regions {
		if sameRegion(b, r.q.bounds()) {
			return r.tried
		}
	}
	return 0
}

// keep carries the crops no pass read, with the most passes they have
// had, this frame or before; a region read, beyond reading or through
// every pass is dropped (the last starts again at the first), and so is
// one the frame no longer shows.
func (c *Carry) keep(crops []*regionCrop) {
	if c == nil {
		return
	}
	var next []carried
	for _, rc := range crops {
		tried := max(rc.tried, c.tried(rc.q))
		if rc.done || tried == 0 || tried >= nRegionPasses {
			continue
		}
		next = append(next, carried{q: rc.q, tried: tried})
	}
	c.regions = next
}

// sameRegion reports whether boxes a and b are one region on two frames:
// centres within a quarter of the size, sizes within a quarter.
func sameRegion(a, b image.Rectangle) bool {
	sa, sb := max(a.Dx(), a.Dy()), max(b.Dx(), b.Dy())
	if sa <= 0 || sb <= 0 || 4*max(sa, sb) > 5*min(sa, sb) {
		return false
	}
	ca, cb := a.Min.Add(a.Max), b.Min.Add(b.Max) // twice the centres
	dx, dy, size := ca.X-cb.X, ca.Y-cb.Y, max(sa, sb)
	return 4*(dx*dx+dy*dy) <= size*size
}

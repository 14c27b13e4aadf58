package main

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner"
	"yanma/verify"
)

// A category is one way a camera sees a phone badly. Every image of a
// category gets the base treatment (a phone on a cluttered scene, a mild
// optical blur, a little sensor noise) and the category's own harm.
type category struct {
	name string
	desc string
	// module is the range of pixels per module at the code's centre.
	module [2]float64
	// tilt is the range of the out-of-plane tilt in degrees.
	tilt [2]float64
	// harm applies the category's own degradation to the finished frame.
	harm func(r *rand.Rand, f *frame)
	// screen changes the phone screen before it is photographed.
	screen func(r *rand.Rand, s *gocv.Mat, modulePx int)
	// codes is how many phones are in the frame (default 1).
	codes int
	// jpeg is the JPEG quality range; 0 writes PNG.
	jpeg [2]int
}

// frame is a frame under construction: 8-bit gray, row-major.
type frame struct {
	w, h int
	pix  []byte
	// quads are the screen quadrilaterals of the codes, for local harms.
	quads [][4]gocv.Point2f
}

var categories = []category{
	{name: "clean", desc: "upright-ish, 4–7 px/module", module: [2]float64{4, 7}, tilt: [2]float64{0, 10}},
	{name: "small", desc: "2–3 px/module at arm's length", module: [2]float64{2, 3}, tilt: [2]float64{0, 10}},
	{name: "tilt", desc: "perspective tilt 25–45°", module: [2]float64{3, 6}, tilt: [2]float64{25, 45}},
	{name: "rotated", desc: "any in-plane rotation, tilt ≤ 20°", module: [2]float64{3, 6}, tilt: [2]float64{0, 20}},
	{name: "blur", desc: "Gaussian (σ 1–2.2 px) or motion blur (5–11 px)", module: [2]float64{3.5, 7}, tilt: [2]float64{0, 15}, harm: harmBlur},
	{name: "noise_jpeg", desc: "sensor noise σ 8–18, JPEG q 25–60", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, harm: harmNoise, jpeg: [2]int{25, 60}},
	{name: "moire", desc: "photographed screen pixel grid, resampled", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, screen: screenGrid},
	{name: "glare", desc: "a saturated glare spot on the screen", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, harm: harmGlare},
	{name: "low_contrast", desc: "dim screen, 20–45 grey levels between dark and light", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, harm: harmContrast},
	{name: "inverted", desc: "dark mode: light modules on black", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, screen: screenInvert},
	{name: "damaged", desc: "cracks and smudges over ≤ 8 % of the code", module: [2]float64{3, 6}, tilt: [2]float64{0, 15}, screen: screenDamage},
	{name: "two_codes", desc: "two phones in one frame (both must be read)", module: [2]float64{3, 5}, tilt: [2]float64{0, 15}, codes: 2},
	{name: "mixed", desc: "tilt, blur, noise, glare and JPEG together, moderately", module: [2]float64{2.5, 6}, tilt: [2]float64{5, 35}, harm: harmMixed, jpeg: [2]int{50, 85}},
}

var errNoFit = errors.New("code does not fit the frame")

// sample is one corpus image.
type sample struct {
	Category string
	File     string
	Texts    []string
	Version  []int
	Width    int
	Height   int
}

// issuer makes real credentials the way the reference upstream does: signed
// with this project's verify.Signer, with and without a holder proof.
type issuer struct {
	signer *verify.Signer
	r      *rand.Rand
	t0     time.Time
}

func newIssuer(seed uint64) (*issuer, error) {
	r := rand.New(rand.NewPCG(seed, 0x1551))
	var ks [32]byte
	for i := range ks {
		ks[i] = byte(r.UintN(256))
	}
	s, err := verify.NewSigner("bench-450000-1", ed25519.NewKeyFromSeed(ks[:]))
	if err != nil {
		return nil, fmt.Errorf("issuer key: %w", err)
	}
	return &issuer{signer: s, r: r, t0: time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)}, nil
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")

// text issues one credential; withProof binds a holder key and appends the
// holder's proof, as a phone shows it.
func (is *issuer) text(withProof bool) (string, error) {
	r := is.r
	iat := is.t0.Add(time.Duration(r.IntN(30*24*3600)) * time.Second)
	sub := make([]byte, 16)
	binary.LittleEndian.PutUint64(sub, r.Uint64())
	binary.LittleEndian.PutUint64(sub[8:], r.Uint64())
	cols := []verify.Color{verify.Green, verify.Green, verify.Green, verify.Yellow, verify.Red}
	c := verify.Claims{
		Iss: []string{"450000", "440000", "110000", "310000"}[r.IntN(4)],
		Sub: fmt.Sprintf("%x", sub),
		JTI: fmt.Sprintf("%016x", r.Uint64()),
		Iat: iat.Unix(),
		Exp: iat.Add(7 * 24 * time.Hour).Unix(),
		Col: cols[r.IntN(len(cols))],
		Nam: string(surnames[r.IntN(len(surnames))]) + "*" + []string{"", "*"}[r.IntN(2)],
		Idm: fmt.Sprintf("%d%05d**********%03d%s", 4+r.IntN(2), r.IntN(100000), r.IntN(1000), []string{"1", "X", "7"}[r.IntN(3)]),
	}
	if r.IntN(2) == 0 {
		c.Chk = iat.Add(-time.Duration(r.IntN(72)) * time.Hour).Unix()
	}
	var holder ed25519.PrivateKey
	if withProof {
		var hs [32]byte
		for i := range hs {
			hs[i] = byte(r.UintN(256))
		}
		holder = ed25519.NewKeyFromSeed(hs[:])
		jwk, err := verify.PublicJWK(holder.Public(), "", "EdDSA")
		if err != nil {
			return "", err
		}
		c.Cnf = &verify.Cnf{JWK: jwk}
	}
	cred, err := is.signer.Sign(verify.TypCredential, c)
	if err != nil {
		return "", err
	}
	if !withProof {
		return cred, nil
	}
	proof, err := verify.MakeProof(holder, cred, iat.Add(time.Duration(r.IntN(600))*time.Second))
	if err != nil {
		return "", err
	}
	return cred + "~" + proof, nil
}

// qrVersion is the version of a rendered code (EC M) from its size.
func qrVersion(img image.Image) int {
	n := img.Bounds().Dx() - 2*scanner.QuietZone
	return (n - 17) / 4
}

// generate writes n images spread over the categories into dir and returns
// what each holds. The same seed gives the same corpus.
func generate(dir string, seed uint64, n int) ([]sample, error) {
	is, err := newIssuer(seed)
	if err != nil {
		return nil, err
	}
	per := (n + len(categories) - 1) / len(categories)
	var out []sample
	for ci, cat := range categories {
		r := rand.New(rand.NewPCG(seed, uint64(ci+1)))
		if err := os.MkdirAll(filepath.Join(dir, cat.name), 0o755); err != nil {
			return nil, err
		}
		for i := 0; i < per; i++ {
			w, h := 1280, 720
			if i%2 == 1 {
				w, h = 640, 480
			}
			s, err := makeSample(r, is, cat, w, h)
			if err != nil {
				return nil, fmt.Errorf("%s #%d: %w", cat.name, i, err)
			}
			ext := ".png"
			q := 0
			if cat.jpeg[1] > 0 {
				ext = ".jpg"
				q = cat.jpeg[0] + r.IntN(cat.jpeg[1]-cat.jpeg[0]+1)
			}
			s.File = filepath.Join(dir, cat.name, fmt.Sprintf("%s-%03d%s", cat.name, i, ext))
			if err := s.write(q); err != nil {
				return nil, err
			}
			out = append(out, s.sample)
		}
	}
	return out, nil
}

type built struct {
	sample
	f *frame
}

func (b *built) write(quality int) error {
	m, err := gocv.NewMatFromBytes(b.f.h, b.f.w, gocv.MatTypeCV8U, b.f.pix)
	if err != nil {
		return err
	}
	defer m.Close()
	ok := false
	if quality > 0 {
		ok = gocv.IMWriteWithParams(b.File, m, []int{gocv.IMWriteJpegQuality, quality})
	} else {
		ok = gocv.IMWrite(b.File, m)
	}
	if !ok {
		return fmt.Errorf("write %s failed", b.File)
	}
	return nil
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

func makeSample(r *rand.Rand, is *issuer, cat category, w, h int) (*built, error) {
	f := &frame{w: w, h: h, pix: make([]byte, w*h)}
	scene(r, f)
	ncodes := max(cat.codes, 1)
	b := &built{sample: sample{Category: cat.name, Width: w, Height: h}, f: f}
	for k := 0; k < ncodes; k++ {
		text, err := is.text(r.IntN(2) == 0)
		if err != nil {
			return nil, err
		}
		code, err := scanner.RenderQR(text, 1)
		if err != nil {
			return nil, err
		}
		b.Texts = append(b.Texts, text)
		b.Version = append(b.Version, qrVersion(code))
		m := uniform(r, cat.module[0], cat.module[1])
		// The code must fit the frame: at 640×480 a version-22 code cannot
		// show more than about 3.6 px per module.
		fit := 0.85 * float64(min(w/ncodes, h)) / float64(code.Bounds().Dx())
		m = max(min(m, fit), 1.8)
		// A code cut by the frame edge is no test of a decoder: shrink
		// until the whole code is in view.
		for {
			err := placePhone(r, cat, f, code, m, k, ncodes)
			if err == nil {
				break
			}
			if m < 1.5 {
				return nil, err
			}
			m *= 0.9
		}
	}
	opticalBlur(f, 0.6)
	addNoise(r, f, 3)
	if cat.harm != nil {
		cat.harm(r, f)
	}
	return b, nil
}

// scene fills the frame with a cluttered background: a gradient, a few
// rectangles of other stuff, texture.
func scene(r *rand.Rand, f *frame) {
	base := 90 + r.IntN(100)
	gx, gy := uniform(r, -0.08, 0.08), uniform(r, -0.08, 0.08)
	for y := 0; y < f.h; y++ {
		for x := 0; x < f.w; x++ {
			v := float64(base) + gx*float64(x) + gy*float64(y)
			f.pix[y*f.w+x] = clamp(v)
		}
	}
	for i := 0; i < 6+r.IntN(8); i++ {
		x0, y0 := r.IntN(f.w), r.IntN(f.h)
		x1, y1 := min(f.w, x0+20+r.IntN(f.w/3)), min(f.h, y0+20+r.IntN(f.h/3))
		v := byte(r.IntN(256))
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				f.pix[y*f.w+x] = v
			}
		}
	}
}

// placePhone renders the code on a phone screen and photographs it into the
// frame: the screen is a 3-D rectangle tilted and rotated in front of a
// pin-hole camera, warped with OpenCV's perspective transform.
func placePhone(r *rand.Rand, cat category, f *frame, code image.Image, modulePx float64, k, n int) error {
	// Screen: the code with a light app margin, drawn at srcMod px/module.
	srcMod := max(2, int(math.Ceil(modulePx)))
	if cat.screen != nil && cat.name == "moire" {
		srcMod = max(srcMod, 4)
	}
	cb := code.Bounds()
	modules := cb.Dx()
	margin := 3 + r.IntN(6) // modules of app UI around the quiet zone
	side := (modules + 2*margin) * srcMod
	screenH := side + side*(4+r.IntN(6))/10
	scr := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(235+r.IntN(21)), 0, 0, 0), screenH, side, gocv.MatTypeCV8U)
	defer scr.Close()
	top := (screenH - side) / 3
	g := code.(*image.Gray)
	for y := 0; y < modules; y++ {
		for x := 0; x < modules; x++ {
			if g.GrayAt(x, y).Y != 0 {
				continue
			}
			x0, y0 := (margin+x)*srcMod, top+(margin+y)*srcMod
			gocv.Rectangle(&scr, image.Rect(x0, y0, x0+srcMod, y0+srcMod), color.RGBA{0, 0, 0, 0}, -1)
		}
	}
	if cat.screen != nil {
		cat.screen(r, &scr, srcMod)
	}
	// A dark bezel around the screen.
	bez := srcMod * 2
	phone := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(float64(10+r.IntN(30)), 0, 0, 0), screenH+2*bez, side+2*bez, gocv.MatTypeCV8U)
	defer phone.Close()
	roi := phone.Region(image.Rect(bez, bez, bez+side, bez+screenH))
	scr.CopyTo(&roi)
	roi.Close()

	// Camera: focal length = frame width; distance so the code centre shows
	// modulePx px per module.
	fl := float64(f.w)
	dist := fl * float64(srcMod) / modulePx
	tilt := uniform(r, cat.tilt[0], cat.tilt[1]) * math.Pi / 180
	dir := r.Float64() * 2 * math.Pi
	ax, ay := tilt*math.Cos(dir), tilt*math.Sin(dir)
	rz := uniform(r, -12, 12) * math.Pi / 180
	if cat.name == "rotated" {
		rz = r.Float64() * 2 * math.Pi
	}
	pw, ph := float64(phone.Cols()), float64(phone.Rows())
	// Code centre in phone coordinates, so the code (not the phone) lands
	// where we aim.
	ccx, ccy := pw/2, float64(bez+top+side/2)
	corners := [4][2]float64{{0, 0}, {pw, 0}, {pw, ph}, {0, ph}}
	half := float64(modules) * modulePx / 2 * 1.15
	for attempt := 0; attempt < 20; attempt++ {
		slot := float64(f.w) / float64(n)
		lo, hi := float64(k)*slot+half, float64(k+1)*slot-half
		if lo > hi {
			lo, hi = (lo+hi)/2, (lo+hi)/2
		}
		cx := uniform(r, lo, hi)
		lo, hi = half, float64(f.h)-half
		if lo > hi {
			lo, hi = float64(f.h)/2, float64(f.h)/2
		}
		cy := uniform(r, lo, hi)
		// project maps a point of the phone image into the frame.
		project := func(px, py float64) (float64, float64, bool) {
			X, Y := px-ccx, py-ccy
			// in-plane rotation, then tilt about x and y
			X, Y = X*math.Cos(rz)-Y*math.Sin(rz), X*math.Sin(rz)+Y*math.Cos(rz)
			Z := 0.0
			Y, Z = Y*math.Cos(ax)-Z*math.Sin(ax), Y*math.Sin(ax)+Z*math.Cos(ax)
			X, Z = X*math.Cos(ay)+Z*math.Sin(ay), -X*math.Sin(ay)+Z*math.Cos(ay)
			Z += dist
			if Z < dist*0.2 {
				return 0, 0, false
			}
			return cx + fl*X/Z, cy + fl*Y/Z, true
		}
		var dst [4]gocv.Point2f
		ok := true
		for i, c := range corners {
			x, y, good := project(c[0], c[1])
			ok = ok && good
			dst[i] = gocv.Point2f{X: float32(x), Y: float32(y)}
		}
		// The whole code, quiet zone included, must be in the frame (the
		// phone need not be).
		hs := float64(modules*srcMod) / 2
		for _, c := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			x, y, good := project(ccx+c[0]*hs, ccy+c[1]*hs)
			if !good || x < 2 || y < 2 || x > float64(f.w-2) || y > float64(f.h-2) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		src := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: float32(pw), Y: 0}, {X: float32(pw), Y: float32(ph)}, {X: 0, Y: float32(ph)}})
		dv := gocv.NewPoint2fVectorFromPoints(dst[:])
		M := gocv.GetPerspectiveTransform2f(src, dv)
		src.Close()
		dv.Close()
		bg, err := gocv.NewMatFromBytes(f.h, f.w, gocv.MatTypeCV8U, f.pix)
		if err != nil {
			M.Close()
			return err
		}
		gocv.WarpPerspectiveWithParams(phone, &bg, M, image.Pt(f.w, f.h), gocv.InterpolationLinear, gocv.BorderTransparent, color.RGBA{})
		M.Close()
		copy(f.pix, bg.ToBytes())
		bg.Close()
		f.quads = append(f.quads, dst)
		return nil
	}
	return fmt.Errorf("no placement for a %.1f px/module code: %w", modulePx, errNoFit)
}

func clamp(v float64) byte {
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return byte(v + 0.5)
}

func (f *frame) mat() gocv.Mat {
	m, _ := gocv.NewMatFromBytes(f.h, f.w, gocv.MatTypeCV8U, f.pix)
	return m
}

func (f *frame) set(m gocv.Mat) { copy(f.pix, m.ToBytes()) }

func opticalBlur(f *frame, sigma float64) {
	m := f.mat()
	defer m.Close()
	out := gocv.NewMat()
	defer out.Close()
	gocv.GaussianBlur(m, &out, image.Pt(0, 0), sigma, sigma, gocv.BorderReflect101)
	f.set(out)
}

func addNoise(r *rand.Rand, f *frame, sigma float64) {
	for i, v := range f.pix {
		f.pix[i] = clamp(float64(v) + r.NormFloat64()*sigma)
	}
}

func harmBlur(r *rand.Rand, f *frame) {
	if r.IntN(2) == 0 {
		opticalBlur(f, uniform(r, 1.0, 2.2))
		return
	}
	motionBlur(f, 5+r.IntN(7), r.Float64()*math.Pi)
}

func motionBlur(f *frame, length int, angle float64) {
	k := gocv.NewMatWithSize(length, length, gocv.MatTypeCV32F)
	defer k.Close()
	c := float64(length-1) / 2
	n := 0
	for i := 0; i < length; i++ {
		t := float64(i) - c
		x, y := int(math.Round(c+t*math.Cos(angle))), int(math.Round(c+t*math.Sin(angle)))
		if k.GetFloatAt(y, x) == 0 {
			k.SetFloatAt(y, x, 1)
			n++
		}
	}
	for y := 0; y < length; y++ {
		for x := 0; x < length; x++ {
			k.SetFloatAt(y, x, k.GetFloatAt(y, x)/float32(n))
		}
	}
	m := f.mat()
	defer m.Close()
	out := gocv.NewMat()
	defer out.Close()
	gocv.Filter2D(m, &out, -1, k, image.Pt(-1, -1), 0, gocv.BorderReflect101)
	f.set(out)
}

func harmNoise(r *rand.Rand, f *frame) { addNoise(r, f, uniform(r, 8, 18)) }

func harmGlare(r *rand.Rand, f *frame) {
	q := f.quads[0]
	// A spot centred somewhere on the code's side of the screen.
	u, v := uniform(r, 0.25, 0.75), uniform(r, 0.2, 0.6)
	cx := (1-u)*(1-v)*float64(q[0].X) + u*(1-v)*float64(q[1].X) + u*v*float64(q[2].X) + (1-u)*v*float64(q[3].X)
	cy := (1-u)*(1-v)*float64(q[0].Y) + u*(1-v)*float64(q[1].Y) + u*v*float64(q[2].Y) + (1-u)*v*float64(q[3].Y)
	span := math.Hypot(float64(q[1].X-q[0].X), float64(q[1].Y-q[0].Y))
	rad := span * uniform(r, 0.08, 0.18)
	peak := uniform(r, 180, 320)
	glare(f, cx, cy, rad, peak)
}

func glare(f *frame, cx, cy, rad, peak float64) {
	x0, x1 := max(0, int(cx-3*rad)), min(f.w, int(cx+3*rad))
	y0, y1 := max(0, int(cy-3*rad)), min(f.h, int(cy+3*rad))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d2 := ((float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)) / (rad * rad)
			add := peak * math.Exp(-d2/2)
			v := float64(f.pix[y*f.w+x])
			// Glare washes toward white: it adds light and lifts the darks most.
			f.pix[y*f.w+x] = clamp(v + add*(1-v/400))
		}
	}
}

func harmContrast(r *rand.Rand, f *frame) {
	lo := uniform(r, 40, 120)
	span := uniform(r, 20, 45)
	for i, v := range f.pix {
		f.pix[i] = clamp(lo + float64(v)/255*span)
	}
	addNoise(r, f, 1.5)
}

func harmMixed(r *rand.Rand, f *frame) {
	if r.IntN(2) == 0 {
		opticalBlur(f, uniform(r, 0.6, 1.3))
	} else {
		motionBlur(f, 3+r.IntN(4), r.Float64()*math.Pi)
	}
	if r.IntN(3) == 0 {
		harmGlare(r, f)
	}
	addNoise(r, f, uniform(r, 3, 9))
}

// screenGrid turns the screen into what a camera sees of an LCD: each screen
// pixel a lit cell with dark gaps, then resampled without an anti-alias
// filter, which beats into moiré with the camera grid.
func screenGrid(r *rand.Rand, s *gocv.Mat, modulePx int) {
	pitch := 2 + r.IntN(2) // screen pixels per module edge unit
	gap := byte(90 + r.IntN(80))
	rows, cols := s.Rows(), s.Cols()
	b := s.ToBytes()
	for y := 0; y < rows; y++ {
		for x := 0; x < cols; x++ {
			if y%pitch == 0 || x%pitch == 0 {
				b[y*cols+x] = byte(int(b[y*cols+x]) * int(gap) / 255)
			}
		}
	}
	m, _ := gocv.NewMatFromBytes(rows, cols, gocv.MatTypeCV8U, b)
	defer m.Close()
	// Resample by a non-integer factor with nearest neighbour, then back:
	// the aliasing stays in.
	f := uniform(r, 0.55, 0.85)
	small := gocv.NewMat()
	defer small.Close()
	gocv.Resize(m, &small, image.Pt(int(float64(cols)*f), int(float64(rows)*f)), 0, 0, gocv.InterpolationNearestNeighbor)
	gocv.Resize(small, s, image.Pt(cols, rows), 0, 0, gocv.InterpolationLinear)
}

func screenInvert(_ *rand.Rand, s *gocv.Mat, _ int) {
	gocv.BitwiseNot(*s, s)
	// Dark mode is not pure black: lift the blacks a little.
	b := s.ToBytes()
	for i, v := range b {
		b[i] = byte(int(v)*225/255 + 12)
	}
	m, _ := gocv.NewMatFromBytes(s.Rows(), s.Cols(), gocv.MatTypeCV8U, b)
	m.CopyTo(s)
	m.Close()
}

// screenDamage draws cracks (thin lines) and smudges (blobs) over the code
// area, about 3–8 % of it.
func screenDamage(r *rand.Rand, s *gocv.Mat, modulePx int) {
	w, h := s.Cols(), s.Rows()
	side := w
	top := (h - side) / 3
	for i := 0; i < 2+r.IntN(3); i++ {
		p0 := image.Pt(r.IntN(w), top+r.IntN(side))
		p1 := image.Pt(r.IntN(w), top+r.IntN(side))
		c := byte(r.IntN(2) * 255)
		gocv.Line(s, p0, p1, color.RGBA{c, c, c, 0}, max(1, modulePx/2))
	}
	for i := 0; i < 1+r.IntN(2); i++ {
		c := image.Pt(side/4+r.IntN(side/2), top+side/4+r.IntN(side/2))
		v := byte(r.IntN(2) * 200)
		gocv.Circle(s, c, modulePx*(2+r.IntN(3)), color.RGBA{v, v, v, 0}, -1)
	}
}

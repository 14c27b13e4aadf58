package scanner

import (
	"image"
	"image/color"
	"math"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"yanma/scanner/qr"
)

// tiltedFrame renders text as a code on a white phone screen, seen tilted:
// the code's square mapped onto the quadrilateral to (top-left, top-right,
// bottom-right, bottom-left, in a w×h frame), with the screen's dark and
// light levels lo and hi on a mid-grey scene.
func tiltedFrame(t *testing.T, text string, w, h int, to [4]gocv.Point2f, lo, hi uint8) gocv.Mat {
	t.Helper()
	gray := grayMat(t, mustRender(t, text, 8))
	defer gray.Close()
	// Squeeze the screen's levels to lo..hi.
	gray.ConvertToWithParams(&gray, gocv.MatTypeCV8U, float32(hi-lo)/255, float32(lo))
	return warpOnto(gray, to, w, h, 110)
}

// warpOnto maps the square image sq onto the quadrilateral to of a new w×h
// gray frame whose other pixels are bg.
func warpOnto(sq gocv.Mat, to [4]gocv.Point2f, w, h int, bg uint8) gocv.Mat {
	sz := float32(sq.Cols())
	from := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{{X: 0, Y: 0}, {X: sz, Y: 0}, {X: sz, Y: sz}, {X: 0, Y: sz}})
	defer from.Close()
	dst := gocv.NewPoint2fVectorFromPoints(to[:])
	defer dst.Close()
	m := gocv.GetPerspectiveTransform2f(from, dst)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(sq, &out, m, image.Pt(w, h), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{R: bg, G: bg, B: bg, A: 255})
	return out
}

func TestRegionsReadTiltedCodes(t *testing.T) {
	text := readText(t, "jws.txt")
	tests := []struct {
		name   string
		w, h   int
		to     [4]gocv.Point2f
		lo, hi uint8
	}{
		// The right edge is much shorter than the left: the phone turned
		// about its vertical axis by some 45°.
		{"tilted 45 degrees", 1280, 720, [4]gocv.Point2f{{X: 400, Y: 120}, {X: 760, Y: 220}, {X: 760, Y: 480}, {X: 400, Y: 600}}, 0, 255},
		{"tilted and turned", 1280, 720, [4]gocv.Point2f{{X: 520, Y: 90}, {X: 840, Y: 260}, {X: 720, Y: 560}, {X: 380, Y: 500}}, 0, 255},
		{"tilted away at the top", 640, 480, [4]gocv.Point2f{{X: 250, Y: 80}, {X: 430, Y: 80}, {X: 520, Y: 400}, {X: 140, Y: 400}}, 0, 255},
		{"dim screen", 1280, 720, [4]gocv.Point2f{{X: 420, Y: 140}, {X: 820, Y: 160}, {X: 800, Y: 560}, {X: 400, Y: 540}}, 120, 150},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frame := tiltedFrame(t, text, tc.w, tc.h, tc.to, tc.lo, tc.hi)
			defer frame.Close()

			qs := findQuads(frame)
			if !anyQuadNear(qs, tc.to, 0.2) {
				t.Errorf("findQuads = %v, want one near %v", qs, tc.to)
			}
			got, err := testDecoder().DecodeMat(frame)
			if err != nil {
				t.Fatalf("DecodeMat: %v", err)
			}
			if len(got) != 1 || got[0] != text {
				t.Errorf("DecodeMat = %d codes, want the one code", len(got))
			}
		})
	}
}

// anyQuadNear reports whether one of qs has every corner within frac of the
// code's size of a corner of want (the margin the blob's outline adds).
func anyQuadNear(qs []quad, want [4]gocv.Point2f, frac float64) bool {
	size := math.Hypot(float64(want[2].X-want[0].X), float64(want[2].Y-want[0].Y))
	for _, q := range qs {
		ok := true
		for _, w := range want {
			best := math.Inf(1)
			for _, c := range q {
				best = min(best, math.Hypot(float64(c.X-w.X), float64(c.Y-w.Y)))
			}
			if best > frac*size {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestQuadGeometry(t *testing.T) {
	tests := []struct {
		name     string
		q        [4]image.Point
		squarish bool
	}{
		{"square", [4]image.Point{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, true},
		{"foreshortened by half", [4]image.Point{{0, 0}, {10, 2}, {10, 8}, {0, 10}}, true},
		{"a strip", [4]image.Point{{0, 0}, {3, 0}, {3, 100}, {0, 100}}, false},
		{"degenerate", [4]image.Point{{0, 0}, {0, 0}, {0, 0}, {0, 0}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := squarish(tc.q); got != tc.squarish {
				t.Errorf("squarish = %v, want %v", got, tc.squarish)
			}
			// Shuffled corners come back in screen-clockwise order.
			shuffled := []image.Point{tc.q[2], tc.q[0], tc.q[3], tc.q[1]}
			if tc.squarish && clockwise(shuffled) != rotateTo(tc.q, clockwise(shuffled)[0]) {
				t.Errorf("clockwise(%v) = %v, want %v in order", shuffled, clockwise(shuffled), tc.q)
			}
		})
	}
}

// rotateTo returns q's cyclic order starting at p.
func rotateTo(q [4]image.Point, p image.Point) [4]image.Point {
	for i := range q {
		if q[i] == p {
			return [4]image.Point{q[i], q[(i+1)%4], q[(i+2)%4], q[(i+3)%4]}
		}
	}
	return q
}

func TestConvexHull(t *testing.T) {
	tests := []struct {
		name string
		pts  []image.Point
		want int // corners of the hull
	}{
		{"square with an inside point", []image.Point{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}}, 4},
		{"triangle", []image.Point{{0, 0}, {10, 0}, {0, 10}}, 3},
		{"too few", []image.Point{{0, 0}, {1, 1}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := convexHull(tc.pts); len(got) != tc.want {
				t.Errorf("convexHull = %v, want %d corners", got, tc.want)
			}
		})
	}
}

func TestQuadHolds(t *testing.T) {
	q := quad{{X: 0, Y: 0}, {X: 100, Y: 20}, {X: 100, Y: 80}, {X: 0, Y: 100}}
	tests := []struct {
		name string
		pts  []image.Point
		want bool
	}{
		{"finder centres inside", []image.Point{{10, 90}, {10, 10}, {90, 25}}, true},
		{"centre outside", []image.Point{{150, 50}, {180, 60}, {170, 90}}, false},
		{"no points", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := q.holds(tc.pts); got != tc.want {
				t.Errorf("holds(%v) = %v, want %v", tc.pts, got, tc.want)
			}
		})
	}
}

// TestSquareOn: only a region seen nearly square-on and turned little is
// read without a warp; its bounds hold every corner.
func TestSquareOn(t *testing.T) {
	turn := func(deg float64) quad {
		c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
		var q quad
		for i, p := range [][2]float64{{-50, -50}, {50, -50}, {50, 50}, {-50, 50}} {
			q[i] = gocv.Point2f{X: float32(200 + p[0]*c - p[1]*s), Y: float32(150 + p[0]*s + p[1]*c)}
		}
		return q
	}
	tests := []struct {
		name string
		q    quad
		want bool
	}{
		{"upright", turn(0), true},
		{"turned 10°", turn(10), true},
		{"turned 80° (10° the other way)", turn(80), true},
		{"turned 30°", turn(30), false},
		{"turned 45°", turn(45), false},
		{"foreshortened by a third", quad{{X: 0, Y: 0}, {X: 100, Y: 15}, {X: 100, Y: 85}, {X: 0, Y: 100}}, false},
		{"foreshortened by a tenth", quad{{X: 0, Y: 0}, {X: 100, Y: 4}, {X: 100, Y: 96}, {X: 0, Y: 100}}, true},
		{"degenerate", quad{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := square(tc.q); got != tc.want {
				t.Errorf("square(%v) = %v, want %v", tc.q, got, tc.want)
			}
			b := tc.q.bounds()
			for _, p := range tc.q {
				if !image.Pt(int(p.X), int(p.Y)).In(b) {
					t.Errorf("bounds %v leave out corner %v", b, p)
				}
			}
		})
	}
}

// TestStretched: a dim crop has its levels spread over the whole range (a
// copy, at the same coordinates); a crop with contrast is left as it is.
func TestStretched(t *testing.T) {
	dim := image.NewGray(image.Rect(10, 20, 74, 84))
	for i := range dim.Pix {
		dim.Pix[i] = byte(100 + (i%8)*5) // 100…135
	}
	got := stretched(dim)
	if got == dim {
		t.Fatal("a dim crop came back unchanged")
	}
	if got.Rect != dim.Rect {
		t.Errorf("rect %v, want %v", got.Rect, dim.Rect)
	}
	lo, hi := 255, 0
	for _, v := range got.Pix {
		lo, hi = min(lo, int(v)), max(hi, int(v))
	}
	if lo > 10 || hi < 245 {
		t.Errorf("stretched levels span %d–%d, want about 0–255", lo, hi)
	}
	if dim.GrayAt(10, 20) != (color.Gray{Y: 100}) || got.GrayAt(10, 20).Y > 10 {
		t.Errorf("the darkest pixel: %v in, %v out", dim.GrayAt(10, 20), got.GrayAt(10, 20))
	}
	bright := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range bright.Pix {
		bright.Pix[i] = byte((i % 2) * 200)
	}
	if stretched(bright) != bright {
		t.Error("a crop with contrast was copied")
	}
}

// TestRegionInsidePhoneEdge: a phone whose dark edge draws a closed ring
// round its screen still gives the code inside as a candidate region (an
// outermost-contour search sees only the ring).
func TestRegionInsidePhoneEdge(t *testing.T) {
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 480, Y: 180}, {X: 800, Y: 200}, {X: 790, Y: 520}, {X: 470, Y: 500}}
	frame := tiltedFrame(t, text, 1280, 720, to, 0, 255)
	defer frame.Close()
	// The phone: a white screen round the code, a dark edge round that, on
	// a light desk.
	phone := image.Rect(380, 80, 900, 640)
	for y := 0; y < frame.Rows(); y++ {
		for x := 0; x < frame.Cols(); x++ {
			if frame.GetUCharAt(y, x) != 110 { // the code
				continue
			}
			if image.Pt(x, y).In(phone) {
				frame.SetUCharAt(y, x, 250)
			} else {
				frame.SetUCharAt(y, x, 190)
			}
		}
	}
	gocv.Rectangle(&frame, phone, color.RGBA{R: 15, G: 15, B: 15, A: 255}, 6)
	if qs := findQuads(frame); !anyQuadNear(qs, to, 0.2) {
		t.Errorf("findQuads = %v, want one near the code %v", qs, to)
	}
}

// TestReadEnlarged: a code too small for gozxing at the frame's own scale
// (about 2 px per module) reads from its region's box enlarged, with its
// points mapped back into the frame; a dark-mode one reads inverted.
func TestReadEnlarged(t *testing.T) {
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 300, Y: 200}, {X: 490, Y: 204}, {X: 487, Y: 392}, {X: 297, Y: 389}}
	frame := tiltedFrame(t, text, 640, 480, to, 20, 235)
	defer frame.Close()
	var q quad
	copy(q[:], to[:])
	d := testDecoder()
	if _, ok := d.readAsIs(frame, q, time.Time{}); ok {
		t.Fatal("the code reads at its own scale: the test needs a smaller one")
	}
	c, ok := d.readEnlarged(frame, q, false, false, time.Time{})
	if !ok || c.Text != text {
		t.Fatalf("readEnlarged = %q, %v; want the code", c.Text, ok)
	}
	if !q.holds(c.Points) {
		t.Errorf("points %v are not in the region %v", c.Points, q)
	}

	dark := gocv.NewMat()
	defer dark.Close()
	gocv.BitwiseNot(frame, &dark)
	if c, ok := d.readEnlarged(dark, q, true, false, time.Time{}); !ok || c.Text != text {
		t.Errorf("dark mode: readEnlarged = %q, %v; want the code", c.Text, ok)
	}
}

// blurredPhone is a 640×480 frame of text's code tilted onto to and out
// of focus: σ 1.3 px on a code about 240 px wide, which the plain warped
// crop does not read and the sharpened one does (at 1.1 the plain crop
// still reads, from 1.5 not even the sharpened one).
func blurredPhone(t *testing.T, text string, to [4]gocv.Point2f) gocv.Mat {
	t.Helper()
	frame := tiltedFrame(t, text, 640, 480, to, 20, 235)
	gocv.GaussianBlur(frame, &frame, image.Pt(0, 0), 1.3, 1.3, gocv.BorderReplicate)
	return frame
}

// TestSharpenedCrop: a small code out of focus, which the plain warped
// crop does not read, reads once the crop is sharpened (cropSharp).
func TestSharpenedCrop(t *testing.T) {
	text := readText(t, "jws.txt")
	to := [4]gocv.Point2f{{X: 200, Y: 120}, {X: 440, Y: 126}, {X: 436, Y: 362}, {X: 196, Y: 358}}
	frame := blurredPhone(t, text, to)
	defer frame.Close()
	var q quad
	copy(q[:], to[:])
	rc := &regionCrop{q: q}
	defer rc.close()
	if !rc.warp(frame) {
		t.Fatal("no crop")
	}
	if c, ok := rc.decode(cropPlain, qr.Options{}); ok {
		t.Fatalf("the plain crop reads %q: the test needs a blurrier code", c.Text)
	}
	c, ok := rc.decode(cropSharp, qr.Options{})
	if !ok || c.Text != text {
		t.Fatalf("sharpened crop = %q, %v; want the code", c.Text, ok)
	}
	if !q.holds(c.Points) {
		t.Errorf("points %v are not in the region %v", c.Points, q)
	}
}

package scanner

import (
	"image"
	"image/color"
	"math"

	"gocv.io/x/gocv"
)

// quad is a code's four corners in frame pixels, in the detector's order
// (top-left, top-right, bottom-right, bottom-left of the code).
type quad [4]gocv.Point2f

// detectQuads finds candidate code quadrilaterals with OpenCV's
// QRCodeDetector on gray scaled so its longer side is at most side px; the
// corners come back in gray's coordinates.
func detectQuads(det *gocv.QRCodeDetector, gray gocv.Mat, side int) []quad {
	work := gray
	scale := 1.0
	if s := max(gray.Cols(), gray.Rows()); s > side {
		scale = float64(s) / float64(side)
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(gray, &small, image.Pt(int(float64(gray.Cols())/scale), int(float64(gray.Rows())/scale)), 0, 0, gocv.InterpolationArea)
		work = small
	}
	pts := gocv.NewMat()
	defer pts.Close()
	if !det.Detect(work, &pts) || pts.Empty() {
		return nil
	}
	// DetectMulti gives one row per code, four Vec2f points each; older
	// builds give a single column of points.
	n := pts.Total() / 4
	var out []quad
	for i := 0; i < n; i++ {
		var q quad
		for k := 0; k < 4; k++ {
			idx := i*4 + k
			r, c := idx/pts.Cols(), idx%pts.Cols()
			v := pts.GetVecfAt(r, c)
			if len(v) < 2 {
				return out
			}
			q[k] = gocv.Point2f{X: float32(float64(v[0]) * scale), Y: float32(float64(v[1]) * scale)}
		}
		out = append(out, q)
	}
	return out
}

// rectify warps the quad of gray into an upright square image with a white
// quiet zone around it, sized so the code keeps about its resolution
// (at most maxSide px), for gozxing to read without fighting perspective.
func rectify(gray gocv.Mat, q quad, maxSide int) gocv.Mat {
	edge := 0.0
	for i := 0; i < 4; i++ {
		a, b := q[i], q[(i+1)%4]
		edge = math.Max(edge, math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y)))
	}
	side := int(math.Min(math.Max(edge, 64), float64(maxSide)))
	pad := side / 8
	dst := gocv.NewPoint2fVectorFromPoints([]gocv.Point2f{
		{X: float32(pad), Y: float32(pad)}, {X: float32(pad + side), Y: float32(pad)},
		{X: float32(pad + side), Y: float32(pad + side)}, {X: float32(pad), Y: float32(pad + side)},
	})
	defer dst.Close()
	src := gocv.NewPoint2fVectorFromPoints(q[:])
	defer src.Close()
	m := gocv.GetPerspectiveTransform2f(src, dst)
	defer m.Close()
	out := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(gray, &out, m, image.Pt(side+2*pad, side+2*pad), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	return out
}

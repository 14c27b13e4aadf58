package qr

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// readLocal samples a large code (version 7 and up) piece by piece. gozxing
// maps the whole grid with one perspective transform from the three finder
// patterns and one alignment pattern; across the 100-odd modules of a
// version-22 code a camera's lens and a phone's tilt bend the grid by more
// than half a module, and the read fails though every pattern was found.
// Here every alignment pattern is looked for where the global transform
// predicts it, and each cell between four neighbouring patterns gets its own
// transform (zxing-cpp does the same).
func (r *reader) readLocal(tl, tr, bl *detector.FinderPattern, ap *detector.AlignmentPattern, dim int, v *decoder.Version, pitch float64) (*common.DecoderResult, error) {
	cs := v.GetAlignmentPatternCenters()
	n := len(cs)
	if n < 3 {
		return nil, errNoRead
	}
	t0 := detector.Detector_createTransform(tl, tr, bl, ap, dim)
	nodes := make([]float64, 2*n*n) // image x, y of each grid node
	pred := make([]float64, 2*n*n)  // where the global transform puts it
	pt := make([]float64, 2)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			pt[0], pt[1] = float64(cs[i])+0.5, float64(cs[j])+0.5
			t0.TransformPoints(pt)
			pred[2*(j*n+i)], pred[2*(j*n+i)+1] = pt[0], pt[1]
		}
	}
	// Walk the grid from the top-left, predicting each node from the nodes
	// already placed (the global transform's error grows across the code,
	// the local one does not), then looking for the pattern there.
	node := func(i, j int) (float64, float64) { return nodes[2*(j*n+i)], nodes[2*(j*n+i)+1] }
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x, y := pred[2*(j*n+i)], pred[2*(j*n+i)+1]
			switch {
			case i > 0 && j > 0:
				ax, ay := node(i-1, j)
				bx, by := node(i, j-1)
				cx, cy := node(i-1, j-1)
				x, y = ax+bx-cx, ay+by-cy
			case i > 0:
				ax, ay := node(i-1, j)
				x += ax - pred[2*(j*n+i-1)]
				y += ay - pred[2*(j*n+i-1)+1]
			case j > 0:
				ax, ay := node(i, j-1)
				x += ax - pred[2*((j-1)*n+i)]
				y += ay - pred[2*((j-1)*n+i)+1]
			}
			finder := (i == 0 && j == 0) || (i == n-1 && j == 0) || (i == 0 && j == n-1)
			if finder {
				// No pattern there: the finder pattern stands in its place;
				// the global transform is right about the finders.
				x, y = pred[2*(j*n+i)], pred[2*(j*n+i)+1]
			} else if a := r.alignmentNear(pitch, int(x), int(y), 2.5); a != nil {
				x, y = a.GetX(), a.GetY()
			}
			nodes[2*(j*n+i)], nodes[2*(j*n+i)+1] = x, y
		}
	}
	cells := make([]*common.PerspectiveTransform, (n-1)*(n-1))
	cell := func(i, j int) *common.PerspectiveTransform {
		if c := cells[j*(n-1)+i]; c != nil {
			return c
		}
		x0, y0 := float64(cs[i])+0.5, float64(cs[j])+0.5
		x1, y1 := float64(cs[i+1])+0.5, float64(cs[j+1])+0.5
		at := func(i, j int) (float64, float64) { return nodes[2*(j*n+i)], nodes[2*(j*n+i)+1] }
		ax, ay := at(i, j)
		bx, by := at(i+1, j)
		cx, cy := at(i+1, j+1)
		dx, dy := at(i, j+1)
		c := common.PerspectiveTransform_QuadrilateralToQuadrilateral(x0, y0, x1, y0, x1, y1, x0, y1, ax, ay, bx, by, cx, cy, dx, dy)
		cells[j*(n-1)+i] = c
		return c
	}
	index := func(m int) int {
		k := 0
		for k < n-2 && cs[k+1] <= m {
			k++
		}
		return k
	}
	bits, err := gozxing.NewSquareBitMatrix(dim)
	if err != nil {
		return nil, err
	}
	w, h := r.bm.GetWidth(), r.bm.GetHeight()
	for y := 0; y < dim; y++ {
		j := index(y)
		for x := 0; x < dim; x++ {
			pt[0], pt[1] = float64(x)+0.5, float64(y)+0.5
			cell(index(x), j).TransformPoints(pt)
			ix, iy := int(pt[0]), int(pt[1])
			if ix < 0 || iy < 0 || ix >= w || iy >= h {
				return nil, errNoRead
			}
			if r.bm.Get(ix, iy) {
				bits.Set(x, y)
			}
		}
	}
	return r.dec.Decode(bits, r.hints)
}

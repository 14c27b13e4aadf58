package qr

import (
	"math"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// maxTripleCentres bounds the candidates tiltedTriples combines (C(12,3) =
// 220 triples, each a few multiplications).
const maxTripleCentres = 12

// tiltedTriples returns up to k finder-pattern triples that could be one
// code seen at a slant: a corner near a right angle (as the perspective
// allows), arms of comparable length, module sizes within a factor of two,
// and 14 to 170 modules between centres. Best first.
func tiltedTriples(cs []*detector.FinderPattern, k int) []*detector.FinderPatternInfo {
	if len(cs) < 3 {
		return nil
	}
	if len(cs) > maxTripleCentres {
		cs = cs[:maxTripleCentres]
	}
	type cand struct {
		score      float64
		bl, tl, tr *detector.FinderPattern
	}
	var out []cand
	for a := 0; a < len(cs); a++ {
		for b := a + 1; b < len(cs); b++ {
			for c := b + 1; c < len(cs); c++ {
				p0, p1, p2 := gozxing.ResultPoint_OrderBestPatterns(cs[a], cs[b], cs[c])
				bl, tl, tr := p0.(*detector.FinderPattern), p1.(*detector.FinderPattern), p2.(*detector.FinderPattern)
				ms := []float64{bl.GetEstimatedModuleSize(), tl.GetEstimatedModuleSize(), tr.GetEstimatedModuleSize()}
				lo, hi := math.Min(ms[0], math.Min(ms[1], ms[2])), math.Max(ms[0], math.Max(ms[1], ms[2]))
				if lo <= 0 || hi > 2*lo {
					continue
				}
				ux, uy := tr.GetX()-tl.GetX(), tr.GetY()-tl.GetY()
				vx, vy := bl.GetX()-tl.GetX(), bl.GetY()-tl.GetY()
				du, dv := math.Hypot(ux, uy), math.Hypot(vx, vy)
				if du == 0 || dv == 0 {
					continue
				}
				cos := math.Abs(ux*vx+uy*vy) / (du * dv)
				ratio := math.Max(du, dv) / math.Min(du, dv)
				mean := (ms[0] + ms[1] + ms[2]) / 3
				modules := (du + dv) / 2 / mean
				if cos > 0.6 || ratio > 2 || modules < 14 || modules > 170 {
					continue
				}
				out = append(out, cand{score: cos + (ratio - 1) + (hi/lo - 1), bl: bl, tl: tl, tr: tr})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].score < out[j].score })
	var infos []*detector.FinderPatternInfo
	for i := 0; i < len(out) && i < k; i++ {
		infos = append(infos, detector.NewFinderPatternInfo(out[i].bl, out[i].tl, out[i].tr))
	}
	return infos
}

package qr

import (
	"testing"

	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

func TestTiltedTriples(t *testing.T) {
	fp := func(x, y, ms float64) *detector.FinderPattern { return detector.NewFinderPattern1(x, y, ms) }
	// A code tilted away on its right: the top-right pattern looks 1.7×
	// smaller than the top-left one (gozxing's own selection wants 1.4×).
	tl, tr, bl := fp(100, 100, 6), fp(400, 120, 3.5), fp(110, 420, 5.5)
	tests := []struct {
		name    string
		centres []*detector.FinderPattern
		want    [3]*detector.FinderPattern // bl, tl, tr of the best triple; nil: none
	}{
		{name: "tilted code", centres: []*detector.FinderPattern{tl, tr, bl}, want: [3]*detector.FinderPattern{bl, tl, tr}},
		{name: "tilted code and a stray pattern", centres: []*detector.FinderPattern{fp(700, 600, 5), tl, tr, bl}, want: [3]*detector.FinderPattern{bl, tl, tr}},
		{name: "too few", centres: []*detector.FinderPattern{tl, tr}},
		{name: "in a line", centres: []*detector.FinderPattern{fp(0, 0, 4), fp(100, 0, 4), fp(200, 0, 4)}},
		{name: "sizes too far apart", centres: []*detector.FinderPattern{fp(100, 100, 9), fp(400, 100, 3), fp(100, 400, 9)}},
		{name: "too close for any version", centres: []*detector.FinderPattern{fp(100, 100, 6), fp(150, 100, 6), fp(100, 150, 6)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tiltedTriples(tt.centres, 3)
			if tt.want[0] == nil {
				if len(got) != 0 {
					t.Fatalf("got %d triples, want none", len(got))
				}
				return
			}
			if len(got) == 0 {
				t.Fatal("no triple")
			}
			if got[0].GetBottomLeft() != tt.want[0] || got[0].GetTopLeft() != tt.want[1] || got[0].GetTopRight() != tt.want[2] {
				t.Fatalf("best triple bl %v tl %v tr %v", got[0].GetBottomLeft(), got[0].GetTopLeft(), got[0].GetTopRight())
			}
		})
	}
}

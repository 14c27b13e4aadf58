package pin

import "testing"

// BenchmarkVerify is the cost of one PIN check (and of one guess at a
// stolen hash): the figure the cost parameters are chosen by.
func BenchmarkVerify(b *testing.B) {
	h, err := Hash("480213")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_ = Verify("480213", h)
	}
}

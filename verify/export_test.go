package verify

import (
	"runtime"
	"testing"
	"time"
)

// CompareCPU is compareCPU for the external benchmarks.
var CompareCPU = compareCPU

// compareCPU times bare and full alternately, k calls of each per
// iteration, in CPU time of the benchmark's own thread, and reports both
// per call and their ratio (full / bare).
func compareCPU(b *testing.B, bare, full func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const k = 10
	var tb, tf time.Duration
	n := 0
	for b.Loop() {
		c0 := threadCPU()
		for range k {
			bare()
		}
		c1 := threadCPU()
		for range k {
			full()
		}
		c2 := threadCPU()
		tb += c1 - c0
		tf += c2 - c1
		n += k
	}
	b.ReportMetric(float64(tb.Nanoseconds())/float64(n), "cpu-ns-bare/op")
	b.ReportMetric(float64(tf.Nanoseconds())/float64(n), "cpu-ns-verify/op")
	b.ReportMetric(float64(tf)/float64(tb), "ratio")
}

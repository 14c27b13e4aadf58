package export

import (
	"io"
	"testing"
	"time"

	"yanma/store"
)

// month is 30 days × 1,000 people: a busy community gate's retention window.
func month() []store.Entry {
	base := shift()
	out := make([]store.Entry, 0, 30000)
	for i := range 30000 {
		e := base[i%len(base)]
		e.Time = at("2020-02-01", "07:00").Add(time.Duration(i) * 86 * time.Second)
		out = append(out, e)
	}
	return out
}

func BenchmarkCSV30k(b *testing.B) {
	entries := month()
	b.ResetTimer()
	for b.Loop() {
		if err := (Options{Location: cst}).CSV(io.Discard, entries); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkXLSX30k(b *testing.B) {
	entries := month()
	b.ResetTimer()
	for b.Loop() {
		if err := (Options{Location: cst}).XLSX(io.Discard, entries); err != nil {
			b.Fatal(err)
		}
	}
}

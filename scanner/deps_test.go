package scanner

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the layering of DESIGN.md: scanner knows nothing of the
// rest of yanma, and its core, scanner/qr, is pure Go (no gocv, no cgo) so
// it is tested and fuzzed without OpenCV.
func TestImports(t *testing.T) {
	tests := []struct {
		name   string
		pkg    string
		forbid func(dep string) bool
	}{
		{name: "scanner imports no other yanma package", pkg: "yanma/scanner", forbid: func(d string) bool {
			return strings.HasPrefix(d, "yanma/") && !strings.HasPrefix(d, "yanma/scanner")
		}},
		{name: "scanner/qr is pure Go", pkg: "yanma/scanner/qr", forbid: func(d string) bool {
			return d == "gocv.io/x/gocv" || d == "runtime/cgo" || strings.HasPrefix(d, "yanma/") && d != "yanma/scanner/qr"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-buildvcs=false", "-deps", tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			for _, d := range strings.Fields(string(out)) {
				if tt.forbid(d) {
					t.Errorf("%s depends on %s", tt.pkg, d)
				}
			}
		})
	}
}

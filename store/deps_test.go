package store

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import direction of the design card: store knows
// verify's types and bbolt, nothing of sync, scanner (OpenCV, gozxing),
// assets or the commands.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-buildvcs=false", "-deps", "yanma/store").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"yanma/sync", "yanma/scanner", "yanma/cmd", "yanma/assets", "gocv.io/", "github.com/makiuchi-d/gozxing"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f) {
				t.Errorf("store depends on %s", dep)
			}
		}
	}
}

package verify

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDependencies keeps verify on the standard library and golang-jwt
// alone (the design card's rule): no package of ours, nothing else.
func TestDependencies(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-buildvcs=false", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		switch {
		case p == "yanma/verify", strings.HasPrefix(p, "github.com/golang-jwt/jwt/v5"):
		default:
			t.Errorf("verify depends on %s", p)
		}
	}
}

// TestPackageDoc keeps the package comment.
func TestPackageDoc(t *testing.T) {
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goTool, "list", "-buildvcs=false", "-f", "{{.Doc}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if !strings.HasPrefix(string(out), "Package verify ") {
		t.Fatalf("package doc %q", out)
	}
}

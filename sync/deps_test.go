package sync

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The sync side stays pure Go: no camera, no OpenCV, and it builds with
// CGO_ENABLED=0 (go list fails on a package that needs cgo); and the
// reference upstream knows nothing of the terminal's store.
func TestImports(t *testing.T) {
	tests := []struct {
		name      string
		pkgs      []string
		forbidden []string
	}{
		{"sync and the upstream command", []string{"yanma/sync", "yanma/sync/upstream", "yanma/cmd/upstream"},
			[]string{"yanma/scanner", "gocv.io/x/gocv", "yanma/cmd/checkpoint"}},
		{"upstream", []string{"yanma/sync/upstream", "yanma/sync/wire"}, []string{"yanma/store", "yanma/sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// -buildvcs=false: a dependency list needs no VCS stamp, and
			// cmd/upstream is a main package, whose stamping fails where git
			// will not read the checkout (one owned by another user).
			args := append([]string{"list", "-buildvcs=false", "-deps", "-f", "{{.ImportPath}}"}, tt.pkgs...)
			cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...) // the go running this test
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := map[string]bool{}
			for _, l := range strings.Fields(string(out)) {
				deps[l] = true
			}
			for _, f := range tt.forbidden {
				if deps[f] {
					t.Errorf("%v depends on %s", tt.pkgs, f)
				}
			}
		})
	}
}

// Every package of the sync side says what it is for.
func TestPackageDocs(t *testing.T) {
	for _, dir := range []string{".", "upstream", "wire", "internal/faultproxy", "../cmd/upstream"} {
		t.Run(dir, func(t *testing.T) {
			pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
				return !strings.HasSuffix(fi.Name(), "_test.go")
			}, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range pkgs {
				doc := false
				for _, f := range p.Files {
					doc = doc || f.Doc != nil
				}
				if !doc {
					t.Errorf("package %s in %s has no package comment", name, filepath.Clean(dir))
				}
			}
		})
	}
}

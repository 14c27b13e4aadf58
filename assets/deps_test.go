package assets

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsStandardLibraryOnly keeps assets at the bottom of the import
// graph (DESIGN.md): any package of ours may use it, so it uses none.
func TestImportsStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") || first == "yanma" {
			t.Errorf("assets imports %s", imp)
		}
	}
}

package main

import (
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"yanma/cmd/checkpoint/internal/pin"
	"yanma/verify"
)

// TestExportBehindPIN: export needs the operator PIN; the CSV and XLSX carry
// the entries with their Chinese masked names.
func TestExportBehindPIN(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	red := issue(t, up, "exp-red", verify.Red)
	green := issue(t, up, "exp-green", verify.Green)
	term.mustRun(red+"\n"+green+"\n36.4\n", "run", "--offline", "--ui", "json", "--source", "stdin")
	// A community gate records the way people go.
	term.mustRun(green+"\n36.5\n", "run", "--offline", "--ui", "json", "--source", "stdin", "--site", "community", "--direction", "out")
	if _, err := term.run("", "run", "--offline", "--source", "stdin", "--site", "road", "--direction", "out"); err == nil {
		t.Fatal("a road checkpoint accepted a direction")
	}

	if _, err := term.run("", "export"); err == nil {
		t.Fatal("export without a PIN set succeeded")
	}
	if _, err := term.run("123456\n", "pin", "set"); err == nil {
		t.Fatal("a weak PIN (a straight run) was accepted")
	}
	term.mustRun("480725\n", "pin", "set")
	if _, err := term.run("480726\n", "export"); err == nil {
		t.Fatal("export with a wrong PIN succeeded")
	}
	if _, err := term.run("111111\n480725\n", "pin", "set"); err == nil {
		t.Fatal("PIN changed without the current PIN")
	}

	out := term.mustRun("480725\n", "export", "--format", "csv")
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatal("CSV lacks the UTF-8 byte-order mark Excel needs for Chinese")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	if len(rows) != 4 || !strings.Contains(strings.Join(rows[1], ","), "陈*") {
		t.Fatalf("CSV rows = %q; want a header and three entries with 陈*", rows)
	}
	if rows[3][1] != "community gate (out)" {
		t.Fatalf("community entry's site column = %q, want the direction in it", rows[3][1])
	}

	xlsx := filepath.Join(t.TempDir(), "red.xlsx")
	term.mustRun("480725\n", "export", "--format", "xlsx", "--color", "red", "--out", xlsx)
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatalf("open XLSX: %v", err)
	}
	defer f.Close()
	xrows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != 2 || !strings.Contains(strings.Join(xrows[1], ","), "陈*") {
		t.Fatalf("XLSX rows (red only) = %q", xrows)
	}

	// Wrong PINs are counted across runs of the program: after five, even
	// the right one waits.
	for i := range pin.FreeTries {
		if _, err := term.run("480726\n", "export"); err == nil {
			t.Fatalf("wrong PIN %d opened the export", i+1)
		}
	}
	if _, err := term.run("480725\n", "export"); err == nil || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("right PIN after %d wrong ones in %d runs: %v; want a wait", pin.FreeTries, pin.FreeTries, err)
	}
}

package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/tmuxtest"
	"yanma/store"
	"yanma/sync/wire"
	"yanma/verify"
)

// officer runs the real `checkpoint run --ui tui --source stdin` in a tmux
// pane, as the kiosk does with a scanner gun and a keypad.
func officer(t *testing.T, dataDir string, lang string) *tmuxtest.Session {
	t.Helper()
	tmuxtest.Require(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return tmuxtest.Start(t, 110, 34, []string{"YANMA_TEST_AS_CHECKPOINT=1"},
		self, "--data", dataDir, "--lang", lang, "--log-level", "error",
		"run", "--ui", "tui", "--source", "stdin", "--offline", "--sound", "off", "--hold", "30s")
}

// TestTUIAsOfficer types codes and temperatures into the full-screen display
// and reads what the officer sees for pass, fever, yellow, red and invalid.
func TestTUIAsOfficer(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "tui-green", verify.Green)
	fever := issue(t, up, "tui-fever", verify.Green)
	yellow := issue(t, up, "tui-yellow", verify.Yellow)
	red := issue(t, up, "tui-red", verify.Red)

	s := officer(t, term.dataDir, "en")
	s.WaitFor("yanma")

	s.Line(green)
	s.WaitFor("MEASURE", "陈*", "450*4410")
	s.Line("36.6")
	s.WaitFor("PASS", "36.6")

	s.Line(fever)
	s.WaitFor("MEASURE")
	s.Line("50") // a misread: not a body temperature
	s.WaitFor("MEASURE", "not plausible", "measure again")
	s.Type("3")
	s.WaitFor("› 3")
	s.Keys("Escape") // the officer clears a wrong digit, and looks
	s.WaitGone("› 3")
	s.Line("38.4")
	screen := s.WaitFor("FEVER", "38.4")
	if !contains(screen, "pending") {
		t.Errorf("fever not shown as pending yellow:\n%s", screen)
	}
	s.Keys("Enter") // the officer confirms the fever

	s.Line(yellow)
	s.WaitFor("YELLOW")
	s.Line(red)
	s.WaitFor("RED")
	s.Line("HC1:not-a-health-code")
	s.WaitFor("INVALID")

	// Every verdict the officer saw was recorded.
	s.Keys("C-c")
	s.WaitUntil("program exits", func(string) bool { return s.Dead() })
	db, err := store.Open(filepath.Join(term.dataDir, "terminal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, err := db.Entries(time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, string(e.Verdict)+"/"+string(e.Color)+"/"+string(e.Reason))
	}
	want := []string{"pass/green/ok", "deny/green/ok", "deny/yellow/ok", "deny/red/ok", "deny//malformed"}
	if len(got) != len(want) {
		t.Fatalf("recorded %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("recorded %q, want %q", got, want)
		}
	}
}

// TestTUIStale: a terminal whose data was last synced four days ago shows a
// code that would pass as "cannot validate: data too old", not as green.
func TestTUIStale(t *testing.T) {
	up := startUpstream(t)
	green := issue(t, up, "tui-stale", verify.Green)

	// A terminal fed by USB stick four days ago and offline since.
	dataDir := filepath.Join(t.TempDir(), "terminal")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dataDir, "terminal.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PinRoots(up.srv.RootJWK()); err != nil {
		t.Fatal(err)
	}
	fourDaysAgo := time.Now().Add(-96 * time.Hour)
	if _, err := db.ImportTrustList(fetch(t, up, wire.PathTrustList), fourDaysAgo); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyRevocations(fetch(t, up, wire.PathRevocations+"?from=0"), fourDaysAgo); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := officer(t, dataDir, "en")
	s.WaitFor("yanma")
	s.Line(green)
	screen := s.WaitFor("STALE")
	if contains(screen, "PASS") {
		t.Fatalf("stale data shown as a pass:\n%s", screen)
	}
}

func fetch(t *testing.T, up *loopUpstream, path string) string {
	t.Helper()
	resp, err := http.Get(up.url() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

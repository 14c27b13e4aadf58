package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner"
	"yanma/store"
	"yanma/sync/upstream"
	"yanma/sync/wire"
	"yanma/verify"
)

// loopUpstream is the reference upstream on a real loopback port with its
// own bbolt file. stop and start take it off the network and back on the
// same address, as a flaky uplink does.
type loopUpstream struct {
	t    *testing.T
	srv  *upstream.Server
	addr string
	http *http.Server
}

func startUpstream(t *testing.T) *loopUpstream {
	t.Helper()
	srv, err := upstream.Open(filepath.Join(t.TempDir(), "upstream.db"))
	if err != nil {
		t.Fatalf("open upstream: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	u := &loopUpstream{t: t, srv: srv}
	u.start()
	t.Cleanup(u.stop)
	return u
}

func (u *loopUpstream) url() string { return "http://" + u.addr }

func (u *loopUpstream) start() {
	u.t.Helper()
	addr := u.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		u.t.Fatalf("listen %s: %v", addr, err)
	}
	u.addr = ln.Addr().String()
	u.http = &http.Server{Handler: u.srv.Handler()}
	go u.http.Serve(ln)
}

func (u *loopUpstream) stop() {
	if u.http != nil {
		u.http.Close()
		u.http = nil
	}
}

// terminalCLI runs the checkpoint command as a user would, against one data
// directory.
type terminalCLI struct {
	t       *testing.T
	dataDir string
	url     string
}

// run calls the command with the global flags first; it returns stdout and
// the command's error.
func (c terminalCLI) run(stdin string, args ...string) (string, error) {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	full := append([]string{"--data", c.dataDir, "--upstream", c.url, "--lang", "en", "--log-level", "warn"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, full, strings.NewReader(stdin), &stdout, &stderr)
	if stderr.Len() > 0 {
		c.t.Logf("checkpoint %s stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String(), err
}

// mustRun fails the test when the command fails.
func (c terminalCLI) mustRun(stdin string, args ...string) string {
	c.t.Helper()
	out, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("checkpoint %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// decided returns the KindDecided events of a --ui json run.
func decided(t *testing.T, out string) []ui.Event {
	t.Helper()
	var evs []ui.Event
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev ui.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("--ui json printed a line that is not JSON: %q: %v", sc.Text(), err)
		}
		if ev.Kind == ui.KindDecided {
			evs = append(evs, ev)
		}
	}
	return evs
}

func enrolledTerminal(t *testing.T, up *loopUpstream) terminalCLI {
	t.Helper()
	code, err := up.srv.NewEnrollmentCode(context.Background())
	if err != nil {
		t.Fatalf("enrollment code: %v", err)
	}
	c := terminalCLI{t: t, dataDir: filepath.Join(t.TempDir(), "terminal"), url: up.url()}
	c.mustRun("", "enroll", code)
	return c
}

func issue(t *testing.T, up *loopUpstream, sub string, col verify.Color) string {
	t.Helper()
	iss, err := up.srv.Issue(context.Background(), upstream.PersonRequest{Sub: sub, Name: "陈明", ID: "450109200002284410", Color: col})
	if err != nil {
		t.Fatalf("issue %s: %v", sub, err)
	}
	return iss.Credential
}

func openStore(t *testing.T, c terminalCLI) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(c.dataDir, "terminal.db"))
	if err != nil {
		t.Fatalf("open terminal store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWholeLoop is issue 2's proof: camera frames → offline verdict →
// temperature → bbolt → upstream → yellow, with real parts only.
func TestWholeLoop(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "e2e-fever", verify.Green)

	// A video written by gocv: the green code held up for a second.
	qr, err := scanner.RenderQR(green, 4)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	video := filepath.Join(t.TempDir(), "camera.avi")
	if err := scanner.WriteVideo(video, 10, scanner.Presentations(640, 480, []image.Image{qr}, 10, 0)); err != nil {
		t.Fatalf("write video: %v", err)
	}

	// Scripted 38.2 °C: decoded, verified offline, denied, recorded, reported.
	// --offline keeps the report in the outbox so the test sees it there.
	out := term.mustRun("", "run", "--offline", "--ui", "json", "--site", "road", "--source", "file:"+video, "--temps", "38.2")
	evs := decided(t, out)
	if len(evs) != 1 {
		t.Fatalf("one person in the video, %d verdicts:\n%s", len(evs), out)
	}
	ev := evs[0]
	if ev.Decision.Verdict != verify.VerdictDeny || ev.Decision.Report != verify.ReportFever || !ev.Result.Valid || ev.Result.Color != verify.Green || ev.Decision.TemperatureC != 38.2 || !ev.PendingReport {
		t.Fatalf("green + 38.2 °C: want deny + fever report, pending; got %+v", ev)
	}
	db := openStore(t, term)
	entries, err := db.Entries(time.Time{}, time.Now().Add(time.Hour))
	if err != nil || len(entries) != 1 || entries[0].ID != ev.EntryID || entries[0].Verdict != verify.VerdictDeny || entries[0].TemperatureC != 38.2 {
		t.Fatalf("recorded entries = %+v, %v; want the one shown (%s)", entries, err, ev.EntryID)
	}
	if n, _, err := db.OutboxStats(); err != nil || n != 1 {
		t.Fatalf("outbox = %d, %v; want the fever report waiting", n, err)
	}
	db.Close()

	// Sync delivers it; the upstream turns the person yellow and revokes.
	term.mustRun("", "sync")
	if col, _, err := up.srv.Person("e2e-fever"); err != nil || col != verify.Yellow {
		t.Fatalf("upstream colour after the report = %q, %v; want yellow", col, err)
	}
	db = openStore(t, term)
	if n, _, _ := db.OutboxStats(); n != 0 {
		t.Fatalf("outbox after sync = %d, want 0", n)
	}
	db.Close()

	// The same sync pulled the consequence (it pushes, then pulls): the
	// same green QR is refused as revoked.
	out, err = term.run("", "verify", "--json", green)
	var res verify.Result
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
		t.Fatalf("verify --json: %v\n%s", jerr, out)
	}
	if !isExit(err, 1) || res.Valid || res.Reason != verify.ReasonRevoked {
		t.Fatalf("old green code after the report: err=%v result=%+v; want exit 1, revoked", err, res)
	}

	// The person's fresh code is yellow and denied as yellow.
	fresh := issue(t, up, "e2e-fever", verify.Green)
	out = term.mustRun(fresh+"\n", "run", "--offline", "--ui", "json", "--source", "stdin")
	evs = decided(t, out)
	if len(evs) != 1 || !evs[0].Result.Valid || evs[0].Result.Color != verify.Yellow || evs[0].Decision.Verdict != verify.VerdictDeny {
		t.Fatalf("fresh code: want valid yellow denied, got %+v", evs)
	}
}

// TestOffline: with the upstream down, verdicts go on; the outbox survives a
// restart and is delivered, once, when the upstream is back.
func TestOffline(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "off-1", verify.Green)
	red := issue(t, up, "off-2", verify.Red)
	up.stop()

	out := term.mustRun(green+"\n38.5\n", "run", "--ui", "json", "--source", "stdin")
	if evs := decided(t, out); len(evs) != 1 || evs[0].Decision.Report != verify.ReportFever {
		t.Fatalf("offline fever: %+v", evs)
	}
	// A restart of the terminal, still offline: a second person.
	out = term.mustRun(red+"\n", "run", "--ui", "json", "--source", "stdin")
	if evs := decided(t, out); len(evs) != 1 || evs[0].Decision.Report != verify.ReportRedSighting {
		t.Fatalf("offline red: %+v", evs)
	}
	if _, err := term.run("", "sync"); err == nil {
		t.Fatal("sync with the upstream down succeeded")
	}
	db := openStore(t, term)
	if n, _, err := db.OutboxStats(); err != nil || n != 2 {
		t.Fatalf("outbox after two offline reports and a restart = %d, %v; want 2", n, err)
	}
	db.Close()

	up.start()
	term.mustRun("", "sync")
	term.mustRun("", "sync") // nothing left to send; nothing applied twice
	if n, err := up.srv.ReportCount(); err != nil || n != 2 {
		t.Fatalf("upstream applied %d reports (%v); want exactly 2", n, err)
	}
	if n, err := up.srv.Sightings(); err != nil || n != 1 {
		t.Fatalf("upstream red sightings = %d (%v); want 1", n, err)
	}
	if col, _, _ := up.srv.Person("off-1"); col != verify.Yellow {
		t.Fatalf("fever person upstream = %q, want yellow", col)
	}
}

// TestTemperatureEntry: what is not a plausible temperature is refused and
// asked again; transit sites take none.
func TestTemperatureEntry(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "temp-1", verify.Green)

	out := term.mustRun(green+"\nabc\n50\n34.9\n36,6\n", "run", "--offline", "--ui", "json", "--source", "stdin")
	var rejected []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev ui.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if ev.Kind == ui.KindTemperatureRejected {
			rejected = append(rejected, ev.Input)
		}
	}
	if strings.Join(rejected, "|") != "abc|50|34.9" {
		t.Fatalf("rejected readings = %q, want abc|50|34.9", rejected)
	}
	evs := decided(t, out)
	if len(evs) != 1 || evs[0].Decision.Verdict != verify.VerdictPass || evs[0].Decision.TemperatureC != 36.6 {
		t.Fatalf("after re-measuring 36,6: %+v", evs)
	}

	// Transit: colour only. The line after the code is another code, not a temperature.
	out = term.mustRun(green+"\n"+green+"\n", "run", "--offline", "--ui", "json", "--site", "transit", "--source", "stdin")
	evs = decided(t, out)
	if len(evs) != 2 || evs[0].Decision.Verdict != verify.VerdictPass || evs[0].Decision.TemperatureC != 0 {
		t.Fatalf("transit: %+v", evs)
	}
}

// TestPlainDisplay checks the line an officer reads.
func TestPlainDisplay(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	red := issue(t, up, "plain-1", verify.Red)
	out := term.mustRun(red+"\nnot a code\n", "run", "--offline", "--source", "stdin")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two verdict lines, got:\n%s", out)
	}
	for _, want := range []string{"DENY", "RED", "陈*", "red sighting: pending"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("red line %q lacks %q", lines[0], want)
		}
	}
	if !strings.HasPrefix(lines[1], "DENY") || !strings.Contains(lines[1], "reason=malformed") {
		t.Errorf("garbage line = %q, want DENY … reason=malformed", lines[1])
	}
}

// TestImportsRefused: a trust list or feed not signed by the pinned root is
// refused, exits non-zero, and changes nothing.
func TestImportsRefused(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "imp-1", verify.Green)

	other := startUpstream(t) // another root altogether
	dir := t.TempDir()
	otherTrust := filepath.Join(dir, "other-trust.jws")
	otherFeed := filepath.Join(dir, "other-feed.jws")
	writeArtefacts(t, other, otherTrust, otherFeed)

	before := term.mustRun("", "status")
	if _, err := term.run("", "trust", "import", otherTrust); err == nil {
		t.Fatal("trust list of another root imported")
	}
	if _, err := term.run("", "revocations", "import", otherFeed); err == nil {
		t.Fatal("revocation feed of another root applied")
	}
	if _, err := term.run("", "trust", "import", filepath.Join(dir, "missing.jws")); err == nil {
		t.Fatal("missing file imported")
	}
	after := term.mustRun("", "status")
	if stripAges(before) != stripAges(after) {
		t.Fatalf("a refused import changed the terminal:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := term.run("", "verify", green); err != nil {
		t.Fatalf("own code no longer verifies after refused imports: %v", err)
	}
}

func writeArtefacts(t *testing.T, up *loopUpstream, trustPath, feedPath string) {
	t.Helper()
	for path, url := range map[string]string{trustPath: wire.PathTrustList, feedPath: wire.PathRevocations + "?from=0"} {
		resp, err := http.Get(up.url() + url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// stripAges drops the "… ago" parts of status, which move with the clock.
func stripAges(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "as of"); i >= 0 {
			l = l[:i]
		}
		if strings.HasPrefix(l, "clock:") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestRootRotationThroughSync: the kiosk's own commands follow a root
// rotation: `status` shows the next root once a sync brought the
// announcement, and the new root alone after the rotation; codes verify
// throughout.
func TestRootRotationThroughSync(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "rot-1", verify.Green)
	rootLines := func() []string {
		t.Helper()
		var lines []string
		for _, l := range strings.Split(term.mustRun("", "status"), "\n") {
			if strings.HasPrefix(l, "trust root:") || strings.HasPrefix(l, "next root:") {
				lines = append(lines, l)
			}
		}
		return lines
	}
	if got := rootLines(); len(got) != 1 || !strings.HasPrefix(got[0], "trust root:") {
		t.Fatalf("before: %q", got)
	}
	next, err := up.srv.PrepareRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	term.mustRun("", "sync")
	if got := rootLines(); len(got) != 2 || !strings.HasPrefix(got[1], "next root:") || !strings.Contains(got[1], next.Thumbprint()) {
		t.Fatalf("after the announcement: %q, want the next root %s second", got, next.Thumbprint())
	}
	if _, err := up.srv.RotateRoot(context.Background()); err != nil {
		t.Fatal(err)
	}
	term.mustRun("", "sync")
	if got := rootLines(); len(got) != 1 || !strings.Contains(got[0], next.Thumbprint()) {
		t.Fatalf("after the rotation: %q, want the new root alone", got)
	}
	fresh := issue(t, up, "rot-2", verify.Green)
	for _, code := range []string{green, fresh} {
		if _, err := term.run("", "verify", code); err != nil {
			t.Fatalf("a code does not verify after the rotation: %v", err)
		}
	}
}

// TestPinOtherRoot: pinning another upstream's root by hand says which root
// is no longer trusted and that the trust list it signed was dropped; the
// codes it vouched for are then refused (no_trust_list), not still let
// through.
func TestPinOtherRoot(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "pin-1", verify.Green)
	if _, err := term.run("", "verify", green); err != nil {
		t.Fatalf("before: %v", err)
	}
	other := startUpstream(t)
	rootFile := filepath.Join(t.TempDir(), "other-root.jwk")
	b, err := json.Marshal(other.srv.RootJWK())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out := term.mustRun("", "trust", "pin", rootFile)
	for _, want := range []string{"no longer trusted: root", "pinned trust root " + other.srv.RootJWK().Thumbprint(), "dropped"} {
		if !strings.Contains(out, want) {
			t.Errorf("trust pin said %q, want %q", out, want)
		}
	}
	out, err = term.run("", "verify", green)
	if err == nil || !strings.Contains(out, string(verify.ReasonNoTrustList)) {
		t.Fatalf("the old root's code after pinning another root: %v\n%s", err, out)
	}
}

// TestEnrollAgain: enrolling an enrolled terminal makes it a new device,
// and says which old identity to revoke upstream.
func TestEnrollAgain(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	st := term.mustRun("", "status")
	code, err := up.srv.NewEnrollmentCode(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := term.mustRun("", "enroll", code)
	i := strings.Index(st, "device:")
	old := strings.Fields(st[i+len("device:"):])[0]
	if !strings.Contains(out, "this terminal was device "+old) || !strings.Contains(out, "revoke-device --device "+old) {
		t.Fatalf("enroll again said:\n%s\nwant it to name the old device %s", out, old)
	}
}

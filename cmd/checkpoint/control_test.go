package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"yanma/cmd/checkpoint/internal/pin"
	"yanma/cmd/checkpoint/internal/ui"
	"yanma/store"
	"yanma/verify"
)

// kiosk is a real `checkpoint run` going in the test, on the terminal's
// bbolt file, its standard input kept open as the officer's keyboard.
type kiosk struct {
	t        *testing.T
	keyboard *io.PipeWriter
	out      *lockedBuffer
	stderr   *lockedBuffer
	done     chan error
	cancel   context.CancelFunc
	stopOnce gosync.Once
	err      error
}

// startKiosk starts `checkpoint run` on term's data directory, reading codes
// and temperatures from a pipe the test writes; extra run flags come last,
// so they override the defaults.
func startKiosk(t *testing.T, term terminalCLI, extra ...string) *kiosk {
	t.Helper()
	stdin, keyboard := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	k := &kiosk{t: t, keyboard: keyboard, out: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1), cancel: cancel}
	go func() {
		k.done <- run(ctx, append([]string{"--data", term.dataDir, "--upstream", term.url, "--lang", "en", "--log-level", "warn"},
			append([]string{"run", "--offline", "--ui", "json", "--site", "road", "--source", "stdin"}, extra...)...), stdin, k.out, k.stderr)
	}()
	t.Cleanup(func() { k.stop() })
	return k
}

// scan types lines on the keyboard and waits until the kiosk has decided n
// people in all. The socket is up by then: run listens before it serves.
func (k *kiosk) scan(lines string, n int) {
	k.t.Helper()
	if _, err := io.WriteString(k.keyboard, lines); err != nil {
		k.t.Fatalf("keyboard: %v", err)
	}
	k.out.waitFor(k.t, "verdicts", func(evs []ui.Event) bool {
		d := 0
		for _, ev := range evs {
			if ev.Kind == ui.KindDecided {
				d++
			}
		}
		return d >= n
	})
}

// stop ends the shift as a closed keyboard does and waits for run to
// return (bounded, should it hang).
func (k *kiosk) stop() error {
	k.stopOnce.Do(func() {
		k.keyboard.Close()
		select {
		case k.err = <-k.done:
		case <-time.After(30 * time.Second):
			k.cancel()
			k.err = errors.New("run did not end when its input closed")
		}
		k.cancel()
		if k.err != nil {
			k.t.Errorf("run: %v\n%s", k.err, k.stderr.b.String())
		}
	})
	return k.err
}

// runAll runs the command as terminalCLI.run does, returning its standard
// error too (the PIN prompt, the export summary).
func (c terminalCLI) runAll(stdin string, args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var o, e bytes.Buffer
	full := append([]string{"--data", c.dataDir, "--upstream", c.url, "--lang", "en", "--log-level", "warn"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = run(ctx, full, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), err
}

// wrongPINs reads how many wrong PINs the guard has counted.
func wrongPINs(t *testing.T, c terminalCLI) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dataDir, "operator.pin.tries"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Failures int `json:"failures"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("tries file %q: %v", b, err)
	}
	return st.Failures
}

// statusField returns the line of a status text that starts with label.
func statusField(t *testing.T, text, label string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, label) {
			return l
		}
	}
	t.Fatalf("status has no %q line:\n%s", label, text)
	return ""
}

// steadyStatus drops what moves with the clock ("… ago", "as of …") and
// the kiosk line, which says which way the text came.
func steadyStatus(status string) string {
	var out []string
	for _, l := range strings.Split(stripAges(status), "\n") {
		if i := strings.Index(l, "oldest"); i >= 0 {
			l = l[:i]
		}
		if !strings.HasPrefix(l, "kiosk:") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStatusAndExportWhileRunning: while `checkpoint run` holds the file,
// status and export go through its control socket: status shows what the
// kiosk holds and has recorded, export gives the run's entries for the
// right PIN, a wrong PIN is refused and counted in the same file as a
// local export's (five across both ways lock the export), a bad format is
// refused before the PIN is asked. After the run, the socket is gone and
// status opens the file itself.
func TestStatusAndExportWhileRunning(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "ctl-green", verify.Green)
	red := issue(t, up, "ctl-red", verify.Red)
	term.mustRun("480725\n", "pin", "set")
	sock := filepath.Join(term.dataDir, "control.sock")

	k := startKiosk(t, term)
	k.scan(green+"\n36.5\n", 1)
	k.scan(red+"\n", 2)

	live := term.mustRun("", "status")
	if l := statusField(t, live, "device:"); strings.Contains(l, "not enrolled") || strings.Contains(l, "error") {
		t.Errorf("device line = %q, want the enrolled id", l)
	}
	if l := statusField(t, live, "trust list:"); !strings.Contains(l, "seq ") || !strings.Contains(l, "current") {
		t.Errorf("trust list line = %q, want a current list", l)
	}
	if l := statusField(t, live, "entries:"); !strings.Contains(l, " 2 today") {
		t.Errorf("entries line = %q, want the run's two", l)
	}
	if l := statusField(t, live, "kiosk:"); !strings.Contains(l, "running;") || !strings.Contains(l, sock) {
		t.Errorf("kiosk line = %q, want the run answering on %s", l, sock)
	}
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket: %v, %v; want a socket, mode 0600", fi, err)
	}

	// Other commands need the file: they say the kiosk holds it.
	if _, err := term.run("", "sync"); err == nil || !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "the kiosk (checkpoint run) holds it") {
		t.Errorf("sync while the kiosk runs: %v", err)
	}

	// A format no one writes is refused before the PIN is asked for.
	_, stderr, err := term.runAll("480725\n", "export", "--format", "pdf")
	if err == nil || !strings.Contains(err.Error(), "--format") || strings.Contains(stderr, "operator PIN") {
		t.Errorf("export --format pdf: %v, stderr %q; want refused before the PIN prompt", err, stderr)
	}

	// The right PIN: the entries the run recorded, from the run.
	out, summary, err := term.runAll("480725\n", "export", "--format", "csv")
	if err != nil {
		t.Fatalf("export while running: %v\n%s", err, summary)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, out)
	}
	if len(rows) != 3 || !strings.Contains(strings.Join(rows[1], ","), "陈*") {
		t.Fatalf("CSV rows = %q; want a header and the run's two entries", rows)
	}
	if !strings.Contains(summary, "2") {
		t.Errorf("export's summary on stderr = %q, want the day's two", summary)
	}
	// The filters and the file go the same way: red only, as XLSX.
	xlsx := filepath.Join(t.TempDir(), "red.xlsx")
	term.mustRun("480725\n", "export", "--format", "xlsx", "--color", "red", "--out", xlsx)
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatalf("XLSX sent by the run: %v", err)
	}
	xrows, err := f.GetRows(f.GetSheetList()[0])
	f.Close()
	if err != nil || len(xrows) != 2 {
		t.Fatalf("XLSX rows (red only) = %q, %v; want a header and one", xrows, err)
	}

	// A wrong PIN is refused and counted where a local export counts it.
	if _, _, err := term.runAll("480726\n", "export"); !errors.Is(err, pin.ErrWrongPIN) {
		t.Fatalf("wrong PIN through the run: %v, want pin.ErrWrongPIN", err)
	}
	if n := wrongPINs(t, term); n != 1 {
		t.Fatalf("wrong PINs counted = %d, want 1", n)
	}

	if err := k.stop(); err != nil {
		t.FailNow()
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("control socket after the run: %v, want it gone", err)
	}
	direct := term.mustRun("", "status")
	if l := statusField(t, direct, "kiosk:"); !strings.Contains(l, "not running") {
		t.Errorf("kiosk line after the run = %q, want the file opened directly", l)
	}
	if steadyStatus(direct) != steadyStatus(live) {
		t.Errorf("status through the run and directly differ:\nthrough the run:\n%s\ndirectly:\n%s", live, direct)
	}

	// Three more wrong PINs without the kiosk, a fifth through it again:
	// the count is one, so even the right PIN now waits.
	for range pin.FreeTries - 2 {
		if _, _, err := term.runAll("480726\n", "export"); !errors.Is(err, pin.ErrWrongPIN) {
			t.Fatalf("wrong PIN, no kiosk: %v", err)
		}
	}
	k = startKiosk(t, term)
	k.scan(green+"\n36.6\n", 1)
	if _, _, err := term.runAll("480726\n", "export"); !errors.Is(err, pin.ErrWrongPIN) {
		t.Fatalf("fifth wrong PIN through the run: %v", err)
	}
	if _, _, err := term.runAll("480725\n", "export"); !errors.Is(err, pin.ErrLockedOut) || !strings.Contains(err.Error(), "wait") {
		t.Fatalf("right PIN after %d wrong ones, both ways: %v; want a wait", pin.FreeTries, err)
	}
	k.stop()
}

// TestStaleControlSocket: a socket file left by a run that crashed (nothing
// listens on it) neither confuses status, which opens the file, nor stops
// the next run, which replaces it and answers on it.
func TestStaleControlSocket(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "stale-1", verify.Green)
	sock := filepath.Join(term.dataDir, "control.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // as a crash leaves it
	ln.Close()
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("stale socket: %v, %v", fi, err)
	}

	out := term.mustRun("", "status")
	if l := statusField(t, out, "kiosk:"); !strings.Contains(l, "not running") {
		t.Fatalf("status beside a stale socket: kiosk line %q, want the file opened directly", l)
	}

	k := startKiosk(t, term)
	k.scan(green+"\n36.5\n", 1)
	out = term.mustRun("", "status")
	if l := statusField(t, out, "kiosk:"); !strings.Contains(l, "running;") {
		t.Fatalf("status with the run up over a stale socket: kiosk line %q, want the run answering", l)
	}
	if l := statusField(t, out, "entries:"); !strings.Contains(l, " 1 today") {
		t.Errorf("entries line = %q, want the run's one", l)
	}
	k.stop()
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("control socket after the run: %v, want it gone", err)
	}
}

// TestLockedAndNoKiosk: when another process holds the file and nothing
// answers on the socket, status gives the lock's error and says what to do.
func TestLockedAndNoKiosk(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	openStore(t, term) // held, as a `checkpoint sync` or an old build's run would
	_, err := term.run("", "status")
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "control.sock") || !strings.Contains(err.Error(), "systemctl stop") {
		t.Fatalf("status on a held file, no kiosk answering: %v; want ErrLocked with a hint", err)
	}
}

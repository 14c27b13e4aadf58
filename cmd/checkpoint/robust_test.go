package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/sys/unix"

	"yanma/cmd/checkpoint/internal/ui"
	"yanma/scanner/serial"
	"yanma/verify"
)

// runCaptured runs the command with the global flags given and returns
// stdout, stderr and its error.
func runCaptured(t *testing.T, stdin io.Reader, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	err := run(ctx, args, stdin, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestOverlongInputLine: a line over the input limit from a scanner gun
// (or a file piped in by mistake) is dropped with a warning, and the next
// person's code on the next line is still scanned; a long line under the
// limit is still judged too_large.
func TestOverlongInputLine(t *testing.T) {
	up := startUpstream(t)
	term := enrolledTerminal(t, up)
	green := issue(t, up, "long-1", verify.Green)

	stdin := io.MultiReader(
		strings.NewReader(strings.Repeat("A", 2_000_000)+"\n"),
		strings.NewReader(strings.Repeat("B", 70_000)+"\n"),
		strings.NewReader(green+"\n36.5\n"),
	)
	out, logs, err := runCaptured(t, stdin, "--data", term.dataDir, "--lang", "en",
		"run", "--offline", "--ui", "json", "--source", "stdin")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	evs := decided(t, out)
	if len(evs) != 2 || evs[0].Result.Reason != verify.ReasonTooLarge || evs[1].Decision.Verdict != verify.VerdictPass {
		t.Fatalf("want too_large for the 70 KB line, then the green code passed; got %+v\nlog:\n%s", evs, logs)
	}
	if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "overlong input line") {
		t.Fatalf("no warning logged for the dropped line:\n%s", logs)
	}
}

// TestReadInputLine: lines longer than the limit come back as long and are
// read to their end; the lines around them are intact; CR LF and a last
// line without an end work.
func TestReadInputLine(t *testing.T) {
	in := "ab\r\n" + strings.Repeat("x", 40) + "\n\n" + strings.Repeat("y", 9) + "\r\nlast" + "\n" + strings.Repeat("z", 50)
	br := bufio.NewReaderSize(strings.NewReader(in), 16) // smaller than the long lines
	type got struct {
		line string
		long bool
	}
	want := []got{{"ab", false}, {"", true}, {"", false}, {"", true}, {"last", false}, {"", true}}
	for i, w := range want {
		line, long, err := readInputLine(br, 8)
		if err != nil || line != w.line || long != w.long {
			t.Fatalf("line %d = %q long=%t err=%v, want %q long=%t", i, line, long, err, w.line, w.long)
		}
	}
	if _, _, err := readInputLine(br, 8); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last line: %v, want io.EOF", err)
	}
}

// TestLineInputReadError: a failing input (a terminal hung up) ends the
// lines with that error, not with a silent end of input.
func TestLineInputReadError(t *testing.T) {
	boom := errors.New("input/output error")
	ctx := context.Background()
	in := newLineInput(ctx, io.MultiReader(strings.NewReader("first\n"), iotest.ErrReader(boom)), slog.New(slog.DiscardHandler))
	if l, err := in.Line(ctx); l != "first" || err != nil {
		t.Fatalf("first line = %q, %v", l, err)
	}
	if _, err := in.Line(ctx); !errors.Is(err, boom) {
		t.Fatalf("after a read error: %v, want it", err)
	}
}

// TestImportSizeLimits: a trust list, a revocation feed or a trust root
// larger than the protocol allows is refused before it is parsed, with the
// limit named, and without reading an endless device whole.
func TestImportSizeLimits(t *testing.T) {
	stick := t.TempDir()
	bigFeed := filepath.Join(stick, "feed.jws")
	f, err := os.Create(bigFeed)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: one byte over the limit costs no disk.
	if err := f.Truncate(verify.MaxFeedSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		name  string
		stdin io.Reader
		args  []string
		want  string
	}{
		{"trust list from an endless device", nil, []string{"trust", "import", "/dev/zero"}, "larger than 8 MiB, the limit for a trust list"},
		{"trust list on stdin", strings.NewReader(strings.Repeat("a", verify.MaxTrustListSize+1)), []string{"trust", "import", "-"}, "larger than 8 MiB, the limit for a trust list"},
		{"trust root from an endless device", nil, []string{"trust", "pin", "/dev/zero"}, "larger than 64 KiB, the limit for a trust root"},
		{"revocation feed over 256 MiB", nil, []string{"revocations", "import", bigFeed}, "larger than 256 MiB, the limit for a revocation feed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "kiosk")
			_, _, err := runCaptured(t, tc.stdin, append([]string{"--data", data, "--lang", "en"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "refused, nothing changed") {
				t.Fatalf("err = %v, want it to say %q and that nothing changed", err, tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused file left a data directory behind: %v", err)
			}
		})
	}
}

// TestSignals: the first Ctrl-C or SIGTERM ends a command gracefully; a
// command blocked in a system call (opening a FIFO nobody writes) that
// cannot notice it ends at the second, by the signal's default action.
func TestSignals(t *testing.T) {
	child := func(t *testing.T, stdin io.Reader, args ...string) (*exec.Cmd, *os.File, <-chan error) {
		t.Helper()
		out, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { out.Close() })
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "YANMA_TEST_AS_CHECKPOINT=1")
		cmd.Stdin, cmd.Stdout = stdin, w
		err = cmd.Start()
		w.Close() // the child has its own copy
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill() // an error: it has exited already
		})
		return cmd, out, done
	}

	t.Run("first signal is graceful", func(t *testing.T) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pw.Close()
		cmd, stdout, done := child(t, pr, "--data", t.TempDir(), "--lang", "en", "--log-level", "error",
			"run", "--offline", "--ui", "json", "--source", "stdin")
		pr.Close()
		// The first status event: the command is running, signals are caught.
		if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
			t.Fatalf("no first event: %v", err)
		}
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, stdout)
		if err := <-done; err != nil {
			t.Fatalf("after one Ctrl-C the run did not end cleanly: %v", err)
		}
	})

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("blocked, second "+sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "root.jwk")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd, stdout, done := child(t, nil, "--data", filepath.Join(dir, "kiosk"), "trust", "pin", fifo)
			go io.Copy(io.Discard, stdout)
			// Opening the FIFO for writing without blocking succeeds only
			// once the command has it open for reading: from then on it
			// waits in a read no context reaches.
			var w *os.File
			for w == nil {
				f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
				switch {
				case err == nil:
					w = f
				case !errors.Is(err, syscall.ENXIO):
					t.Fatal(err)
				}
				select {
				case err := <-done:
					t.Fatalf("exited before reading the FIFO: %v", err)
				case <-time.After(10 * time.Millisecond):
				}
			}
			defer w.Close()

			// The first signal only cancels; every later one is a second.
			// The command must die of one of them, not be caught forever.
			giveUp := time.After(time.Minute) // a hang guard, not a timing claim
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			sent := 0
			for {
				if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
					t.Fatal(err)
				}
				sent++
				select {
				case err := <-done:
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						t.Fatalf("exit = %v, want death by %v", err, sig)
					}
					ws := ee.Sys().(syscall.WaitStatus)
					if !ws.Signaled() || ws.Signal() != sig {
						t.Fatalf("exit = %v, want death by %v", err, sig)
					}
					if sent < 2 {
						t.Fatalf("died of the first %v: that one must cancel gracefully", sig)
					}
					return
				case <-giveUp:
					t.Fatalf("still running after %d %v signals: they are all caught", sent, sig)
				case <-tick.C:
				}
			}
		})
	}
}

// TestDemoKeepRefusesUsedDir: `demo --keep DIR` on a directory with files
// (an earlier demo's) is refused and the files are left alone.
func TestDemoKeepRefusesUsedDir(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "upstream.db")
	if err := os.WriteFile(old, []byte("an earlier demo"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runCaptured(t, nil, "--lang", "en", "demo", "--keep", dir)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v, want a refusal naming %s as not empty", err, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("the directory changed: %v %v", entries, err)
	}
	if b, err := os.ReadFile(old); err != nil || string(b) != "an earlier demo" {
		t.Fatalf("the earlier file changed: %q %v", b, err)
	}
}

// TestFreshDir: a missing or an empty directory is fine for --keep; one
// with files, or a file, is not.
func TestFreshDir(t *testing.T) {
	base := t.TempDir()
	missing := filepath.Join(base, "new", "demo")
	if err := freshDir(missing); err != nil {
		t.Fatalf("missing dir: %v", err)
	}
	if st, err := os.Stat(missing); err != nil || !st.IsDir() {
		t.Fatalf("missing dir not made: %v", err)
	}
	if err := freshDir(missing); err != nil {
		t.Fatalf("empty dir: %v", err)
	}
	file := filepath.Join(base, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := freshDir(file); err == nil {
		t.Fatal("a file accepted as the demo directory")
	}
	if err := freshDir(base); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a directory with files: %v", err)
	}
}

// TestMalformedSaysCheckOnce: the verdict line of an unreadable code says
// "check manually" once, in both languages.
func TestMalformedSaysCheckOnce(t *testing.T) {
	ev := ui.Event{
		Kind:     ui.KindDecided,
		Result:   verify.Result{Reason: verify.ReasonMalformed},
		Decision: verify.Decision{Verdict: verify.VerdictDeny},
	}
	for lang, phrase := range map[string]string{"en": "check manually", "zh": "请人工核验"} {
		line := verdictLine(ev, lang)
		if n := strings.Count(line, phrase); n != 1 {
			t.Errorf("%s: %q says %q %d times, want once", lang, line, phrase, n)
		}
		if !strings.Contains(line, verify.ReasonMalformed.Message(lang)) {
			t.Errorf("%s: %q lacks the reason %q", lang, line, verify.ReasonMalformed.Message(lang))
		}
	}
}

// TestPlainStatusOneShortLine: with the upstream down the officer reads one
// short line in the chosen language, never the Go error chain.
func TestPlainStatusOneShortLine(t *testing.T) {
	chain := "pull trust list: upstream unavailable: Get \"http://10.0.0.1:8080/v1/trust-list\": dial tcp 10.0.0.1:8080: connect: connection refused\nand a second line"
	tests := []struct {
		lang string
		want string
	}{
		{"en", "status: offline · sync failed · to send 2\n"},
		{"zh", "状态：离线 · 同步失败 · 待上报 2\n"},
	}
	for _, tc := range tests {
		var out strings.Builder
		d := &plainDisplay{w: &out, lang: tc.lang}
		st := &ui.Status{Online: false, OutboxWaiting: 2, LastError: chain}
		d.Show(ui.Event{Kind: ui.KindStatus, Status: st})
		d.Show(ui.Event{Kind: ui.KindStatus, Status: st}) // unchanged: said once
		if out.String() != tc.want {
			t.Errorf("%s: wrote %q, want %q", tc.lang, out.String(), tc.want)
		}
	}
	var out strings.Builder
	d := &plainDisplay{w: &out, lang: "en"}
	d.Show(ui.Event{Kind: ui.KindStatus, Status: &ui.Status{Online: true, ClockWarning: true}})
	if want := "status: online · clock wrong · to send 0\n"; out.String() != want {
		t.Errorf("clock warning: wrote %q, want %q", out.String(), want)
	}
}

// TestGlobalFlagErrors: an empty --data and a bad language say what is
// wrong and where the value came from.
func TestGlobalFlagErrors(t *testing.T) {
	if _, _, err := runCaptured(t, nil, "--data", "", "status"); err == nil || err.Error() != "--data: empty path" {
		t.Errorf("--data \"\": %v, want --data: empty path", err)
	}
	t.Setenv("YANMA_DATA", t.TempDir())
	t.Setenv("YANMA_LANG", "xx")
	if _, _, err := runCaptured(t, nil, "status"); err == nil || !strings.HasPrefix(err.Error(), `$YANMA_LANG "xx"`) {
		t.Errorf("YANMA_LANG=xx: %v, want it named", err)
	}
	if _, _, err := runCaptured(t, nil, "--lang", "fr", "status"); err == nil || !strings.HasPrefix(err.Error(), `--lang "fr"`) {
		t.Errorf("--lang fr with YANMA_LANG set: %v, want --lang named", err)
	}
}

// TestPINNotEchoed: typed at a terminal (a real pseudo-terminal), the PIN
// is not echoed, and the terminal echoes again afterwards.
func TestPINNotEchoed(t *testing.T) {
	master, slave, err := serial.OpenPTY()
	if err != nil {
		t.Fatalf("pseudo-terminal: %v", err)
	}
	defer master.Close()
	tty, err := os.OpenFile(slave, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	echo := func() bool {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio.Lflag&unix.ECHO != 0
	}
	if !echo() {
		t.Fatal("the pseudo-terminal does not echo to begin with")
	}
	e := &env{stdin: tty, stderr: &bytes.Buffer{}}
	got := make(chan string, 1)
	go func() {
		p, err := e.readSecret(bufio.NewReader(tty))
		if err != nil {
			p = "error: " + err.Error()
		}
		got <- p
	}()
	for deadline := time.Now().Add(20 * time.Second); echo(); time.Sleep(time.Millisecond) { // bounds a hang; not a measurement
		if time.Now().After(deadline) {
			t.Fatal("echo never turned off")
		}
	}
	if _, err := master.WriteString("246810\n"); err != nil {
		t.Fatal(err)
	}
	if p := <-got; p != "246810" {
		t.Fatalf("read %q", p)
	}
	if !echo() {
		t.Fatal("echo not restored")
	}
	// With echo back, a marker comes back from the terminal; whatever it
	// echoed before comes first.
	if _, err := master.WriteString("MARK\n"); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 1)
	go func() {
		var b []byte
		buf := make([]byte, 256)
		for !bytes.Contains(b, []byte("MARK")) {
			n, err := master.Read(buf)
			if err != nil {
				break
			}
			b = append(b, buf[:n]...)
		}
		seen <- string(b)
	}()
	select {
	case s := <-seen:
		if strings.Contains(s, "246810") {
			t.Fatalf("the PIN was echoed: %q", s)
		}
	case <-time.After(20 * time.Second): // bounds a hang; not a measurement
		t.Fatal("the marker never came back")
	}
}

// TestHelpExitsZero: asking a command for its usage is not a mistake (exit
// 0, as Go's flag package and the upstream do); a wrong flag still is.
func TestHelpExitsZero(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"run", "decode", "camera-test", "verify", "trust", "revocations", "enroll", "sync", "status", "export", "pin", "demo"} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"--data", dir, cmd, "--help"}, strings.NewReader(""), &out, &errb); err != nil {
			t.Errorf("%s --help: %v", cmd, err)
		}
		if errb.Len()+out.Len() == 0 {
			t.Errorf("%s --help printed nothing", cmd)
		}
	}
	var ex exitError
	if err := run(context.Background(), []string{"--data", dir, "run", "--bogus"}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &ex) || ex.code != 2 {
		t.Errorf("run --bogus: %v, want exit status 2", err)
	}
}

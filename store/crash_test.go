package store

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"yanma/verify"
)

// crashChildEnv names the file the crash child records into; set only in
// the child process.
const crashChildEnv = "YANMA_STORE_CRASH_CHILD"

// TestCrashChild is the child of TestCrashRecord: it records entries and
// reports in a loop, printing each ID only after Record returned, until it
// is killed. Run alone it skips.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("the child of TestCrashRecord")
	}
	db, err := Open(path)
	if err != nil {
		fmt.Printf("error open %v\n", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		e := testEntry(time.Now())
		var r *Report
		if i%2 == 0 {
			r = testReport(verify.ReportFever)
			r.ID = fmt.Sprintf("rep-%d-%d", os.Getpid(), i)
		}
		got, err := db.Record(e, r)
		if err != nil {
			fmt.Printf("error record %v\n", err)
			os.Exit(2)
		}
		if r != nil {
			fmt.Printf("ok %s %s\n", got.ID, r.ID)
		} else {
			fmt.Printf("ok %s\n", got.ID)
		}
	}
}

// TestCrashRecord kills a recording child with SIGKILL at random moments,
// 50 times, on one file. After each kill the file opens, bbolt's check
// passes, and every entry and report whose ID the child printed (Record had
// returned: the officer saw the verdict) is there.
func TestCrashRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: 50 child processes")
	}
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	entries := map[string]bool{}
	reports := map[string]bool{}
	for round := range 50 {
		printed := runAndKill(t, path, time.Duration(rng.IntN(60))*time.Millisecond)
		for _, line := range printed {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "ok" {
				t.Fatalf("round %d: child said %q", round, line)
			}
			entries[f[1]] = true
			if len(f) == 3 {
				reports[f[2]] = true
			}
		}
		checkFile(t, path)
		db, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		have := map[string]bool{}
		if err := db.ForEachEntry(time.Time{}, time.Now().Add(time.Hour), func(e Entry) error {
			have[e.ID] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		pending, err := db.PendingReports(0)
		if err != nil {
			t.Fatal(err)
		}
		n, _, _ := db.OutboxStats()
		_ = db.Close()
		for id := range entries {
			if !have[id] {
				t.Fatalf("round %d: entry %s was acknowledged to the officer and is gone", round, id)
			}
		}
		haveRep := map[string]bool{}
		for _, r := range pending {
			haveRep[r.ID] = true
		}
		for id := range reports {
			if !haveRep[id] {
				t.Fatalf("round %d: report %s was recorded and is gone", round, id)
			}
		}
		if n != len(pending) {
			t.Fatalf("round %d: OutboxStats says %d, outbox holds %d", round, n, len(pending))
		}
	}
	if len(entries) == 0 {
		t.Fatal("the child never recorded anything: the test proved nothing")
	}
	t.Logf("%d entries and %d reports survived 50 kills", len(entries), len(reports))
}

// runAndKill starts the child, lets it record for about d after it is
// ready, kills it with SIGKILL and returns every line it printed.
func runAndKill(t *testing.T, path string, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var printed []string
	select {
	case l := <-lines:
		if l != "ready" {
			_ = cmd.Process.Kill()
			t.Fatalf("child: %q", l)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child never became ready")
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done // the pipe holds whatever was printed before the kill
	_ = cmd.Wait()
	close(lines)
	// Each line is one write(2) of under PIPE_BUF bytes, so a kill cannot
	// cut one: every line is whole.
	for l := range lines {
		if !strings.HasPrefix(l, "ok ") {
			t.Fatalf("child: %q", l)
		}
		printed = append(printed, l)
	}
	return printed
}

package store

import (
	"bufio"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/hex"
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
		printed := runChildAndKill(t, "^TestCrashChild$", crashChildEnv+"="+path, 0, time.Duration(rng.IntN(60))*time.Millisecond)
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

// runChildAndKill starts this test binary running test run with env set,
// waits until it is ready and has printed wait lines more, lets it work
// for d more, kills it with SIGKILL and returns every line it printed.
func runChildAndKill(t *testing.T, run, env string, wait int, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.count=1")
	cmd.Env = append(os.Environ(), env)
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
	for range wait {
		select {
		case l := <-lines:
			printed = append(printed, l)
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("child stopped printing")
		}
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

// crashApplyEnv names the file the apply child works on; its value is
// "path,seedhex" (the root's private key seed, which the parent pinned).
const crashApplyEnv = "YANMA_STORE_CRASH_APPLY"

// crashDelta is the delta from seq k-1 to k that the apply child signs: it
// revokes persons k.0 … k.n-1 with before = k, enough for a layer of its own.
func crashDelta(t testing.TB, root *authority, k uint64) string {
	const n = 12_000
	entries := make([]verify.RevocationEntry, n)
	for i := range entries {
		_, entries[i] = person(fmt.Sprintf("%d.%d", k, i), int64(k))
	}
	return root.feed(t, verify.RevocationFeed{From: k - 1, To: k, Entries: entries})
}

// TestCrashApplyChild is the child of TestCrashApply: it applies one
// delta after another, compacting every third, printing the seq after each
// apply returned, until it is killed.
func TestCrashApplyChild(t *testing.T) {
	env := os.Getenv(crashApplyEnv)
	if env == "" {
		t.Skip("the child of TestCrashApply")
	}
	path, seedHex, _ := strings.Cut(env, ",")
	seed, err := hex.DecodeString(seedHex)
	if err != nil {
		os.Exit(2)
	}
	root := authorityFromSeed(t, seed)
	db, err := Open(path)
	if err != nil {
		fmt.Printf("error open %v\n", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	for {
		k := db.RevocationSeq() + 1
		if _, err := db.ApplyRevocations(crashDelta(t, root, k), time.Now()); err != nil {
			fmt.Printf("error apply %v\n", err)
			os.Exit(2)
		}
		fmt.Printf("ok %d\n", k)
		if k%3 == 0 {
			if _, _, err := db.Compact(context.Background()); err != nil {
				fmt.Printf("error compact %v\n", err)
				os.Exit(2)
			}
		}
	}
}

// TestCrashApply kills a child applying revocation deltas and compacting
// the file, at random moments, 15 times. After each kill the file opens
// and passes bbolt's check, holds at least every delta the child saw
// applied, and each delta is there whole or not at all.
func TestCrashApply(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: 15 child processes")
	}
	if os.Getenv(crashApplyEnv) != "" || os.Getenv(crashChildEnv) != "" {
		t.Skip("in a child")
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := crand.Read(seed); err != nil {
		t.Fatal(err)
	}
	root := authorityFromSeed(t, seed)
	path := filepath.Join(t.TempDir(), "apply.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PinRoots(root.jwk()); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var acked uint64
	for round := range 15 {
		// Half the rounds let one more delta finish first, so that the
		// test makes progress however slow the machine (or -race) is.
		lines := runChildAndKill(t, "^TestCrashApplyChild$", crashApplyEnv+"="+path+","+hex.EncodeToString(seed),
			rng.IntN(2), time.Duration(rng.IntN(400))*time.Millisecond)
		for _, l := range lines {
			var k uint64
			if _, err := fmt.Sscanf(l, "ok %d", &k); err != nil {
				t.Fatalf("round %d: child said %q", round, l)
			}
			acked = max(acked, k)
		}
		checkFile(t, path)
		db, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		seq := db.RevocationSeq()
		if seq < acked {
			t.Fatalf("round %d: seq %d, but the child saw %d applied", round, seq, acked)
		}
		// Delta seq is whole (first, middle and last person), seq+1 absent.
		for _, i := range []int{0, 6000, 11_999} {
			if seq > 0 {
				p, _ := person(fmt.Sprintf("%d.%d", seq, i), 0)
				if b, ok, err := db.RevokedBefore(p); err != nil || !ok || b != int64(seq) {
					t.Fatalf("round %d: person %d of delta %d: %d, %v, %v", round, i, seq, b, ok, err)
				}
			}
			p, _ := person(fmt.Sprintf("%d.%d", seq+1, i), 0)
			if _, ok, _ := db.RevokedBefore(p); ok {
				t.Fatalf("round %d: person %d of delta %d present at seq %d", round, i, seq+1, seq)
			}
		}
		_ = db.Close()
	}
	if acked == 0 {
		t.Fatal("the child never applied a delta: the test proved nothing")
	}
	t.Logf("%d deltas applied across 15 kills", acked)
}

func authorityFromSeed(t testing.TB, seed []byte) *authority {
	t.Helper()
	s, err := verify.NewSigner("root-1", ed25519.NewKeyFromSeed(seed))
	if err != nil {
		t.Fatal(err)
	}
	return &authority{signer: s}
}

package sync

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yanma/store"
	"yanma/verify"
)

// The crash test's child: records entries with fever reports as fast as
// it can while its sync loop pushes them, printing "shown ID" once each
// entry is durable (the moment a terminal shows the verdict), until the
// parent kills it.
const (
	crashChildEnv = "YANMA_SYNC_CRASH_CHILD"
	crashDBEnv    = "YANMA_SYNC_CRASH_DB"
	crashURLEnv   = "YANMA_SYNC_CRASH_URL"
)

func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("the child of TestCrashSyncExactlyOnce")
	}
	db, err := store.Open(os.Getenv(crashDBEnv))
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	c := NewClient(os.Getenv(crashURLEnv), db, WithInterval(20*time.Millisecond),
		WithBackoff(2*time.Millisecond, 10*time.Millisecond), WithBatchSize(7))
	go func() { _ = c.Run(context.Background()) }()
	fmt.Println("ready")
	for {
		b := make([]byte, 12)
		_, _ = crand.Read(b)
		id := hex.EncodeToString(b)
		now := time.Now()
		e := store.Entry{ID: id, Time: now, Site: verify.SiteRoad, Issuer: "450000", Person: verify.HashPerson("450000", "crash").String(),
			Color: verify.Green, Valid: true, Reason: verify.ReasonOK, TemperatureC: 38.4, ThresholdC: 37.3,
			Verdict: verify.VerdictDeny, Report: verify.ReportFever}
		r := &store.Report{ID: "R" + id, Kind: verify.ReportFever, Time: now, Site: verify.SiteRoad,
			Issuer: "450000", Sub: "crash", Color: verify.Green, TemperatureC: 38.4}
		if _, err := db.Record(e, r); err != nil {
			fmt.Println("record failed:", err)
			os.Exit(3)
		}
		fmt.Println("shown", id)
		c.Kick()
	}
}

// SIGKILL at random moments while entries are recorded and pushed: after
// each restart every shown entry is there, and once synced the upstream has
// applied every report exactly once.
func TestCrashSyncExactlyOnce(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	kills := 50
	if testing.Short() {
		kills = 10
	}
	ctx := context.Background()
	up := newUpstream(t)
	issue(t, up, "crash", verify.Green)
	dbPath := filepath.Join(t.TempDir(), "terminal.db")
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	code, err := up.NewEnrollmentCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := NewClient(up.URL(), db).Enroll(ctx, code); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	shown := map[string]bool{}
	for k := range kills {
		lines := runAndKill(t, dbPath, up.URL(), time.Duration(rand.N(150))*time.Millisecond)
		for _, l := range lines {
			if id, ok := strings.CutPrefix(l, "shown "); ok {
				shown[id] = true
			} else if l != "ready" {
				t.Fatalf("child %d: %s", k, l)
			}
		}
		db, err := store.Open(dbPath)
		if err != nil {
			t.Fatalf("open after kill %d: %v", k, err)
		}
		have := entryIDs(t, db)
		_ = db.Close()
		for id := range shown {
			if !have[id] {
				t.Fatalf("after kill %d: entry %s was shown but is gone", k, id)
			}
		}
	}

	db, err = store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := NewClient(up.URL(), db).SyncOnce(ctx); err != nil {
		t.Fatalf("final sync: %v", err)
	}
	if n := outbox(t, db); n != 0 {
		t.Fatalf("outbox after the final sync: %d", n)
	}
	have := entryIDs(t, db)
	for id := range have {
		if _, found, err := up.ReportOutcome("R" + id); err != nil || !found {
			t.Fatalf("report of entry %s not upstream (%v)", id, err)
		}
	}
	n, _ := up.ReportCount()
	st := up.Stats()
	if n != len(have) || st.Applied != uint64(len(have)) {
		t.Fatalf("%d entries recorded, %d reports upstream, %d applications: want all equal", len(have), n, st.Applied)
	}
	if col, _, _ := up.Person("crash"); col != verify.Yellow {
		t.Fatalf("person after the fever reports: %s", col)
	}
	if head, _ := up.RevocationHead(); head != 1 {
		t.Fatalf("revocations: %d, want 1 (the first fever only)", head)
	}
	t.Logf("%d kills, %d entries (%d shown before a kill), %d reports received with repeats, %d applied",
		kills, len(have), len(shown), st.Received, st.Applied)
}

// runAndKill starts the child, lets it work for d after it is ready, kills
// it with SIGKILL and returns the complete lines it printed.
func runAndKill(t *testing.T, dbPath, url string, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDBEnv+"="+dbPath, crashURLEnv+"="+url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var got []string
	select {
	case l, ok := <-lines:
		if ok {
			got = append(got, l)
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("child never became ready")
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
collect:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break collect
			}
			got = append(got, l)
		case <-timer.C:
			_ = cmd.Process.Kill() // SIGKILL
			timer.Reset(time.Hour)
		}
	}
	_ = cmd.Wait()
	// Each line went out in one write(2) of less than PIPE_BUF bytes,
	// which a kill cannot split: every line here is whole.
	return got
}

func entryIDs(t *testing.T, db *store.DB) map[string]bool {
	t.Helper()
	es, err := db.Entries(time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]bool, len(es))
	for _, e := range es {
		m[e.ID] = true
	}
	return m
}

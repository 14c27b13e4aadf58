package sync_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"yanma/store"
	ysync "yanma/sync"
	"yanma/sync/upstream"
	"yanma/verify"
)

// A terminal enrolls with the reference upstream, pulls, records a fever
// report and pushes it; the next pull revokes the person's old code.
func Example() {
	dir, err := os.MkdirTemp("", "yanma-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// The upstream, in-process on a loopback port.
	up, err := upstream.Open(filepath.Join(dir, "upstream.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer up.Close()
	srv := httptest.NewServer(up.Handler())
	defer srv.Close()
	code, _ := up.NewEnrollmentCode(ctx)
	person, _ := up.Issue(ctx, upstream.PersonRequest{Sub: "p-1", Name: "李四", ID: "450103199001011234"})

	// The terminal: its own file, enrolled with the one-time code.
	db, err := store.Open(filepath.Join(dir, "terminal.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	c := ysync.NewClient(srv.URL, db)
	if err := c.Enroll(ctx, code); err != nil {
		log.Fatal(err)
	}
	if err := c.SyncOnce(ctx); err != nil {
		log.Fatal(err)
	}
	v := verify.New(db, db, db)
	fmt.Println("before:", v.Verify(person.Credential).Reason, v.Verify(person.Credential).Color)

	// 38.2 °C at the gate: deny, record, report.
	now := time.Now()
	_, err = db.Record(store.Entry{Time: now, Site: verify.SiteMall, Verdict: verify.VerdictDeny, Reason: verify.ReasonOK},
		&store.Report{Kind: verify.ReportFever, Issuer: person.Claims.Iss, Sub: person.Claims.Sub, JTI: person.Claims.JTI,
			Color: verify.Green, TemperatureC: 38.2})
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Push(ctx); err != nil { // Run does this on its own after Kick
		log.Fatal(err)
	}
	col, _, _ := up.Person("p-1")
	fmt.Println("upstream:", col, "waiting:", c.Status().OutboxWaiting)

	if err := c.Pull(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("old code:", v.Verify(person.Credential).Reason)
	fresh, _ := up.Issue(ctx, upstream.PersonRequest{Sub: "p-1"})
	fmt.Println("fresh code:", v.Verify(fresh.Credential).Reason, v.Verify(fresh.Credential).Color)
	// Output:
	// before: ok green
	// upstream: yellow waiting: 0
	// old code: revoked
	// fresh code: ok yellow
}

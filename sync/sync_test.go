package sync

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"yanma/store"
	"yanma/sync/internal/faultproxy"
	"yanma/sync/wire"
	"yanma/verify"
)

// The whole loop through the client: enroll, pull, a fever report pushed,
// the person yellow upstream, the old code revoked after the next pull, the
// fresh code yellow.
func TestFeverTurnsYellowAndRevokes(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	old := issue(t, up, "p-1001", verify.Green)
	db, c := enrolled(t, up, up.URL())

	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if r := verifyText(db, old.Credential); !r.Valid || r.Color != verify.Green {
		t.Fatalf("before the report: valid %v reason %s color %s, want a valid green", r.Valid, r.Reason, r.Color)
	}
	feverReport(t, db, old, time.Now())
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if n := outbox(t, db); n != 0 {
		t.Fatalf("outbox after sync: %d waiting, want 0", n)
	}
	col, _, err := up.Person("p-1001")
	if err != nil || col != verify.Yellow {
		t.Fatalf("upstream colour: %s (%v), want yellow", col, err)
	}
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull: %v", err)
	}
	if r := verifyText(db, old.Credential); r.Valid || r.Reason != verify.ReasonRevoked {
		t.Fatalf("old code after the pull: valid %v reason %s, want revoked", r.Valid, r.Reason)
	}
	fresh := issue(t, up, "p-1001", verify.Green)
	if r := verifyText(db, fresh.Credential); !r.Valid || r.Color != verify.Yellow {
		t.Fatalf("fresh code: valid %v reason %s color %s, want a valid yellow", r.Valid, r.Reason, r.Color)
	}
	st := c.Status()
	if !st.Online || st.LastError != nil || st.LastPull.IsZero() || st.OutboxWaiting != 0 {
		t.Fatalf("status: %+v", st)
	}
}

// A report whose acknowledgement is lost is sent again and applied once.
func TestReportAppliedOnce(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	proxy := newProxy(t, up)
	is := issue(t, up, "p-2002", verify.Green)
	db, c := enrolled(t, up, proxy.URL())
	rep := feverReport(t, db, is, time.Now())

	proxy.Inject(faultproxy.Fault{Kind: faultproxy.Drop, Path: wire.PathReports, Times: 1})
	if err := c.Push(ctx); !errors.Is(err, ErrUnavailable) || !IsRetryable(err) {
		t.Fatalf("push with the answer lost: %v, want a retryable ErrUnavailable", err)
	}
	if n := outbox(t, db); n != 1 {
		t.Fatalf("outbox after a lost answer: %d, want 1", n)
	}
	if err := c.Push(ctx); err != nil {
		t.Fatalf("push again: %v", err)
	}
	if n := outbox(t, db); n != 0 {
		t.Fatalf("outbox: %d, want 0", n)
	}
	n, err := up.ReportCount()
	if err != nil || n != 1 {
		t.Fatalf("reports upstream: %d (%v), want 1", n, err)
	}
	if head, _ := up.RevocationHead(); head != 1 {
		t.Fatalf("revocation head: %d, want 1 (the fever applied once)", head)
	}
	if out, found, _ := up.ReportOutcome(rep.ID); !found || out != "turned_yellow" {
		t.Fatalf("outcome of %s: %q %v", rep.ID, out, found)
	}
}

// Tokens: an unenrolled terminal, a forged token, a replayed token and a
// revoked device are refused, each with its own error.
func TestDeviceTokenRefused(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	db, c := enrolled(t, up, up.URL())
	id, key, err := db.Device()
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519Key(t)
	now := time.Now()
	good, err := deviceToken(id, key, now)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := deviceToken(id, otherKey, now)
	unknown, _ := deviceToken("dev-nobody", otherKey, now)
	stale, _ := deviceToken(id, key, now.Add(-time.Hour))

	post := func(tok string) error {
		r, err := c.do(ctx, "push", "POST", wire.PathReports, map[string][]string{"Authorization": {"Bearer " + tok}}, []byte(`{"reports":[]}`), maxJSONBody)
		if err != nil {
			return err
		}
		if r.status != 200 {
			return statusError("push", r)
		}
		return nil
	}
	if err := post(good); err != nil {
		t.Fatalf("good token: %v", err)
	}
	tests := []struct {
		name     string
		token    string
		want     error
		wantCode string
	}{
		{"replayed", good, ErrUnauthorized, wire.CodeReplay},
		{"forged signature", forged, ErrUnauthorized, wire.CodeUnauthorized},
		{"unknown device", unknown, ErrUnknownDevice, wire.CodeUnknownDevice},
		{"iat an hour ago", stale, ErrUnauthorized, wire.CodeUnauthorized},
		{"not a JWT", "abc.def.ghi", ErrUnauthorized, wire.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := post(tt.token)
			var e *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("got %v, want %v with code %s", err, tt.want, tt.wantCode)
			}
		})
	}

	t.Run("not enrolled", func(t *testing.T) {
		tdb := newTerminal(t)
		fresh := NewClient(up.URL(), tdb)
		if err := fresh.Push(ctx); err != nil {
			t.Fatalf("push of an empty outbox, unenrolled: %v", err)
		}
		record(t, tdb, issue(t, up, "p-4004", verify.Green), verify.ReportRedSighting, time.Now())
		if err := fresh.Push(ctx); !errors.Is(err, store.ErrNotEnrolled) || IsRetryable(err) {
			t.Fatalf("push unenrolled: %v, want ErrNotEnrolled, not retryable", err)
		}
	})
	t.Run("revoked device", func(t *testing.T) {
		if err := up.RevokeDevice(ctx, id); err != nil {
			t.Fatal(err)
		}
		is := issue(t, up, "p-3003", verify.Green)
		feverReport(t, db, is, time.Now())
		err := c.Push(ctx)
		if !errors.Is(err, ErrDeviceRevoked) || IsRetryable(err) {
			t.Fatalf("push revoked: %v, want ErrDeviceRevoked, not retryable", err)
		}
		if n := outbox(t, db); n != 1 {
			t.Fatalf("outbox: %d, want the report kept", n)
		}
	})
}

func TestEnrollmentCodeOneTime(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	code, err := up.NewEnrollmentCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a := NewClient(up.URL(), newTerminal(t))
	if err := a.Enroll(ctx, code); err != nil {
		t.Fatalf("first enrollment: %v", err)
	}
	tests := []struct {
		name string
		code string
	}{
		{"used", code},
		{"unknown", "AAAA-BBBB-CCCC"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newTerminal(t)
			b := NewClient(up.URL(), db)
			if err := b.Enroll(ctx, tt.code); !errors.Is(err, ErrEnrollmentCode) || IsRetryable(err) {
				t.Fatalf("enroll: %v, want ErrEnrollmentCode", err)
			}
			if _, _, err := db.Device(); !errors.Is(err, store.ErrNotEnrolled) {
				t.Fatalf("device after a refused enrollment: %v, want ErrNotEnrolled", err)
			}
			if _, err := db.Roots(); !errors.Is(err, store.ErrNotPinned) {
				t.Fatalf("roots after a refused enrollment: %v, want ErrNotPinned", err)
			}
		})
	}
	t.Run("typed loosely", func(t *testing.T) {
		code, err := up.NewEnrollmentCode(ctx)
		if err != nil {
			t.Fatal(err)
		}
		loose := " " + strings.ToLower(strings.ReplaceAll(code, "-", " ")) + " "
		if err := NewClient(up.URL(), newTerminal(t)).Enroll(ctx, loose); err != nil {
			t.Fatalf("enroll with %q: %v", loose, err)
		}
	})
}

// A root rotation over the air, through the real upstream on loopback: a
// terminal that syncs during the announcement pins the next root, follows
// the rotation and then trusts the new root alone; one that stayed offline
// through the whole announcement refuses the new root's lists (keeping the
// list it holds, so it goes on verifying) until it is enrolled again.
func TestRootRotationOverTheAir(t *testing.T) {
	ctx := context.Background()
	up := newUpstream(t)
	old := up.RootJWK()
	db, c := enrolled(t, up, up.URL())
	away, awayC := enrolled(t, up, up.URL())
	for _, cl := range []*Client{c, awayC} {
		if err := cl.Pull(ctx); err != nil {
			t.Fatalf("pull: %v", err)
		}
	}
	before := issue(t, up, "p-before", verify.Green)

	next, err := up.PrepareRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull during the announcement: %v", err)
	}
	if roots, _ := db.Roots(); len(roots) != 2 || roots[0] != old || roots[1] != next {
		t.Fatalf("roots during the announcement: %+v", roots)
	}

	if _, err := up.RotateRoot(ctx); err != nil {
		t.Fatal(err)
	}
	after := issue(t, up, "p-after", verify.Green)
	if err := up.SetColor(ctx, "p-before", verify.Red, "test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Pull(ctx); err != nil {
		t.Fatalf("pull after the rotation: %v", err)
	}
	if roots, _ := db.Roots(); len(roots) != 1 || roots[0] != next {
		t.Fatalf("roots after the rotation: %+v, want the new root alone", roots)
	}
	if r := verifyText(db, after.Credential); !r.Valid {
		t.Fatalf("code issued after the rotation: %s", r.Reason)
	}
	if r := verifyText(db, before.Credential); r.Valid || r.Reason != verify.ReasonRevoked {
		t.Fatalf("code revoked after the rotation (feed from the new root): valid %v, %s", r.Valid, r.Reason)
	}

	seq := away.TrustSeq()
	if err := awayC.Pull(ctx); !errors.Is(err, verify.ErrBadSignature) {
		t.Fatalf("pull by a terminal that missed the announcement: %v, want ErrBadSignature", err)
	}
	if away.TrustSeq() != seq {
		t.Fatal("a refused list replaced the one held")
	}
	if r := verifyText(away, before.Credential); !r.Valid {
		t.Fatalf("the terminal left behind stopped verifying: %s", r.Reason)
	}
	code, err := up.NewEnrollmentCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := awayC.Enroll(ctx, code); err != nil {
		t.Fatal(err)
	}
	if err := awayC.Pull(ctx); err != nil {
		t.Fatalf("pull after enrolling again: %v", err)
	}
	if r := verifyText(away, after.Credential); !r.Valid {
		t.Fatalf("after enrolling again: %s", r.Reason)
	}
}

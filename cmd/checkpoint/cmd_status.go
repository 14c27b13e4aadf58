package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"yanma/store"
)

// cmdStatus tells the installer what the terminal holds and whether it can work.
//
// While `checkpoint run` holds the file (all day on a kiosk), the running
// kiosk answers on its control socket with the same text (kioskOrFile).
func cmdStatus(ctx context.Context, e *env, args []string) error {
	if len(args) != 0 {
		fmt.Fprintln(e.stderr, "usage: checkpoint status")
		return exitError{2}
	}
	kiosk := e.controlClient()
	return e.kioskOrFile(func() error {
		text, err := kiosk.status(ctx)
		if err != nil {
			return err
		}
		return e.printKioskStatus(text)
	}, nil, func(db *store.DB) error {
		if err := e.writeStatus(e.stdout, db); err != nil {
			return err
		}
		// We hold the file's lock, so no `checkpoint run` does.
		fmt.Fprintf(e.stdout, "kiosk:        not running (%s opened directly)\n", filepath.Base(e.dbPath()))
		return nil
	})
}

// printKioskStatus prints the status text a running kiosk sent, and says
// where it came from: that the kiosk answered is itself what an installer
// checks after starting the service.
func (e *env) printKioskStatus(text []byte) error {
	if _, err := e.stdout.Write(text); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	fmt.Fprintf(e.stdout, "kiosk:        running; answered on %s\n", e.controlPath())
	return nil
}

// writeStatus writes the status text from an open store: `checkpoint
// status` calls it on the file it opened, and a running kiosk on its own
// handle when asked over the control socket, so both print the same.
func (e *env) writeStatus(w io.Writer, db *store.DB) error {
	now := e.now()
	fmt.Fprintf(w, "data:         %s\n", e.dbPath())
	if u := e.upstreamURL(); u != "" {
		fmt.Fprintf(w, "upstream:     %s\n", u)
	} else {
		fmt.Fprintf(w, "upstream:     none (offline terminal)\n")
	}
	switch id, _, err := db.Device(); {
	case errors.Is(err, store.ErrNotEnrolled):
		fmt.Fprintf(w, "device:       not enrolled\n")
	case err != nil:
		fmt.Fprintf(w, "device:       error: %v\n", err)
	default:
		fmt.Fprintf(w, "device:       %s\n", id)
	}
	roots, err := db.Roots()
	switch {
	case errors.Is(err, store.ErrNotPinned):
		fmt.Fprintf(w, "trust root:   NOT PINNED — run checkpoint trust pin or enroll\n")
	case err != nil:
		fmt.Fprintf(w, "trust root:   error: %v\n", err)
	default:
		for i, r := range roots {
			label := "trust root:  " // the root in force
			if i > 0 {
				label = "next root:   " // pinned ahead of a root rotation
			}
			fmt.Fprintf(w, "%s %s (%s, kid %s)\n", label, r.Thumbprint(), r.Alg, r.Kid) // kid: what `upstream root` shows
		}
	}
	st := db.SyncStatus()
	if tl, err := db.Trust(); err == nil {
		exp := time.Unix(tl.Exp, 0)
		state := "current"
		if now.After(exp) {
			state = "EXPIRED"
		}
		fmt.Fprintf(w, "trust list:   seq %d, %s, %s until %s, as of %s\n", tl.Seq, countOf(len(tl.Issuers), "issuer", "issuers"), state, exp.UTC().Format(time.RFC3339), ago(now, st.TrustAsOf))
	} else {
		fmt.Fprintf(w, "trust list:   none — codes cannot be verified\n")
	}
	if st.RevocationsAsOf.IsZero() {
		fmt.Fprintf(w, "revocations:  none applied yet\n")
	} else {
		fmt.Fprintf(w, "revocations:  seq %d, as of %s\n", db.RevocationSeq(), ago(now, st.RevocationsAsOf))
	}
	n, oldest, err := db.OutboxStats()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if n == 0 {
		fmt.Fprintf(w, "outbox:       empty\n")
	} else {
		fmt.Fprintf(w, "outbox:       %d reports waiting, oldest %s\n", n, ago(now, oldest))
	}
	if err := writeEntriesToday(w, db, now); err != nil {
		return err
	}
	if st.ClockMeasured.IsZero() {
		fmt.Fprintf(w, "clock:        never compared with the upstream\n")
	} else {
		fmt.Fprintf(w, "clock:        upstream minus ours %s, measured %s\n", st.ClockOffset.Round(time.Millisecond), ago(now, st.ClockMeasured))
	}
	return nil
}

// writeEntriesToday says how many entries were recorded since midnight and
// when the last one was: the installer sees that the kiosk records. The
// time of day, not an age, so that two readings compare equal.
func writeEntriesToday(w io.Writer, db *store.DB, now time.Time) error {
	y, m, d := now.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	var n int
	var last time.Time
	err := db.ForEachEntry(midnight, midnight.AddDate(0, 0, 1), func(en store.Entry) error {
		n++
		last = en.Time
		return nil
	})
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if n == 0 {
		fmt.Fprintf(w, "entries:      none today\n")
	} else {
		fmt.Fprintf(w, "entries:      %d today, the last at %s\n", n, last.In(now.Location()).Format(time.TimeOnly))
	}
	return nil
}

// countOf says n things in English: "1 entry", "2 entries".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ago says how long before now t was, for people.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		return fmt.Sprintf("%s in the future (clock?)", -d)
	}
	return d.String() + " ago"
}

func unixTime(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }

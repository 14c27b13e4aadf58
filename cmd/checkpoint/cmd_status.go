package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"yanma/store"
)

// cmdStatus tells the installer what the terminal holds and whether it can work.
func cmdStatus(ctx context.Context, e *env, args []string) error {
	if len(args) != 0 {
		fmt.Fprintln(e.stderr, "usage: checkpoint status")
		return exitError{2}
	}
	db, err := e.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	now := e.now()
	w := e.stdout
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
			fmt.Fprintf(w, "%s %s (%s)\n", label, r.Thumbprint(), r.Alg)
		}
	}
	st := db.SyncStatus()
	if tl, err := db.Trust(); err == nil {
		exp := time.Unix(tl.Exp, 0)
		state := "current"
		if now.After(exp) {
			state = "EXPIRED"
		}
		fmt.Fprintf(w, "trust list:   seq %d, %d issuers, %s until %s, as of %s\n", tl.Seq, len(tl.Issuers), state, exp.UTC().Format(time.RFC3339), ago(now, st.TrustAsOf))
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
	if st.ClockMeasured.IsZero() {
		fmt.Fprintf(w, "clock:        never compared with the upstream\n")
	} else {
		fmt.Fprintf(w, "clock:        upstream minus ours %s, measured %s\n", st.ClockOffset.Round(time.Millisecond), ago(now, st.ClockMeasured))
	}
	return nil
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

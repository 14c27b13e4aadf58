package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"yanma/verify"
)

// cmdVerify verifies one QR text offline and prints the result. It exits 1
// when the code is not valid, so scripts can test it.
func cmdVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	at := fs.String("at", "", "verify as of this RFC 3339 time instead of now")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	acceptStale := fs.Bool("accept-stale", false, "let a code pass with a warning when the data is older than the policy allows")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: checkpoint verify [--at RFC3339] [--json] [TEXT | -]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return exitError{2}
	}
	text := "-"
	if fs.NArg() == 1 {
		text = fs.Arg(0)
	}
	if text == "-" {
		// One QR text, as a scanner gun types it: the first line. Read one
		// byte past the limit so too_large is still reported as such.
		line, err := bufio.NewReaderSize(io.LimitReader(e.stdin, verify.MaxQRText*4), verify.MaxQRText*4).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read QR text: %w", err)
		}
		text = strings.TrimRight(line, "\r\n")
	}
	now := e.now
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("--at: %w", err)
		}
		now = func() time.Time { return t }
	}
	db, err := e.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	v := verify.New(db, db, db, verify.WithClock(now), verify.WithAcceptStaleData(*acceptStale))
	res := v.Verify(text)
	if *asJSON {
		out := struct {
			verify.Result
			Message string `json:"message"`
		}{res, res.Reason.Message(e.lang)}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(e.stdout, resultLine(res, e.lang))
	}
	if !res.Valid {
		return exitError{1}
	}
	return nil
}

// resultLine is the one-line human form of a verification.
func resultLine(r verify.Result, lang string) string {
	var b strings.Builder
	if r.Valid {
		b.WriteString("valid")
	} else {
		b.WriteString("INVALID")
	}
	fmt.Fprintf(&b, " reason=%s", r.Reason)
	if r.Color != "" {
		fmt.Fprintf(&b, " color=%s", r.Color)
	}
	if r.Name != "" || r.IDMasked != "" {
		fmt.Fprintf(&b, " name=%s id=%s", r.Name, r.IDMasked)
	}
	if r.IssuerName != "" {
		fmt.Fprintf(&b, " issuer=%q", r.IssuerName)
	} else if r.Issuer != "" {
		fmt.Fprintf(&b, " iss=%s", r.Issuer)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, " warning=%s", w)
	}
	fmt.Fprintf(&b, " — %s", r.Reason.Message(lang))
	return b.String()
}

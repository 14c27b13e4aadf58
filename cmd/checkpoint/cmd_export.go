package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/export"
	"yanma/cmd/checkpoint/internal/pin"
)

// cmdExport writes the entries as CSV or XLSX for a supervisor, behind the
// operator PIN, and prints the daily summary.
func cmdExport(ctx context.Context, e *env, args []string) error {
	fset := flag.NewFlagSet("export", flag.ContinueOnError)
	fset.SetOutput(e.stderr)
	format := fset.String("format", "csv", "csv or xlsx")
	from := fset.String("from", "", "first day (2020-02-10) or RFC 3339 time; default: everything kept")
	to := fset.String("to", "", "last day, inclusive (2020-02-16) or RFC 3339 time")
	colors := fset.String("color", "", "only these colours, comma-separated (red,yellow)")
	sites := fset.String("site", "", "only these sites, comma-separated")
	out := fset.String("out", "", "write to this file (required for xlsx; default for csv: standard output)")
	fset.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: checkpoint export [--format csv|xlsx] [--from DAY] [--to DAY] [--color C,…] [--site S,…] [--out FILE]\nThe operator PIN is read from the first line of standard input.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil || fset.NArg() != 0 {
		return exitError{2}
	}
	if *format != "csv" && *format != "xlsx" {
		return fmt.Errorf("--format %q: want csv or xlsx", *format)
	}
	if *format == "xlsx" && *out == "" {
		return errors.New("--format xlsx needs --out FILE")
	}
	var f export.Filter
	var err error
	if *from != "" {
		if f.From, err = export.ParseDay(*from, time.Local); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if *to != "" {
		if f.To, err = export.ParseDayEnd(*to, time.Local); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if f.Colors, err = export.ParseColors(*colors); err != nil {
		return fmt.Errorf("--color: %w", err)
	}
	if f.Sites, err = export.ParseSites(*sites); err != nil {
		return fmt.Errorf("--site: %w", err)
	}

	in := bufio.NewReader(e.stdin)
	if err := e.checkPIN(in); err != nil {
		return err
	}
	db, err := e.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	hi := f.To
	if hi.IsZero() {
		hi = e.now().Add(24 * time.Hour)
	}
	entries, err := db.Entries(f.From, hi)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	entries = export.Apply(entries, f)

	cfg, err := assets.DefaultConfig()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	ent, _ := cfg.Profile("enterprise")
	o := export.Options{Lang: e.lang, LateAfter: ent.LateAfter}

	w, summary := e.stdout, e.stderr
	var file *os.File
	if *out != "" {
		if file, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer file.Close()
		w, summary = file, e.stdout
	}
	if *format == "xlsx" {
		err = o.XLSX(w, entries)
	} else {
		err = o.CSV(w, entries)
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if file != nil {
		fmt.Fprintf(summary, "%d entries written to %s\n", len(entries), *out)
	}
	return export.WriteSummary(summary, export.Summarize(entries, time.Local), e.lang)
}

// pinFile holds the operator PIN's Argon2id hash.
func (e *env) pinFile() string { return filepath.Join(e.dataDir, "operator.pin") }

// checkPIN asks for the operator PIN (one line of in) and checks it. A
// terminal with no PIN set refuses: export and settings are never open.
func (e *env) checkPIN(in *bufio.Reader) error {
	h, err := os.ReadFile(e.pinFile())
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("no operator PIN set: run checkpoint pin set first")
	}
	if err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	fmt.Fprint(e.stderr, "operator PIN: ")
	typed, err := readSecretLine(in)
	if err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	g := pin.NewGuard(strings.TrimSpace(string(h)), e.now)
	// The count of wrong PINs lives beside the hash: every export is a new
	// process, and a count in memory would start again with each.
	if err := g.KeepIn(e.pinFile() + ".tries"); err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	if err := g.Verify(typed); err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	return nil
}

func readSecretLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no PIN given on standard input")
	}
	return strings.TrimSpace(line), nil
}

// cmdPIN sets or changes the operator PIN: `pin set` reads the current PIN
// (when one is set) and then the new one, a line each, from standard input.
func cmdPIN(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 || args[0] != "set" {
		fmt.Fprintln(e.stderr, "usage: checkpoint pin set   (current PIN if one is set, then the new PIN, one line each on standard input)")
		return exitError{2}
	}
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	in := bufio.NewReader(e.stdin)
	if _, err := os.Stat(e.pinFile()); err == nil {
		if err := e.checkPIN(in); err != nil {
			return err
		}
	}
	fmt.Fprint(e.stderr, "new operator PIN (6–12 digits): ")
	p, err := readSecretLine(in)
	if err != nil {
		return fmt.Errorf("pin set: %w", err)
	}
	h, err := pin.Hash(p)
	if err != nil {
		return fmt.Errorf("pin set: %w", err)
	}
	if err := pin.SaveHash(e.pinFile(), h); err != nil {
		return fmt.Errorf("pin set: %w", err)
	}
	fmt.Fprintln(e.stdout, "operator PIN set")
	return nil
}

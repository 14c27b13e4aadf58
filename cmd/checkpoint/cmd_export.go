package main

import (
	"bufio"
	"bytes"
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

	"golang.org/x/sys/unix"

	"yanma/assets"
	"yanma/cmd/checkpoint/internal/export"
	"yanma/cmd/checkpoint/internal/pin"
	"yanma/store"
)

// cmdExport writes the entries as CSV or XLSX for a supervisor, behind the
// operator PIN, and prints the daily summary.
//
// The flags are checked before the PIN is asked for. While `checkpoint run`
// holds the file, the running kiosk checks the PIN and writes the export
// (control.go); the PIN is then checked there only, so that a wrong one is
// counted once, in the same file either way.
func cmdExport(ctx context.Context, e *env, args []string) error {
	job, out, err := parseExportFlags(e, args)
	if err != nil {
		return err
	}
	in := bufio.NewReader(e.stdin)
	typed, err := e.askPIN(in)
	if err != nil {
		return err
	}
	job.PIN = typed
	kiosk := e.controlClient()
	return e.kioskOrFile(func() error {
		res, err := kiosk.export(ctx, job)
		if err != nil {
			return err
		}
		return e.deliverExport(out, res.produce)
	}, func() error {
		return e.verifyPIN(typed) // only when this process reads the file
	}, func(db *store.DB) error {
		return e.deliverExport(out, func(w, summary io.Writer) (int, error) {
			return e.produceExport(ctx, db, job, w, summary)
		})
	})
}

// exportJob is what an export is asked for, flags checked: what
// `checkpoint export` sends a running kiosk over the control socket.
type exportJob struct {
	PIN    string        `json:"pin"`
	Format string        `json:"format"` // csv or xlsx
	Filter export.Filter `json:"filter"` // times already absolute: the client's --from/--to days
	Lang   string        `json:"lang"`   // of the headers and the summary
}

// check refuses what parseExportFlags would have refused, for a job that
// came over the socket.
func (j exportJob) check() error {
	if j.Format != "csv" && j.Format != "xlsx" {
		return fmt.Errorf("format %q: want csv or xlsx", j.Format)
	}
	if j.Lang != "zh" && j.Lang != "en" {
		return fmt.Errorf("lang %q: want zh or en", j.Lang)
	}
	return nil
}

// parseExportFlags reads and checks export's flags, all before the PIN is
// asked for: a supervisor who typed --format pdf learns it at once. out is
// --out ("" for standard output).
func parseExportFlags(e *env, args []string) (job exportJob, out string, err error) {
	fset := flag.NewFlagSet("export", flag.ContinueOnError)
	fset.SetOutput(e.stderr)
	format := fset.String("format", "csv", "csv or xlsx")
	from := fset.String("from", "", "first day (2020-02-10) or RFC 3339 time; default: everything kept")
	to := fset.String("to", "", "last day, inclusive (2020-02-16) or RFC 3339 time")
	colors := fset.String("color", "", "only these colours, comma-separated (red,yellow)")
	sites := fset.String("site", "", "only these sites, comma-separated")
	fset.StringVar(&out, "out", "", "write to this file (required for xlsx; default for csv: standard output)")
	fset.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: checkpoint export [--format csv|xlsx] [--from DAY] [--to DAY] [--color C,…] [--site S,…] [--out FILE]\nThe operator PIN is read from the first line of standard input.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil || fset.NArg() != 0 {
		return job, "", exitError{2}
	}
	job.Format, job.Lang = *format, e.lang
	if *format != "csv" && *format != "xlsx" {
		return job, "", fmt.Errorf("--format %q: want csv or xlsx", *format)
	}
	if *format == "xlsx" && out == "" {
		return job, "", errors.New("--format xlsx needs --out FILE")
	}
	f := &job.Filter
	if *from != "" {
		if f.From, err = export.ParseDay(*from, time.Local); err != nil {
			return job, "", fmt.Errorf("--from: %w", err)
		}
	}
	if *to != "" {
		if f.To, err = export.ParseDayEnd(*to, time.Local); err != nil {
			return job, "", fmt.Errorf("--to: %w", err)
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return job, "", fmt.Errorf("--from %s --to %s: the range is empty (--to is the last day, included)", *from, *to)
	}
	if f.Colors, err = export.ParseColors(*colors); err != nil {
		return job, "", fmt.Errorf("--color: %w", err)
	}
	if f.Sites, err = export.ParseSites(*sites); err != nil {
		return job, "", fmt.Errorf("--site: %w", err)
	}
	return job, out, nil
}

// produceExport writes the entries job selects to w in job's format and
// their daily summary to summary, returning how many entries it wrote.
// `checkpoint export` calls it on the file it opened, a running kiosk on its
// own handle (control.go). ctx ends a long read between entries.
func (e *env) produceExport(ctx context.Context, db *store.DB, job exportJob, w, summary io.Writer) (int, error) {
	hi := job.Filter.To
	if hi.IsZero() {
		hi = e.now().Add(24 * time.Hour)
	}
	var entries []store.Entry
	err := db.ForEachEntry(job.Filter.From, hi, func(en store.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries = append(entries, en)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	entries = export.Apply(entries, job.Filter)

	cfg, err := assets.DefaultConfig()
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	ent, _ := cfg.Profile("enterprise")
	o := export.Options{Lang: job.Lang, LateAfter: ent.LateAfter}
	if job.Format == "xlsx" {
		err = o.XLSX(w, entries)
	} else {
		err = o.CSV(w, entries)
	}
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if err := export.WriteSummary(summary, export.Summarize(entries, time.Local), job.Lang); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return len(entries), nil
}

// deliverExport has produce write the export to out (standard output when
// "") and prints the daily summary where the supervisor reads it: on
// standard error when the file goes to standard output, else on standard
// output after a line saying where the file went.
func (e *env) deliverExport(out string, produce func(w, summary io.Writer) (int, error)) error {
	var sum bytes.Buffer
	if out == "" {
		if _, err := produce(e.stdout, &sum); err != nil {
			return err
		}
		_, err := e.stderr.Write(sum.Bytes())
		return err
	}
	file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	n, err := produce(file, &sum)
	if cerr := file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("export: %w", cerr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s written to %s\n", countOf(n, "entry", "entries"), out)
	if _, err := e.stdout.Write(sum.Bytes()); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// pinFile holds the operator PIN's Argon2id hash.
func (e *env) pinFile() string { return filepath.Join(e.dataDir, "operator.pin") }

// errNoPIN refuses an export or a setting on a terminal with no PIN set:
// they are never open.
var errNoPIN = errors.New("no operator PIN set: run checkpoint pin set first")

// checkPIN asks for the operator PIN (one line of in) and checks it. A
// terminal with no PIN set refuses: export and settings are never open.
func (e *env) checkPIN(in *bufio.Reader) error {
	typed, err := e.askPIN(in)
	if err != nil {
		return err
	}
	return e.verifyPIN(typed)
}

// askPIN prompts for the operator PIN and reads it from one line of in,
// refusing before the prompt when no PIN is set.
func (e *env) askPIN(in *bufio.Reader) (string, error) {
	_, err := os.Stat(e.pinFile())
	if errors.Is(err, fs.ErrNotExist) {
		return "", errNoPIN
	}
	if err != nil {
		return "", fmt.Errorf("operator PIN: %w", err)
	}
	fmt.Fprint(e.stderr, "operator PIN: ")
	typed, err := e.readSecret(in)
	if err != nil {
		return "", fmt.Errorf("operator PIN: %w", err)
	}
	return typed, nil
}

// verifyPIN checks a typed PIN against the stored hash, behind the guard
// that pauses guessing. The guard is read from its file for each check and
// the count written back before the answer: every export is a new process,
// and a running kiosk checks PINs for exports sent over its socket, so a
// count in memory would start again with each and miss the others'.
// Concurrent checks within one process must be serialised by the caller.
func (e *env) verifyPIN(typed string) error {
	h, err := os.ReadFile(e.pinFile())
	if errors.Is(err, fs.ErrNotExist) {
		return errNoPIN
	}
	if err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	g := pin.NewGuard(strings.TrimSpace(string(h)), e.now)
	if err := g.KeepIn(e.pinFile() + ".tries"); err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	if err := g.Verify(typed); err != nil {
		return fmt.Errorf("operator PIN: %w", err)
	}
	return nil
}

// readSecretLine reads one line of in, trimmed; a last line without a
// newline counts, nothing at all does not.
// readSecret reads a PIN after its prompt. On a terminal the PIN is not
// echoed (people stand beside a kiosk); either way the prompt's line is
// ended, so that what is printed next does not run on after it.
func (e *env) readSecret(in *bufio.Reader) (string, error) {
	defer fmt.Fprintln(e.stderr)
	if f, ok := e.stdin.(*os.File); ok {
		fd := int(f.Fd())
		if old, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			quiet := *old
			quiet.Lflag &^= unix.ECHO
			if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err == nil {
				defer func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }()
			}
		}
	}
	return readSecretLine(in)
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
	p, err := e.readSecret(in)
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

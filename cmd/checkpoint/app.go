package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yanma/assets"
	"yanma/store"
)

// exitError carries an exit status without another message: the subcommand
// has already said what went wrong (e.g. `verify` printing valid=false).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// env is what every subcommand gets: the global configuration and the
// process's streams. Tests build one per call, so nothing is global.
type env struct {
	dataDir  string
	upstream string
	lang     string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	log      *slog.Logger
	now      func() time.Time
}

const usage = `checkpoint — 验码 health-code checkpoint terminal

usage: checkpoint [global flags] <command> [flags] [args]

global flags (before the command):
  --data DIR        where the terminal's bbolt file lives ($YANMA_DATA; default ~/.local/share/yanma)
  --upstream URL    the upstream service ($YANMA_UPSTREAM; default: the one recorded at enrollment)
  --lang zh|en      language of the officer's messages ($YANMA_LANG; default zh)
  --log-level L     debug|info|warn|error (default info; logs go to stderr)

commands:
  run        scan, verify, take temperatures, decide, record; sync in the background
  decode     print the QR codes in image or video files
  camera-test  what the camera really gives and whether this machine decodes its frames in time
  verify     verify one QR text offline against the local store
  trust      pin the trust root (trust pin FILE), import a signed trust list (trust import FILE)
  revocations import FILE   apply a signed revocation feed
  enroll     register this terminal with the upstream using a one-time code
  sync       push the outbox, then pull the trust list and revocations, once
  status     what the installer needs to know: data, trust, revocations, outbox, device
  export     the entries as CSV or XLSX for a supervisor, with the daily summary (operator PIN)
  pin set    set or change the operator PIN
  demo       run the whole loop on an embedded demo: a local upstream, a rendered video, verdicts, the fever turning yellow
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("checkpoint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	fs.StringVar(&e.dataDir, "data", getenv("YANMA_DATA", defaultDataDir()), "data directory")
	fs.StringVar(&e.upstream, "upstream", os.Getenv("YANMA_UPSTREAM"), "upstream URL")
	fs.StringVar(&e.lang, "lang", getenv("YANMA_LANG", "zh"), "zh or en")
	logLevel := fs.String("log-level", "info", "debug|info|warn|error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return exitError{2}
	}
	// A bad value is named where the user wrote it: a kiosk's environment
	// file is not where one looks after reading "--lang".
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if e.dataDir == "" {
		// Only an explicit --data "" gets here ($YANMA_DATA empty is unset);
		// MkdirAll would say "mkdir : no such file or directory".
		return errors.New("--data: empty path")
	}
	if e.lang != "zh" && e.lang != "en" {
		return fmt.Errorf("%s %q: want zh or en", origin(set, "lang", "YANMA_LANG"), e.lang)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	rest := fs.Args()
	if len(rest) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError{2}
	}
	cmd, cargs := rest[0], rest[1:]
	err := dispatch(ctx, e, cmd, cargs)
	var ex exitError
	if errors.As(err, &ex) && ex.code == 2 && asksHelp(cargs) {
		return nil // the command printed its usage, as asked: not a mistake
	}
	return err
}

// asksHelp says whether a command's arguments ask for its usage (-h,
// -help, --help among its flags).
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help", "--h":
			return true
		case "--":
			return false
		}
	}
	return false
}

// dispatch runs one command.
func dispatch(ctx context.Context, e *env, cmd string, cargs []string) error {
	stdout, stderr := e.stdout, e.stderr
	switch cmd {
	case "run":
		return cmdRun(ctx, e, cargs)
	case "decode":
		return cmdDecode(ctx, e, cargs)
	case "camera-test":
		return cmdCameraTest(ctx, e, cargs)
	case "verify":
		return cmdVerify(ctx, e, cargs)
	case "trust":
		return cmdTrust(ctx, e, cargs)
	case "revocations":
		return cmdRevocations(ctx, e, cargs)
	case "enroll":
		return cmdEnroll(ctx, e, cargs)
	case "sync":
		return cmdSync(ctx, e, cargs)
	case "status":
		return cmdStatus(ctx, e, cargs)
	case "export":
		return cmdExport(ctx, e, cargs)
	case "pin":
		return cmdPIN(ctx, e, cargs)
	case "demo":
		return cmdDemo(ctx, e, cargs)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "checkpoint: unknown command %q\n\n%s", cmd, usage)
		return exitError{2}
	}
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// origin names where a setting's value came from: the flag when it was
// given, else the environment variable when that is set.
func origin(set map[string]bool, flagName, envKey string) string {
	if !set[flagName] && os.Getenv(envKey) != "" {
		return "$" + envKey
	}
	return "--" + flagName
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "yanma")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "yanma")
	}
	return "yanma-data"
}

// dbPath is the terminal's one bbolt file.
func (e *env) dbPath() string { return filepath.Join(e.dataDir, "terminal.db") }

// openDB opens the terminal's store, creating the data directory.
func (e *env) openDB() (*store.DB, error) {
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := store.Open(e.dbPath())
	if errors.Is(err, store.ErrLocked) && controlAnswers(context.Background(), e.controlPath()) {
		// The usual case on a kiosk: say so, and what can be done.
		return nil, fmt.Errorf("%w: the kiosk (checkpoint run) holds it and syncs by itself; "+
			"status and export reach it while it runs, other commands need it stopped (sudo systemctl stop yanma-checkpoint)", err)
	}
	if err != nil {
		return nil, err // names the file
	}
	if err := e.bootstrap(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// bootstrap seeds a new terminal from the trust list a deployer built into
// the binary (assets/trust), so that a kiosk installed without a network
// verifies from its first minute. A build without one skips this.
func (e *env) bootstrap(db *store.DB) error {
	root, err := assets.BootstrapRoot()
	if errors.Is(err, assets.ErrNoBootstrap) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bootstrap trust root: %w", err)
	}
	tl, err := assets.BootstrapTrustList()
	if err != nil {
		return fmt.Errorf("bootstrap trust list: %w", err)
	}
	imported, err := db.Bootstrap(root, tl, e.now())
	if err != nil {
		// A stale embedded list must not stop a terminal that has a newer one.
		e.log.Warn("bootstrap trust list not imported", "err", err)
		return nil
	}
	if imported {
		e.log.Info("bootstrap trust list imported")
	}
	return nil
}

// upstreamFile records the upstream URL given at enrollment, so that later
// commands need no flag.
func (e *env) upstreamFile() string { return filepath.Join(e.dataDir, "upstream.url") }

// upstreamURL is --upstream, else the URL recorded at enrollment, else "".
func (e *env) upstreamURL() string {
	if e.upstream != "" {
		return strings.TrimRight(e.upstream, "/")
	}
	b, err := os.ReadFile(e.upstreamFile())
	if err != nil {
		return ""
	}
	return strings.TrimRight(strings.TrimSpace(string(b)), "/")
}

// readArg reads a file argument ("-" is standard input) of at most limit
// bytes, what naming the kind of file in the refusal. A larger file is
// refused before anything parses it, and without reading it whole: a
// device such as /dev/zero would otherwise fill the memory.
func (e *env) readArg(name string, limit int64, what string) ([]byte, error) {
	tooLarge := fmt.Errorf("%s is larger than %s, the limit for %s", name, sizeText(limit), what)
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err // names the file
		}
		defer f.Close()
		// A regular file says its size: refuse it without reading a byte.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
			return nil, tooLarge
		}
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge
	}
	return b, nil
}

// sizeText says a size limit as people write it: 8 MiB, 64 KiB.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

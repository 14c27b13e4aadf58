package main

// The control socket: bbolt locks the terminal's file for the whole life of
// `checkpoint run`, so while the kiosk runs no other process can read it.
// The kiosk therefore answers `status` and `export` itself, over a Unix
// socket in the data directory, with a minimal HTTP API:
//
//	GET  /v1/status   the status text, as `checkpoint status` prints it
//	POST /v1/export   an exportJob (PIN included) as JSON; an exportResult
//
// The socket is mode 0600 in the 0700 data directory, so only the kiosk's
// user (and root) can connect; the PIN is checked as a local export checks
// it, with the guard whose count of wrong PINs lives beside the hash.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"yanma/cmd/checkpoint/internal/pin"
	"yanma/store"
)

// errNotAnswering is the client's error when nothing listens on the control
// socket (no socket file, or a stale one): no kiosk is running, or one that
// could not serve it.
var errNotAnswering = errors.New("no checkpoint run answers on the control socket")

// Bounds on what a client waits for and what a server reads. Generous: the
// PIN's hash alone takes about half a second, and a large XLSX more.
const (
	statusTimeout   = 30 * time.Second
	exportTimeout   = 5 * time.Minute
	maxJobBytes     = 64 << 10
	shutdownTimeout = 5 * time.Second
)

// controlPath is where a running kiosk listens: beside the file it locks,
// so that one data directory means one kiosk and one socket.
func (e *env) controlPath() string { return filepath.Join(e.dataDir, "control.sock") }

// lockedHint joins the error of a file held by another process (err) and
// the control socket's (cerr: it did not answer) and says what to do.
func lockedHint(err, cerr error) error {
	return fmt.Errorf("%w; and %v. Another command (such as sync) may hold the file for a moment, "+
		"or the kiosk is still starting, or it runs a build without the control socket: try again, "+
		"or stop the kiosk first (sudo systemctl stop yanma-checkpoint)", err, cerr)
}

// kioskOrFile does a command that a running kiosk can do for it: through
// the kiosk (viaKiosk) when one answers, asked first, which costs nothing
// when none runs and spares the wait for a lock that will not be let go;
// otherwise on the file opened here (local), after before (if not nil).
// When the file turns out held and still nothing answered before, the kiosk
// is asked once more (it may have started meanwhile), and if it does not
// answer the error says what to do.
func (e *env) kioskOrFile(viaKiosk, before func() error, local func(*store.DB) error) error {
	err := viaKiosk()
	if !errors.Is(err, errNotAnswering) {
		return err // done by the kiosk, or refused by it
	}
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	db, err := e.openDB()
	if errors.Is(err, store.ErrLocked) {
		cerr := viaKiosk()
		if !errors.Is(cerr, errNotAnswering) {
			return cerr
		}
		return lockedHint(err, cerr)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return local(db)
}

// controlServer is a running kiosk's side of the control socket.
type controlServer struct {
	e    *env
	db   *store.DB
	path string
	ln   net.Listener
	srv  *http.Server
	mine os.FileInfo // the socket file made here: only that one is removed

	// pins serialises PIN checks: each reads the count of wrong PINs from
	// its file and writes it back, and two at once would lose one.
	pins gosync.Mutex
}

// listenControl makes the control socket for a kiosk that holds db. A
// socket file already there is from a run that crashed (this process holds
// the file's lock, so no other run can be using it) and is replaced,
// provided nothing answers on it; anything else there is left alone and
// refused. The socket is bound under a temporary name, made 0600, and then
// renamed into place, so it is never reachable with a wider mode and a
// stale one is replaced in one step.
func (e *env) listenControl(ctx context.Context, db *store.DB) (*controlServer, error) {
	path := e.controlPath()
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("control socket %s: exists and is no socket; remove it", path)
		}
		if controlAnswers(ctx, path) {
			return nil, fmt.Errorf("control socket %s: another process answers on it", path)
		}
		e.log.Info("replacing a stale control socket", "path", path)
	}
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".control-%d.sock", os.Getpid()))
	_ = os.Remove(tmp) // a leftover of an earlier process with the same id
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", tmp)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The file is renamed below: closing must not remove whatever is then
	// at the temporary name, and serve removes the real one itself.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	fail := func(err error) (*controlServer, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	mine, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	s := &controlServer{e: e, db: db, path: path, ln: ln, mine: mine}
	s.srv = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with the run: handlers see its context.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// controlAnswers says whether something accepts connections on the socket
// at path. A socket whose process died refuses at once (ECONNREFUSED), so
// this does not wait.
func controlAnswers(ctx context.Context, path string) bool {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// serve answers on the socket until ctx ends, then stops taking requests,
// lets those under way finish (they see ctx too) and removes the socket
// file, all before it returns: the caller closes the store after it.
func (s *controlServer) serve(ctx context.Context) {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	s.e.log.Debug("control socket up", "path", s.path)
	select {
	case <-ctx.Done():
	case err := <-served:
		// Serve ends only on an accept error; the run goes on without it.
		s.e.log.Error("control socket stopped: status and export cannot reach this run", "path", s.path, "err", err)
		s.remove()
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.e.log.Warn("control socket: requests cut off at shutdown", "err", err)
		s.srv.Close()
	}
	<-served
	s.remove()
}

// remove deletes the socket file if it is still the one this run made.
func (s *controlServer) remove() {
	if fi, err := os.Lstat(s.path); err == nil && os.SameFile(fi, s.mine) {
		if err := os.Remove(s.path); err != nil {
			s.e.log.Warn("control socket not removed", "path", s.path, "err", err)
		}
	}
}

// handler routes the control API.
func (s *controlServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("POST /v1/export", s.handleExport)
	return mux
}

// controlError is the body of every refusal: the message the client
// prints, and for the PIN's refusals a code that lets the client's error
// match pin.ErrWrongPIN, pin.ErrLockedOut or errNoPIN as a local one would.
type controlError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// The codes of controlError, with the errors they stand for.
const (
	codeWrongPIN  = "wrong_pin"
	codeLockedOut = "locked_out"
	codeNoPIN     = "no_pin"
)

// codeErr is the error controlError.Code stands for (nil for none).
func codeErr(code string) error {
	switch code {
	case codeWrongPIN:
		return pin.ErrWrongPIN
	case codeLockedOut:
		return pin.ErrLockedOut
	case codeNoPIN:
		return errNoPIN
	}
	return nil
}

// writeError sends a refusal.
func writeError(w http.ResponseWriter, status int, code string, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(controlError{Error: err.Error(), Code: code})
}

// handleStatus sends the status text from the kiosk's own store handle.
func (s *controlServer) handleStatus(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := s.e.writeStatus(&b, s.db); err != nil {
		s.e.log.Error("status over the control socket", "err", err)
		writeError(w, http.StatusInternalServerError, "", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// exportResult is the kiosk's answer to an export: the file's bytes and the
// daily summary, which the client writes where a local export would.
type exportResult struct {
	Entries int    `json:"entries"`
	File    []byte `json:"file"`
	Summary string `json:"summary"`
}

// produce writes the result as produceExport would have (for deliverExport).
func (res *exportResult) produce(w, summary io.Writer) (int, error) {
	if _, err := w.Write(res.File); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if _, err := io.WriteString(summary, res.Summary); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return res.Entries, nil
}

// handleExport checks the PIN, then writes the export the job asks for.
func (s *controlServer) handleExport(w http.ResponseWriter, r *http.Request) {
	var job exportJob
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJobBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&job); err != nil {
		writeError(w, http.StatusBadRequest, "", fmt.Errorf("export: request: %w", err))
		return
	}
	if err := job.check(); err != nil {
		writeError(w, http.StatusBadRequest, "", fmt.Errorf("export: %w", err))
		return
	}
	s.pins.Lock()
	err := s.e.verifyPIN(job.PIN)
	s.pins.Unlock()
	switch {
	case errors.Is(err, pin.ErrWrongPIN):
		s.e.log.Warn("export over the control socket refused: wrong PIN")
		writeError(w, http.StatusForbidden, codeWrongPIN, err)
		return
	case errors.Is(err, pin.ErrLockedOut):
		s.e.log.Warn("export over the control socket refused: guessing paused")
		writeError(w, http.StatusTooManyRequests, codeLockedOut, err)
		return
	case errors.Is(err, errNoPIN):
		writeError(w, http.StatusForbidden, codeNoPIN, err)
		return
	case err != nil:
		s.e.log.Error("export over the control socket: PIN check failed", "err", err)
		writeError(w, http.StatusInternalServerError, "", err)
		return
	}
	var file, summary bytes.Buffer
	n, err := s.e.produceExport(r.Context(), s.db, job, &file, &summary)
	if err != nil {
		s.e.log.Error("export over the control socket", "err", err)
		writeError(w, http.StatusInternalServerError, "", err)
		return
	}
	s.e.log.Info("export over the control socket", "format", job.Format, "entries", n)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(exportResult{Entries: n, File: file.Bytes(), Summary: summary.String()})
}

// controlClient is a command's side of the control socket.
type controlClient struct {
	path string
	http *http.Client
}

// controlClient returns a client for the kiosk that would use this data
// directory. It connects to nothing until asked.
func (e *env) controlClient() *controlClient {
	path := e.controlPath()
	return &controlClient{path: path, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		// One request per command; and no proxy from the environment.
		DisableKeepAlives: true,
	}}}
}

// remoteError is a refusal from the kiosk: its message, wrapping the
// sentinel its code stands for, if any.
type remoteError struct {
	msg  string
	kind error
}

func (r *remoteError) Error() string { return r.msg }
func (r *remoteError) Unwrap() error { return r.kind }

// do sends one request and returns the body of a 200 answer. Failing to
// connect gives errNotAnswering; a refusal, the kiosk's message.
func (c *controlClient) do(ctx context.Context, method, path string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://checkpoint"+path, body)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Only a failed dial means "no kiosk": an error once connected
		// (the kiosk stopped mid-answer) is reported, not worked around.
		if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w: %s: %w", errNotAnswering, c.path, op.Err)
		}
		return nil, fmt.Errorf("control socket %s: %w", c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", c.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var ce controlError
		if json.Unmarshal(b, &ce) != nil || ce.Error == "" {
			return nil, fmt.Errorf("control socket %s: %s", c.path, resp.Status)
		}
		return nil, &remoteError{msg: ce.Error, kind: codeErr(ce.Code)}
	}
	return b, nil
}

// status asks the running kiosk for the status text.
func (c *controlClient) status(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	return c.do(ctx, http.MethodGet, "/v1/status", nil)
}

// export sends the job, PIN included, to the running kiosk and returns the
// export it wrote.
func (c *controlClient) export(ctx context.Context, job exportJob) (*exportResult, error) {
	body, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, exportTimeout)
	defer cancel()
	b, err := c.do(ctx, http.MethodPost, "/v1/export", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var res exportResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("export: answer from %s: %w", c.path, err)
	}
	return &res, nil
}

package upstream

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"yanma/sync/wire"
	"yanma/verify"
)

// Handler is the upstream's HTTP API (docs/sync.md). Terminal endpoints:
// GET /v1/trust-list, GET /v1/revocations, POST /v1/enroll,
// POST /v1/reports (device token), GET /v1/root, GET /healthz. Admin
// endpoints, which need the admin token: POST /v1/codes,
// POST /v1/enrollment-codes, POST /v1/person-color, POST /v1/device-revoke,
// GET /v1/snapshot, GET /v1/sightings, POST /v1/issuer-key, POST /v1/root.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.PathHealth, s.handleHealth)
	mux.HandleFunc("GET "+wire.PathRoot, s.handleRoot)
	mux.HandleFunc("GET "+wire.PathTrustList, s.handleTrustList)
	mux.HandleFunc("GET "+wire.PathRevocations, s.handleRevocations)
	mux.HandleFunc("POST "+wire.PathEnroll, s.handleEnroll)
	mux.HandleFunc("POST "+wire.PathReports, s.handleReports)
	mux.HandleFunc("POST "+wire.PathCodes, s.admin(s.handleIssue))
	mux.HandleFunc("POST "+wire.PathEnrollmentCodes, s.admin(s.handleEnrollmentCode))
	mux.HandleFunc("POST "+wire.PathPersonColor, s.admin(s.handlePersonColor))
	mux.HandleFunc("POST "+wire.PathDeviceRevoke, s.admin(s.handleDeviceRevoke))
	mux.HandleFunc("GET "+wire.PathFullSnapshot, s.admin(s.handleFullSnapshot))
	mux.HandleFunc("GET "+wire.PathSightings, s.admin(s.handleSightings))
	mux.HandleFunc("POST "+wire.PathIssuerKey, s.admin(s.handleSteps(s.PrepareIssuerKey, s.RotateIssuerKey)))
	mux.HandleFunc("POST "+wire.PathRoot, s.admin(s.handleSteps(s.PrepareRoot, s.RotateRoot)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The Date header is the upstream's clock (the injected one),
		// which terminals measure their own against.
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		mux.ServeHTTP(w, r)
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, map[string]any{"ok": true, "time": s.now().UTC()})
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", wire.MediaJWK)
	body, _ := json.Marshal(s.RootJWK())
	s.writeBody(w, r, http.StatusOK, body)
}

func (s *Server) handleTrustList(w http.ResponseWriter, r *http.Request) {
	st, err := s.trustList()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", st.ETag)
	w.Header().Set("Cache-Control", "no-cache")
	if wire.MatchETag(r.Header.Get("If-None-Match"), st.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", wire.MediaJWT)
	s.writeBody(w, r, http.StatusOK, []byte(st.JWS))
}

func (s *Server) handleRevocations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var feed Feed
	var err error
	if snap := q.Get("snapshot"); snap != "" {
		seq, perr := strconv.ParseUint(snap, 10, 64)
		if perr != nil {
			s.writeError(w, r, fmt.Errorf("%w: snapshot must be a seq", ErrBadRequest))
			return
		}
		feed, err = s.SnapshotPage(r.Context(), seq, q.Get("after"))
	} else {
		from, perr := strconv.ParseUint(q.Get("from"), 10, 64)
		if perr != nil {
			s.writeError(w, r, fmt.Errorf("%w: from must be a seq", ErrBadRequest))
			return
		}
		head, herr := s.RevocationHead()
		if herr != nil {
			s.writeError(w, r, herr)
			return
		}
		tag := wire.RevocationETag(head)
		if from == head && wire.MatchETag(r.Header.Get("If-None-Match"), tag) {
			w.Header().Set("ETag", tag)
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		feed, err = s.Revocations(r.Context(), from)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !feed.Full {
		w.Header().Set("ETag", wire.RevocationETag(feed.Head))
	}
	if feed.Next != "" {
		w.Header().Set(wire.HeaderSnapshotNext, feed.Next)
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", wire.MediaJWT)
	s.writeBody(w, r, http.StatusOK, []byte(feed.JWS))
}

func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req wire.EnrollRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := s.Enroll(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, wire.EnrollResponse{DeviceID: id, Root: s.RootJWK()})
}

func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) {
	tok, ok := bearer(r)
	if !ok {
		s.writeError(w, r, fmt.Errorf("%w: no bearer token", ErrUnauthorized))
		return
	}
	auth, err := s.authDevice(tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var batch wire.ReportBatch
	err = readJSON(r, &batch)
	if err == nil && len(batch.Reports) > wire.MaxReportBatch {
		err = fmt.Errorf("%w: %d reports, at most %d", ErrBadRequest, len(batch.Reports), wire.MaxReportBatch)
	}
	if err != nil {
		if berr := s.burn(auth); berr != nil && !errors.Is(berr, ErrReplay) {
			s.log.Error("token not recorded", "device", auth.device, "err", berr)
		}
		s.writeError(w, r, err)
		return
	}
	ack, err := s.applyReports(r.Context(), auth, batch.Reports)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, ack)
}

// admin wraps an admin handler: it needs the admin token as bearer.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.adminToken)) != 1 {
			s.writeError(w, r, fmt.Errorf("%w: admin token required", ErrUnauthorized))
			return
		}
		h(w, r)
	}
}

func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) {
	var req wire.IssueRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	is, err := s.Issue(r.Context(), PersonRequest{Sub: req.Sub, Name: req.Name, ID: req.ID, Color: req.Color,
		Holder: req.Holder, CheckIn: req.CheckIn})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wire.IssueResponse{Credential: is.Credential, Color: is.Claims.Col,
		JTI: is.Claims.JTI, Expires: time.Unix(is.Claims.Exp, 0).UTC()})
}

func (s *Server) handleEnrollmentCode(w http.ResponseWriter, r *http.Request) {
	code, exp, err := s.newEnrollmentCode(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, wire.EnrollmentCodeResponse{Code: code, Expires: exp})
}

func (s *Server) handlePersonColor(w http.ResponseWriter, r *http.Request) {
	var req wire.PersonColorRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Iss != "" && req.Iss != s.issuerIss {
		s.writeError(w, r, fmt.Errorf("%w: iss %q", ErrUnknownPerson, req.Iss))
		return
	}
	if err := s.SetColor(r.Context(), req.Sub, req.Color, "set by admin"); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDeviceRevoke(w http.ResponseWriter, r *http.Request) {
	var req wire.DeviceRevokeRequest
	if err := readJSON(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.RevokeDevice(r.Context(), req.DeviceID); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleFullSnapshot(w http.ResponseWriter, r *http.Request) {
	f, err := s.Snapshot(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", wire.MediaJWT)
	s.writeBody(w, r, http.StatusOK, []byte(f.JWS))
}

func (s *Server) handleSightings(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("max"))
	if err != nil || n <= 0 {
		n = 100
	}
	list, err := s.RecentSightings(r.Context(), min(n, 10_000))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, list)
}

// handleSteps serves a key rotation's two steps, ?step=prepare and
// ?step=rotate, answering with the key's public JWK.
func (s *Server) handleSteps(prepare, rotate func(context.Context) (verify.JWK, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var k verify.JWK
		var err error
		switch step := r.URL.Query().Get("step"); step {
		case "prepare":
			k, err = prepare(r.Context())
		case "rotate":
			k, err = rotate(r.Context())
		default:
			err = fmt.Errorf("%w: step must be prepare or rotate", ErrBadRequest)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeJSON(w, r, http.StatusOK, k)
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	return strings.TrimSpace(h[len(p):]), true
}

// readJSON decodes a request body (gzip allowed), bounded in size after
// decompression.
func readJSON(r *http.Request, v any) error {
	var body io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return fmt.Errorf("%w: gzip: %w", ErrBadRequest, err)
		}
		defer zr.Close()
		body = zr
	default:
		return fmt.Errorf("%w: content encoding %q", ErrBadRequest, enc)
	}
	data, err := io.ReadAll(io.LimitReader(body, wire.MaxRequestBody+1))
	if err != nil {
		return fmt.Errorf("%w: read body: %w", ErrBadRequest, err)
	}
	if len(data) > wire.MaxRequestBody {
		return fmt.Errorf("%w: body over %d bytes", errTooLarge, wire.MaxRequestBody)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return nil
}

var errTooLarge = errors.New("request too large")

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", wire.MediaJSON)
	s.writeBody(w, r, status, body)
}

// writeBody writes body, gzip-compressed when the client accepts it and
// the body is worth compressing.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if len(body) >= 1024 && acceptsGzip(r) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(body)
		if err := zw.Close(); err == nil {
			body = buf.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, f := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(f), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// writeError maps an error to a status and a wire error code.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := http.StatusInternalServerError, wire.CodeInternal
	switch {
	case errors.Is(err, ErrDeviceRevoked):
		status, code = http.StatusForbidden, wire.CodeDeviceRevoked
	case errors.Is(err, ErrUnknownDevice):
		status, code = http.StatusUnauthorized, wire.CodeUnknownDevice
	case errors.Is(err, ErrReplay):
		status, code = http.StatusUnauthorized, wire.CodeReplay
	case errors.Is(err, ErrUnauthorized):
		status, code = http.StatusUnauthorized, wire.CodeUnauthorized
	case errors.Is(err, ErrBadEnrollmentCode):
		status, code = http.StatusForbidden, wire.CodeBadCode
	case errors.Is(err, ErrAhead):
		status, code = http.StatusConflict, wire.CodeAhead
	case errors.Is(err, ErrUnknownPerson):
		status, code = http.StatusNotFound, wire.CodeNotFound
	case errors.Is(err, errTooLarge):
		status, code = http.StatusRequestEntityTooLarge, wire.CodeTooLarge
	case errors.Is(err, ErrBadRequest), errors.Is(err, verify.ErrMalformed):
		status, code = http.StatusBadRequest, wire.CodeBadRequest
	case errors.Is(err, context.Canceled):
		status, code = 499, wire.CodeInternal
	}
	if status >= 500 {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
	} else {
		s.log.Info("request refused", "path", r.URL.Path, "status", status, "code", code)
	}
	msg := err.Error()
	if status >= 500 {
		msg = "internal error"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="yanma"`)
	}
	body, _ := json.Marshal(wire.Error{Code: code, Message: msg})
	w.Header().Set("Content-Type", wire.MediaJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

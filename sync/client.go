package sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"yanma/store"
	"yanma/sync/wire"
)

// Defaults of the loop and the requests.
const (
	DefaultInterval       = 5 * time.Minute
	DefaultMinBackoff     = 1 * time.Second
	DefaultMaxBackoff     = 2 * time.Minute
	DefaultRequestTimeout = 2 * time.Minute
	DefaultBatchSize      = 2000
)

// Body limits of what the client reads (after decompression).
const (
	maxTrustBody = 8 << 20
	maxFeedBody  = 256 << 20
	maxJSONBody  = 4 << 20
)

// Client syncs one terminal's store with its upstream. Its methods are
// safe for concurrent use; syncs themselves run one at a time.
type Client struct {
	base     string
	db       *store.DB
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	minBack  time.Duration
	maxBack  time.Duration
	timeout  time.Duration
	batch    int
	label    string

	run  gosync.Mutex // one sync at a time
	kick chan struct{}

	mu     gosync.Mutex
	status Status
	snap   *pendingSnapshot // a paged snapshot being received, resumed on the next pull
	offset time.Duration    // upstream clock minus ours, last measured
	pushOK bool             // the last push got through: kicks push at once
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with connect and
// header timeouts suited to a mobile link).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithInterval sets how often Run syncs while the upstream answers
// (default 5 minutes).
func WithInterval(d time.Duration) Option { return func(c *Client) { c.interval = d } }

// WithBackoff sets the first and the longest wait between attempts while
// the upstream does not answer (default 1 s and 2 minutes; jittered).
func WithBackoff(min, max time.Duration) Option {
	return func(c *Client) { c.minBack, c.maxBack = min, max }
}

// WithRequestTimeout bounds each HTTP request (default 2 minutes).
func WithRequestTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithBatchSize sets how many reports go in one push request (default 500,
// at most wire.MaxReportBatch).
func WithBatchSize(n int) Option { return func(c *Client) { c.batch = n } }

// WithLabel sets the name the terminal enrolls under (site, gate).
func WithLabel(s string) Option { return func(c *Client) { c.label = s } }

// NewClient makes a client for the upstream at baseURL (e.g.
// "https://hc.example.gov.cn") syncing db.
func NewClient(baseURL string, db *store.DB, opts ...Option) *Client {
	c := &Client{
		base:     strings.TrimRight(baseURL, "/"),
		db:       db,
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		interval: DefaultInterval,
		minBack:  DefaultMinBackoff,
		maxBack:  DefaultMaxBackoff,
		timeout:  DefaultRequestTimeout,
		batch:    DefaultBatchSize,
		kick:     make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
		}}
	}
	if c.batch <= 0 || c.batch > wire.MaxReportBatch {
		c.batch = min(max(c.batch, DefaultBatchSize), wire.MaxReportBatch)
	}
	// Tokens made before the first answer of this run are dated with
	// the offset measured in an earlier one.
	c.offset = db.SyncStatus().ClockOffset
	if c.minBack <= 0 {
		c.minBack = DefaultMinBackoff
	}
	if c.maxBack < c.minBack {
		c.maxBack = c.minBack
	}
	return c
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
	sent   time.Time // our clock just before the request went out
	recv   time.Time // our clock once the headers were in
}

// do sends one request and reads the whole answer (gzip-decoded, bounded).
// A transport failure or a body cut short is an *Error with ErrUnavailable.
func (c *Client) do(ctx context.Context, op, method, path string, hdr http.Header, body []byte, limit int64) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		rd = &buf
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: %w", ErrRefused, err)}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	// Set explicitly, so the transport leaves decoding to us and every
	// answer is bounded after decompression.
	req.Header.Set("Accept-Encoding", "gzip")
	if body != nil {
		req.Header.Set("Content-Type", wire.MediaJSON)
		req.Header.Set("Content-Encoding", "gzip")
	}
	sent := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &Error{Op: op, Retryable: true, Err: fmt.Errorf("%w: %w", ErrUnavailable, err)}
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode, header: resp.Header, sent: sent, recv: c.now()}
	var src io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, &Error{Op: op, Status: resp.StatusCode, Retryable: true, Err: fmt.Errorf("%w: gzip: %w", ErrUnavailable, err)}
		}
		defer zr.Close()
		src = zr
	}
	r.body, err = io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, &Error{Op: op, Status: resp.StatusCode, Retryable: true, Err: fmt.Errorf("%w: body: %w", ErrUnavailable, err)}
	}
	if int64(len(r.body)) > limit {
		return nil, &Error{Op: op, Status: resp.StatusCode, Retryable: true, Err: fmt.Errorf("%w: body over %d bytes", ErrProtocol, limit)}
	}
	return r, nil
}

// statusError turns a non-success answer into an *Error.
func statusError(op string, r *response) error {
	var we wire.Error
	_ = json.Unmarshal(r.body, &we)
	e := &Error{Op: op, Status: r.status, Code: we.Code}
	switch {
	case we.Code == wire.CodeDeviceRevoked:
		e.Err = ErrDeviceRevoked
	case we.Code == wire.CodeUnknownDevice:
		e.Err = ErrUnknownDevice
	case we.Code == wire.CodeBadCode:
		e.Err = ErrEnrollmentCode
	case we.Code == wire.CodeAhead:
		e.Err, e.Retryable = ErrAhead, true
	case r.status == http.StatusUnauthorized:
		e.Err, e.Retryable = ErrUnauthorized, true
	case r.status == http.StatusTooManyRequests || r.status == http.StatusRequestTimeout || r.status >= 500:
		e.Err, e.Retryable = ErrUnavailable, true
	case r.status >= 400:
		e.Err = ErrRefused
	default:
		e.Err, e.Retryable = ErrProtocol, true
	}
	if we.Message != "" {
		e.Err = fmt.Errorf("%w: %s", e.Err, we.Message)
	}
	return e
}

// measureClock records the upstream's clock minus ours from an answer's
// Date header (one-second resolution: the midpoint of the second is taken,
// against the midpoint of our request).
func (c *Client) measureClock(r *response) {
	d, err := http.ParseTime(r.header.Get("Date"))
	if err != nil {
		return
	}
	rtt := r.recv.Sub(r.sent)
	if rtt < 0 || rtt > 10*time.Second {
		return // too slow to say anything within the Date's resolution
	}
	mid := r.sent.Add(rtt / 2)
	off := d.Add(500 * time.Millisecond).Sub(mid).Round(time.Second)
	c.mu.Lock()
	c.offset = off
	// Written to the store (a durable commit) only when it moved or the
	// stored measurement is getting old, not on every batch of a push.
	st := c.db.SyncStatus()
	persist := st.ClockMeasured.IsZero() || st.ClockOffset != off || r.recv.Sub(st.ClockMeasured) >= clockRefresh
	c.mu.Unlock()
	if !persist {
		return
	}
	if err := c.db.SetClockOffset(off, r.recv); err != nil {
		c.log.Warn("clock offset not recorded", "err", err)
	}
}

// clockRefresh is how old a stored clock measurement may get before an
// unchanged offset is written again.
const clockRefresh = 10 * time.Minute

// upstreamNow is our clock corrected by the last measured offset: what
// device tokens are dated with, so a terminal whose clock drifted still
// gets its tokens accepted.
func (c *Client) upstreamNow() time.Time {
	c.mu.Lock()
	off := c.offset
	c.mu.Unlock()
	return c.now().Add(off)
}

package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"yanma/store"
	"yanma/sync/wire"
	"yanma/verify"
)

// Pull fetches the trust list and then the revocation feed and hands each
// to the store, which verifies it against the pinned root before writing
// anything. An unchanged artefact costs one round trip (304) and only
// confirms that the data held is current. The upstream's clock is measured
// on the way.
func (c *Client) Pull(ctx context.Context) error {
	c.run.Lock()
	defer c.run.Unlock()
	err := c.pull(ctx)
	c.noteResult(err, err == nil, false)
	return err
}

// pull pulls both artefacts; a refused trust list does not keep fresher
// revocations out (each is signed on its own).
func (c *Client) pull(ctx context.Context) error {
	terr := c.pullTrust(ctx)
	if ctx.Err() != nil || (terr != nil && !IsRetryable(terr)) {
		return terr
	}
	return errors.Join(terr, c.pullRevocations(ctx))
}

// refused wraps an artefact the store would not take.
func refused(op string, err error) error {
	if errors.Is(err, store.ErrNotPinned) || errors.Is(err, store.ErrClosed) || errors.Is(err, store.ErrDiskFull) {
		return &Error{Op: op, Err: err}
	}
	return &Error{Op: op, Retryable: true, Err: fmt.Errorf("%w: %w", ErrArtefactRefused, err)}
}

func (c *Client) pullTrust(ctx context.Context) error {
	const op = "pull trust list"
	if _, err := c.db.Roots(); err != nil {
		return &Error{Op: op, Err: err}
	}
	hdr := http.Header{}
	if tok, err := c.db.TrustListToken(); err == nil {
		hdr.Set("If-None-Match", wire.TrustETag(tok))
	}
	r, err := c.do(ctx, op, http.MethodGet, wire.PathTrustList, hdr, nil, maxTrustBody)
	if err != nil {
		return err
	}
	c.measureClock(r)
	switch r.status {
	case http.StatusNotModified:
		if err := c.db.ConfirmTrustCurrent(c.now()); err != nil {
			return &Error{Op: op, Err: err}
		}
		return nil
	case http.StatusOK:
	default:
		return statusError(op, r)
	}
	tl, err := c.db.ImportTrustList(string(r.body), c.now())
	if errors.Is(err, verify.ErrBadSignature) {
		// From our own upstream this is most likely a root rotation
		// announced while the terminal was offline (docs/sync.md).
		c.log.Error("trust list not signed by a pinned root; if the upstream rotated its root, enroll again or pin the new root (checkpoint trust pin)", "err", err)
	}
	if err != nil {
		return refused(op, err)
	}
	c.log.Debug("trust list pulled", "seq", tl.Seq)
	return nil
}

// maxFeedRounds bounds the requests of one revocation pull: a refused
// feed is asked for again once at once, then left to the next pull.
const maxFeedRounds = 4

func (c *Client) pullRevocations(ctx context.Context) error {
	const op = "pull revocations"
	var lastErr error
	for range maxFeedRounds {
		done, err := c.revocationRound(ctx)
		if err == nil && done {
			return nil
		}
		if err != nil {
			if !IsRetryable(err) || !errors.Is(err, ErrArtefactRefused) {
				return err
			}
			c.log.Warn("revocation feed refused; asking again", "err", err)
			lastErr = err
		}
	}
	if lastErr == nil {
		lastErr = &Error{Op: op, Retryable: true, Err: fmt.Errorf("%w: feed did not reach the head in %d rounds", ErrProtocol, maxFeedRounds)}
	}
	return lastErr
}

// revocationRound asks once for what follows the seq held and applies it;
// done means the store is at the upstream's head.
func (c *Client) revocationRound(ctx context.Context) (done bool, err error) {
	const op = "pull revocations"
	if p := c.pendingSnap(); p != nil {
		return false, c.continueSnapshot(ctx, p)
	}
	// A snapshot left pending by an earlier run (a power cut mid-download)
	// is continued from its stored cursor rather than fetched again from
	// page one: at national scale that is hundreds of MB.
	snap, res, ok, err := c.db.PendingRevocationSnapshot()
	if err != nil {
		return false, &Error{Op: op, Err: err}
	}
	if ok {
		p := &pendingSnapshot{snap: snap, seq: res.Seq, next: res.Next, pages: res.Pages}
		c.setPendingSnap(p)
		c.log.Info("resuming revocation snapshot", "to", res.Seq, "pages", res.Pages)
		return false, c.continueSnapshot(ctx, p)
	}
	from := c.db.RevocationSeq()
	hdr := http.Header{}
	held := !c.db.SyncStatus().RevocationsAsOf.IsZero()
	if held {
		hdr.Set("If-None-Match", wire.RevocationETag(from))
	}
	r, err := c.do(ctx, op, http.MethodGet, wire.PathRevocations+"?from="+strconv.FormatUint(from, 10), hdr, nil, maxFeedBody)
	if err != nil {
		return false, err
	}
	switch r.status {
	case http.StatusNotModified:
		if err := c.db.ConfirmRevocationsCurrent(c.now()); err != nil {
			return false, &Error{Op: op, Err: err}
		}
		return true, nil
	case http.StatusOK:
	default:
		return false, statusError(op, r)
	}
	if next := r.header.Get(wire.HeaderSnapshotNext); next != "" {
		snap, err := c.db.BeginRevocationSnapshot()
		if err != nil {
			return false, &Error{Op: op, Err: err}
		}
		p := &pendingSnapshot{snap: snap}
		feed, err := snap.AddPage(string(r.body), next)
		if err != nil {
			_ = snap.Abort()
			return false, refused(op, err)
		}
		p.seq, p.next, p.pages = feed.To, next, 1
		c.setPendingSnap(p)
		return false, c.continueSnapshot(ctx, p)
	}
	feed, err := c.db.ApplyRevocations(string(r.body), c.now())
	if err != nil {
		return false, refused(op, err)
	}
	c.log.Debug("revocations pulled", "from", feed.From, "to", feed.To, "full", feed.Full, "entries", len(feed.Entries))
	etag := r.header.Get("ETag")
	return etag == "" || etag == wire.RevocationETag(feed.To), nil
}

// pendingSnapshot is a paged snapshot being received: pages staged so far
// stay staged across failed requests, and the next pull resumes after the
// last page taken. The store keeps the same (seq, cursor, pages) with the
// staged pages, so a new Client on a reopened store resumes too.
type pendingSnapshot struct {
	snap  *store.Snapshot
	seq   uint64
	next  string
	pages int
}

func (c *Client) pendingSnap() *pendingSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

func (c *Client) setPendingSnap(p *pendingSnapshot) {
	c.mu.Lock()
	c.snap = p
	c.mu.Unlock()
}

// dropSnapshot abandons a pending snapshot.
func (c *Client) dropSnapshot(p *pendingSnapshot) {
	_ = p.snap.Abort()
	c.setPendingSnap(nil)
}

// continueSnapshot fetches the remaining pages of a pending snapshot and
// commits it. The next page is fetched while the store stages the one in
// hand. A network failure keeps the snapshot pending (resumed after the
// last page staged next time, in this run or after a restart); a refused
// page, a count mismatch or an upstream that no longer serves the
// snapshot (a 4xx, ErrAhead) abandons it (started again).
func (c *Client) continueSnapshot(ctx context.Context, p *pendingSnapshot) error {
	const op = "pull revocation snapshot"
	type fetched struct {
		r   *response
		err error
	}
	fetch := func(after string) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			q := url.Values{"snapshot": {strconv.FormatUint(p.seq, 10)}, "after": {after}}
			r, err := c.do(ctx, op, http.MethodGet, wire.PathRevocations+"?"+q.Encode(), nil, nil, maxFeedBody)
			if err == nil && r.status != http.StatusOK {
				err = statusError(op, r)
			}
			ch <- fetched{r, err}
		}()
		return ch
	}
	var next <-chan fetched
	if p.next != "" {
		next = fetch(p.next)
	}
	for next != nil {
		f := <-next
		next = nil
		if f.err != nil {
			// Only an upstream that answered and will not serve the
			// snapshot abandons it. A cancelled context (the kiosk
			// shutting down) is not an answer: the snapshot stays
			// pending, in the store, for the next run.
			var e *Error
			if errors.As(f.err, &e) && (!e.Retryable || e.Status == http.StatusBadRequest || errors.Is(f.err, ErrAhead)) {
				c.dropSnapshot(p)
			}
			return f.err
		}
		after := f.r.header.Get(wire.HeaderSnapshotNext)
		if after != "" {
			next = fetch(after) // while this page is staged
		}
		if _, err := p.snap.AddPage(string(f.r.body), after); err != nil {
			if next != nil {
				<-next
			}
			c.dropSnapshot(p)
			return refused(op, err)
		}
		p.pages++
		p.next = after
	}
	c.setPendingSnap(nil)
	feed, err := p.snap.Commit(c.now())
	if err != nil {
		return refused(op, err)
	}
	c.log.Info("revocation snapshot pulled", "to", feed.To, "count", feed.Count, "pages", p.pages)
	return nil
}

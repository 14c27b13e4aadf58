package sync

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"yanma/store"
	"yanma/sync/wire"
)

// Push drains the outbox in batches (red sightings first, as the store
// orders them), each with a fresh device token, and removes from the outbox
// exactly the ids the upstream acknowledged. A failure leaves the rest
// waiting; sending a report again is harmless, the upstream applies each id
// once.
func (c *Client) Push(ctx context.Context) error {
	c.run.Lock()
	defer c.run.Unlock()
	err := c.push(ctx)
	c.noteResult(err, false, err == nil)
	c.setPushOK(err == nil)
	return err
}

func (c *Client) push(ctx context.Context) error {
	const op = "push"
	// An empty outbox needs no identity: a terminal fed its trust list
	// and feed without enrolling (they are public) still syncs cleanly.
	if n, _, err := c.db.OutboxStats(); err == nil && n == 0 {
		return nil
	}
	id, key, err := c.db.Device()
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	// The local acknowledgement of one batch (a durable commit) runs
	// while the next batch travels: at most one is in flight, and its
	// reports are left out of the next batch.
	var inflight map[string]bool
	var ackDone chan error
	waitAck := func() error {
		if ackDone == nil {
			return nil
		}
		err := <-ackDone
		ackDone, inflight = nil, nil
		if err != nil {
			return &Error{Op: op, Retryable: true, Err: err}
		}
		return nil
	}
	defer func() { _ = waitAck() }()
	sent := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		pending, err := c.db.PendingReports(c.batch + len(inflight))
		if err != nil {
			return &Error{Op: op, Retryable: !errors.Is(err, store.ErrClosed), Err: err}
		}
		reps := make([]store.Report, 0, len(pending))
		for _, r := range pending {
			if !inflight[r.ID] && len(reps) < c.batch {
				reps = append(reps, r)
			}
		}
		if len(reps) == 0 {
			break
		}
		ids, err := c.sendBatch(ctx, id, key, reps)
		if werr := waitAck(); werr != nil {
			return werr
		}
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			inflight = make(map[string]bool, len(ids))
			for _, x := range ids {
				inflight[x] = true
			}
			ackDone = make(chan error, 1)
			go func() { ackDone <- c.db.AckReports(ids) }()
		}
		sent += len(ids)
		if len(ids) < len(reps) {
			// Some were not acknowledged: stop here, so that the same
			// reports are not sent in a loop; the next push tries again.
			return &Error{Op: op, Retryable: true,
				Err: fmt.Errorf("%w: %d of %d reports not acknowledged", ErrProtocol, len(reps)-len(ids), len(reps))}
		}
	}
	if err := waitAck(); err != nil {
		return err
	}
	if sent > 0 {
		c.log.Info("reports delivered", "count", sent)
	}
	return nil
}

// sendBatch posts one batch with a fresh device token and returns the ids
// the upstream acknowledged, of those sent.
func (c *Client) sendBatch(ctx context.Context, id string, key ed25519.PrivateKey, reps []store.Report) ([]string, error) {
	const op = "push"
	tok, err := deviceToken(id, key, c.upstreamNow())
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	batch := wire.ReportBatch{Reports: make([]wire.Report, len(reps))}
	want := make(map[string]bool, len(reps))
	for i, r := range reps {
		batch.Reports[i] = wire.Report{ID: r.ID, Kind: r.Kind, Time: r.Time, Site: r.Site, Issuer: r.Issuer,
			Sub: r.Sub, JTI: r.JTI, Color: r.Color, TemperatureC: r.TemperatureC}
		want[r.ID] = true
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	resp, err := c.do(ctx, op, http.MethodPost, wire.PathReports, http.Header{"Authorization": {"Bearer " + tok}}, body, maxJSONBody)
	if err != nil {
		return nil, err
	}
	c.measureClock(resp)
	if resp.status != http.StatusOK {
		return nil, statusError(op, resp)
	}
	var ack wire.ReportAck
	if err := json.Unmarshal(resp.body, &ack); err != nil {
		return nil, &Error{Op: op, Status: resp.status, Retryable: true, Err: fmt.Errorf("%w: acknowledgement: %w", ErrProtocol, err)}
	}
	ids := make([]string, 0, len(ack.Acked))
	for _, a := range ack.Acked {
		if want[a] { // only what this batch sent
			ids = append(ids, a)
			delete(want, a)
		}
	}
	for _, rj := range ack.Rejected {
		c.log.Error("report rejected by upstream", "report", rj.ID, "why", rj.Error)
	}
	return ids, nil
}

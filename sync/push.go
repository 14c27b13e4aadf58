package sync

import (
	"context"
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
	c.noteResult(err, false, true)
	return err
}

func (c *Client) push(ctx context.Context) error {
	const op = "push"
	id, key, err := c.db.Device()
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	sent := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		reps, err := c.db.PendingReports(c.batch)
		if err != nil {
			return &Error{Op: op, Retryable: !errors.Is(err, store.ErrClosed), Err: err}
		}
		if len(reps) == 0 {
			break
		}
		tok, err := deviceToken(id, key, c.upstreamNow())
		if err != nil {
			return &Error{Op: op, Err: err}
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
			return &Error{Op: op, Err: err}
		}
		resp, err := c.do(ctx, op, http.MethodPost, wire.PathReports, http.Header{"Authorization": {"Bearer " + tok}}, body, maxJSONBody)
		if err != nil {
			return err
		}
		c.measureClock(resp)
		if resp.status != http.StatusOK {
			return statusError(op, resp)
		}
		var ack wire.ReportAck
		if err := json.Unmarshal(resp.body, &ack); err != nil {
			return &Error{Op: op, Status: resp.status, Retryable: true, Err: fmt.Errorf("%w: acknowledgement: %w", ErrProtocol, err)}
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
		if len(ids) > 0 {
			if err := c.db.AckReports(ids); err != nil {
				return &Error{Op: op, Retryable: true, Err: err}
			}
		}
		sent += len(ids)
		if len(ids) < len(reps) {
			// Some were not acknowledged: stop here, so that the same
			// reports are not sent in a loop; the next push tries again.
			return &Error{Op: op, Status: resp.status, Retryable: true,
				Err: fmt.Errorf("%w: %d of %d reports not acknowledged", ErrProtocol, len(reps)-len(ids), len(reps))}
		}
	}
	if sent > 0 {
		c.log.Info("reports delivered", "count", sent)
	}
	return nil
}

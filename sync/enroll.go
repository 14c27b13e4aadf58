package sync

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"yanma/store"
	"yanma/sync/wire"
	"yanma/verify"
)

// Enroll registers the terminal with a one-time enrollment code typed by
// the installer: it makes a fresh Ed25519 device key, registers its public
// half (with a proof of possession), stores the identity with
// db.SetDevice and pins the trust root the upstream returns. A terminal
// enrolled before gets a new identity. If a different root was pinned, it is
// replaced (and a warning logged): typing the upstream's one-time code is
// the installer's decision to trust that upstream.
func (c *Client) Enroll(ctx context.Context, code string) error {
	const op = "enroll"
	c.run.Lock()
	defer c.run.Unlock()
	_, key, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	jwk, err := verify.PublicJWK(key.Public(), "", "EdDSA")
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	// Measure the clock first: the proof is dated on the upstream's clock,
	// so that a terminal installed with a wrong date still enrolls.
	if r, err := c.do(ctx, op, http.MethodGet, wire.PathHealth, nil, nil, maxJSONBody); err != nil {
		return err
	} else if r.status == http.StatusOK {
		c.measureClock(r)
	}
	proof, err := enrollProof(key, code, c.upstreamNow())
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	body, err := json.Marshal(wire.EnrollRequest{Code: code, Key: jwk, Proof: proof, Label: c.label})
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	r, err := c.do(ctx, op, http.MethodPost, wire.PathEnroll, nil, body, maxJSONBody)
	if err != nil {
		return err
	}
	c.measureClock(r)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		return statusError(op, r)
	}
	var er wire.EnrollResponse
	if err := json.Unmarshal(r.body, &er); err != nil || er.DeviceID == "" {
		return &Error{Op: op, Status: r.status, Retryable: true, Err: fmt.Errorf("%w: enrollment answer", ErrProtocol)}
	}
	if _, err := er.Root.PublicKey(); err != nil {
		return &Error{Op: op, Status: r.status, Err: fmt.Errorf("%w: root key: %w", ErrProtocol, err)}
	}
	old, err := c.db.Roots()
	if err != nil && !errors.Is(err, store.ErrNotPinned) {
		return &Error{Op: op, Err: err}
	}
	if err := c.db.SetDevice(er.DeviceID, key); err != nil {
		return &Error{Op: op, Err: err}
	}
	if !slices.ContainsFunc(old, er.Root.SameKey) {
		if len(old) > 0 {
			c.log.Warn("enrollment replaces the pinned trust root", "old_kid", old[0].Kid, "new_kid", er.Root.Kid)
		}
		if err := c.db.PinRoots(er.Root); err != nil {
			return &Error{Op: op, Err: err}
		}
	}
	c.log.Info("terminal enrolled", "device", er.DeviceID, "root_kid", er.Root.Kid)
	return nil
}

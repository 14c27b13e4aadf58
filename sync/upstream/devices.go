package upstream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	bolt "go.etcd.io/bbolt"

	"yanma/sync/wire"
	"yanma/verify"
)

// deviceRecord is one enrolled terminal.
type deviceRecord struct {
	ID       string     `json:"id"`
	Key      verify.JWK `json:"key"`
	Label    string     `json:"label,omitempty"`
	Enrolled time.Time  `json:"enrolled"`
	Revoked  time.Time  `json:"revoked,omitzero"`
}

// enrollRecord is one enrollment code (only its hash is kept).
type enrollRecord struct {
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Used    time.Time `json:"used,omitzero"`
	Device  string    `json:"device,omitempty"`
}

// enrollAlphabet is Crockford's base32: no I, L, O, U, easy to type.
const enrollAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NormalizeEnrollmentCode uppercases a typed code and drops spaces and
// dashes, and maps the letters people confuse with digits.
func NormalizeEnrollmentCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func codeHash(code string) []byte {
	sum := sha256.Sum256([]byte(NormalizeEnrollmentCode(code)))
	return sum[:]
}

// NewEnrollmentCode makes a one-time enrollment code (12 characters,
// grouped XXXX-XXXX-XXXX) for an installer to type into a terminal. It
// expires after a day; only its hash is stored.
func (s *Server) NewEnrollmentCode(ctx context.Context) (string, error) {
	code, _, err := s.newEnrollmentCode(ctx)
	return code, err
}

func (s *Server) newEnrollmentCode(ctx context.Context) (string, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, err
	}
	raw := make([]byte, 12)
	if _, err := crand.Read(raw); err != nil {
		return "", time.Time{}, fmt.Errorf("enrollment code: %w", err)
	}
	var b strings.Builder
	for i, c := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(enrollAlphabet[int(c)%len(enrollAlphabet)])
	}
	code := b.String()
	now := s.now().UTC()
	rec := enrollRecord{Created: now, Expires: now.Add(s.enrollTTL)}
	err := s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketEnroll), codeHash(code), rec) })
	if err != nil {
		return "", time.Time{}, fmt.Errorf("enrollment code: %w", err)
	}
	s.log.Info("enrollment code made", "expires", rec.Expires)
	return code, rec.Expires, nil
}

// Enroll registers a terminal's key with a one-time code and returns its
// device id. proof must be a JWS by the key (see wire.EnrollRequest).
func (s *Server) Enroll(ctx context.Context, req wire.EnrollRequest) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if req.Key.Kty != "OKP" || req.Key.Crv != "Ed25519" {
		return "", fmt.Errorf("enroll: %w: key must be an Ed25519 JWK", ErrBadRequest)
	}
	pk, err := req.Key.PublicKey()
	if err != nil {
		return "", fmt.Errorf("enroll: %w: key: %w", ErrBadRequest, err)
	}
	pub, ok := pk.(ed25519.PublicKey)
	if !ok {
		return "", fmt.Errorf("enroll: %w: key must be Ed25519", ErrBadRequest)
	}
	now := s.now()
	var claims struct {
		jwt.RegisteredClaims
		Nonce string `json:"nonce"`
	}
	_, err = jwt.ParseWithClaims(req.Proof, &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience(wire.EnrollAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(2*time.Minute))
	if err != nil {
		return "", fmt.Errorf("enroll: proof: %w: %w", ErrUnauthorized, err)
	}
	if NormalizeEnrollmentCode(claims.Nonce) != NormalizeEnrollmentCode(req.Code) {
		return "", fmt.Errorf("enroll: %w: proof is for another code", ErrUnauthorized)
	}
	id := "dev-" + keyID(pub)
	jwk := verify.JWK{Kty: "OKP", Crv: "Ed25519", X: req.Key.X, Kid: id, Alg: "EdDSA"}
	err = s.db.Update(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEnroll)
		h := codeHash(req.Code)
		v := eb.Get(h)
		if v == nil {
			return ErrBadEnrollmentCode
		}
		var rec enrollRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("enrollment record: %w", err)
		}
		if !rec.Used.IsZero() || !now.Before(rec.Expires) {
			return ErrBadEnrollmentCode
		}
		db := tx.Bucket(bucketDevices)
		if old := db.Get([]byte(id)); old != nil {
			var d deviceRecord
			if err := json.Unmarshal(old, &d); err == nil && !d.Revoked.IsZero() {
				return ErrDeviceRevoked
			}
		}
		rec.Used, rec.Device = now.UTC(), id
		if err := putJSON(eb, h, rec); err != nil {
			return err
		}
		label := req.Label
		if len(label) > 200 {
			label = label[:200]
		}
		return putJSON(db, []byte(id), deviceRecord{ID: id, Key: jwk, Label: label, Enrolled: now.UTC()})
	})
	if err != nil {
		return "", fmt.Errorf("enroll: %w", err)
	}
	s.log.Info("device enrolled", "device", id)
	return id, nil
}

// RevokeDevice revokes an enrolled terminal: its tokens are refused from
// now on with ErrDeviceRevoked (wire code device_revoked).
func (s *Server) RevokeDevice(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDevices)
		v := b.Get([]byte(id))
		if v == nil {
			return ErrUnknownDevice
		}
		var d deviceRecord
		if err := json.Unmarshal(v, &d); err != nil {
			return err
		}
		if d.Revoked.IsZero() {
			d.Revoked = s.now().UTC()
		}
		return putJSON(b, []byte(id), d)
	})
	if err != nil {
		return fmt.Errorf("revoke device: %w", err)
	}
	s.log.Info("device revoked", "device", id)
	return nil
}

// deviceAuth is an authenticated device request whose token jti is still
// to be recorded, in the same transaction as what the request does (one
// commit, one fsync).
type deviceAuth struct {
	device string
	jti    string
	now    time.Time
}

// authDevice checks a device's bearer token: signed by an enrolled,
// unrevoked device's key, aud DeviceAudience, short-lived, iat near now,
// and a jti not seen within the replay window (checked here, and again
// when it is recorded).
func (s *Server) authDevice(token string) (deviceAuth, error) {
	now := s.now()
	var claims jwt.RegisteredClaims
	var dev deviceRecord
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, ErrUnknownDevice
		}
		err := s.db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketDevices).Get([]byte(kid))
			if v == nil {
				return ErrUnknownDevice
			}
			return json.Unmarshal(v, &dev)
		})
		if err != nil {
			return nil, err
		}
		if !dev.Revoked.IsZero() {
			return nil, ErrDeviceRevoked
		}
		return dev.Key.PublicKey()
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience(wire.DeviceAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(30*time.Second))
	switch {
	case errors.Is(err, ErrUnknownDevice):
		return deviceAuth{}, ErrUnknownDevice
	case errors.Is(err, ErrDeviceRevoked):
		return deviceAuth{}, fmt.Errorf("device %s: %w", dev.ID, ErrDeviceRevoked)
	case err != nil:
		return deviceAuth{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	if claims.Subject != dev.ID || claims.ID == "" || claims.IssuedAt == nil {
		return deviceAuth{}, fmt.Errorf("%w: token needs sub = device id, jti and iat", ErrUnauthorized)
	}
	iat, exp := claims.IssuedAt.Time, claims.ExpiresAt.Time
	if exp.Sub(iat) > wire.MaxTokenLifetime {
		return deviceAuth{}, fmt.Errorf("%w: token lives longer than %s", ErrUnauthorized, wire.MaxTokenLifetime)
	}
	if now.Sub(iat) > wire.ReplayWindow/2 {
		return deviceAuth{}, fmt.Errorf("%w: token iat too old", ErrUnauthorized)
	}
	a := deviceAuth{device: dev.ID, jti: dev.ID + "/" + claims.ID, now: now}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTokenJTI).Get([]byte(a.jti)) != nil {
			return ErrReplay
		}
		return nil
	})
	if err != nil {
		return deviceAuth{}, err
	}
	return a, nil
}

// burn records the token's jti on its own (a request that failed after
// authentication): the token cannot be used again.
func (s *Server) burn(a deviceAuth) error {
	return s.db.Update(func(tx *bolt.Tx) error { return rememberJTI(tx, a.jti, a.now) })
}

// rememberJTI records a token's jti for the replay window, refusing one
// already held, and forgets those past it.
func rememberJTI(tx *bolt.Tx, jti string, now time.Time) error {
	{
		jb, eb := tx.Bucket(bucketTokenJTI), tx.Bucket(bucketTokenExp)
		if v := jb.Get([]byte(jti)); v != nil {
			return ErrReplay
		}
		forget := u64(uint64(now.Add(wire.ReplayWindow).Unix()))
		if err := jb.Put([]byte(jti), forget); err != nil {
			return err
		}
		if err := eb.Put(append(bytes.Clone(forget), jti...), nil); err != nil {
			return err
		}
		// Forget the jtis past the window: the buckets stay about as
		// large as the window's traffic.
		c := eb.Cursor()
		cut := u64(uint64(now.Unix()))
		for k, _ := c.First(); len(k) > 8 && bytes.Compare(k[:8], cut) < 0; k, _ = c.First() {
			if err := jb.Delete(k[8:]); err != nil {
				return err
			}
			if err := eb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	}
}

package upstream

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// A root rotation runs like an issuer-key rotation, one level up:
// PrepareRoot announces the next root in the trust list (signed by the root
// in force), the terminals pin it as they sync, and RotateRoot then signs
// the trust list and the revocation feeds with it. A terminal that imports
// a list from the next root drops the old one, so the old root's private
// key can be destroyed: nothing it signs is trusted any more.

// RootJWK is the trust root's public key: what a terminal pins.
func (s *Server) RootJWK() verify.JWK {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.rootJWK
}

// rootKey is the root that signs now.
func (s *Server) rootKey() *verify.Signer {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.root
}

// PrepareRoot makes the next trust root and announces it in the trust list
// (next seq, next_root) without signing with it: prepare, wait until every
// terminal has synced (longer than the longest a kiosk stays offline),
// then RotateRoot. A root already prepared is kept and returned. Its
// public JWK can also be carried on a USB stick (`checkpoint trust pin
// ROOT NEXT`).
func (s *Server) PrepareRoot(ctx context.Context) (verify.JWK, error) {
	if err := ctx.Err(); err != nil {
		return verify.JWK{}, err
	}
	s.keyMu.Lock()
	if s.rootNext != nil {
		k := s.rootNext.PublicJWK()
		s.keyMu.Unlock()
		return k, nil
	}
	seed := make([]byte, ed25519.SeedSize)
	_, _ = crand.Read(seed) // crypto/rand.Read never fails (Go ≥ 1.24)
	sg, err := seedSigner(seed)
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyRootNext, seed) })
	}
	if err != nil {
		s.keyMu.Unlock()
		return verify.JWK{}, fmt.Errorf("prepare root: %w", err)
	}
	s.rootNext = sg
	s.keyMu.Unlock()
	s.log.Info("next trust root prepared", "kid", sg.Kid())
	// Announce it now rather than at the next request, so that `upstream
	// trust-list` at once writes a list that carries it.
	if _, err := s.trustList(); err != nil {
		return verify.JWK{}, fmt.Errorf("prepare root: %w", err)
	}
	return sg.PublicJWK(), nil
}

// RotateRoot signs the trust list and the revocation feeds with the root
// PrepareRoot announced, from now on; the old root's seed is no longer
// kept in the file (its bytes may linger in free pages until bbolt reuses
// them: destroy old copies of the file). Without a prepared root it refuses (ErrBadRequest): a root no
// terminal has pinned would strand the whole fleet. It returns the new
// root.
func (s *Server) RotateRoot(ctx context.Context) (verify.JWK, error) {
	if err := ctx.Err(); err != nil {
		return verify.JWK{}, err
	}
	s.keyMu.Lock()
	next := s.rootNext
	if next == nil {
		s.keyMu.Unlock()
		return verify.JWK{}, fmt.Errorf("rotate root: %w: no next root announced (prepare first, then wait until the terminals have synced)", ErrBadRequest)
	}
	old := s.rootJWK
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seed := meta.Get(keyRootNext)
		if seed == nil {
			return fmt.Errorf("prepared root missing from the file")
		}
		if err := meta.Put(keyRootSeed, append([]byte(nil), seed...)); err != nil {
			return err
		}
		return meta.Delete(keyRootNext)
	})
	if err != nil {
		s.keyMu.Unlock()
		return verify.JWK{}, fmt.Errorf("rotate root: %w", err)
	}
	s.root, s.rootJWK, s.rootNext = next, next.PublicJWK(), nil
	s.keyMu.Unlock()
	s.log.Info("trust root rotated", "kid", next.Kid(), "old_kid", old.Kid)
	if _, err := s.trustList(); err != nil {
		return verify.JWK{}, fmt.Errorf("rotate root: %w", err)
	}
	return next.PublicJWK(), nil
}

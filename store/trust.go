package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// PinRoots replaces the pinned trust roots (one, or two during a root
// rotation). Each must be a public key verify can use. The trust list held
// stays only if one of the new roots signed it: the roots it replaces are
// no longer trusted, so neither is their list, and codes are refused as
// no_trust_list until a list from the new roots is imported or pulled.
func (db *DB) PinRoots(roots ...verify.JWK) error {
	if len(roots) == 0 {
		return fmt.Errorf("pin roots: %w: none given", verify.ErrMalformed)
	}
	for i, r := range roots {
		if _, err := r.PublicKey(); err != nil {
			return fmt.Errorf("pin roots: root %d: %w", i, err)
		}
	}
	dropped, droppedSeq := false, uint64(0)
	err := db.updateState(func(tx *bolt.Tx, st *state) error {
		meta := tx.Bucket(bucketMeta)
		if tok := meta.Get(keyTrustJWS); tok != nil {
			// Checked as of its own iat: only the signature matters here.
			_, err := verify.ParseTrustList(string(tok), roots, time.Unix(st.TrustIat, 0))
			if errors.Is(err, verify.ErrBadSignature) {
				for _, k := range [][]byte{keyTrust, keyTrustJWS} {
					if err := meta.Delete(k); err != nil {
						return err
					}
				}
				dropped, droppedSeq = true, st.TrustSeq
				st.TrustSeq, st.TrustIat, st.TrustAsOf = 0, 0, time.Time{}
			}
		}
		return putJSON(meta, keyRoots, roots)
	}, func() {
		if dropped {
			db.trust.Store(nil)
		}
	})
	if err != nil {
		return wrapWrite("pin roots", err)
	}
	if dropped {
		db.log.Warn("trust list dropped: no newly pinned root signed it", "seq", droppedSeq)
	}
	return nil
}

// Roots returns the pinned roots (none: ErrNotPinned).
func (db *DB) Roots() ([]verify.JWK, error) {
	var roots []verify.JWK
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		roots, err = readRoots(tx)
		return err
	})
	return roots, err
}

func readRoots(tx *bolt.Tx) ([]verify.JWK, error) {
	v := tx.Bucket(bucketMeta).Get(keyRoots)
	if v == nil {
		return nil, ErrNotPinned
	}
	var roots []verify.JWK
	if err := json.Unmarshal(v, &roots); err != nil {
		return nil, fmt.Errorf("read roots: %w", err)
	}
	if len(roots) == 0 {
		return nil, ErrNotPinned
	}
	return roots, nil
}

// ImportTrustList verifies token against the pinned roots and, if it is
// current and its seq is not lower than the one held, makes it the trust list
// in force, in one transaction. Refused: the store is unchanged. A lower seq
// is refused with an error wrapping verify.ErrReplay. TrustAsOf becomes now.
func (db *DB) ImportTrustList(token string, now time.Time) (*verify.TrustList, error) {
	return db.importTrustList(token, now, func(*verify.TrustList) time.Time { return now })
}

func (db *DB) importTrustList(token string, now time.Time, asOf func(*verify.TrustList) time.Time) (*verify.TrustList, error) {
	roots, err := db.Roots()
	if err != nil {
		return nil, fmt.Errorf("import trust list: %w", err)
	}
	tl, by, err := verify.ParseTrustListRoot(token, roots, now)
	if err != nil {
		return nil, fmt.Errorf("import trust list: %w", err)
	}
	repin := rotatedRoots(roots, by, tl.NextRoot)
	err = db.updateState(func(tx *bolt.Tx, st *state) error {
		// Checked again inside the transaction: roots or seq may have
		// changed since the parse.
		held, err := readRoots(tx)
		if err != nil {
			return err
		}
		if !sameRoots(held, roots) {
			return fmt.Errorf("pinned roots changed during import: %w", verify.ErrBadSignature)
		}
		if tx.Bucket(bucketMeta).Get(keyTrust) != nil && tl.Seq < st.TrustSeq {
			return fmt.Errorf("trust list seq %d below held %d: %w", tl.Seq, st.TrustSeq, verify.ErrReplay)
		}
		meta := tx.Bucket(bucketMeta)
		if repin != nil {
			if err := putJSON(meta, keyRoots, repin); err != nil {
				return err
			}
		}
		if err := putJSON(meta, keyTrust, tl); err != nil {
			return err
		}
		if err := meta.Put(keyTrustJWS, []byte(token)); err != nil {
			return err
		}
		st.TrustSeq, st.TrustIat, st.TrustAsOf = tl.Seq, tl.Iat, asOf(tl).UTC()
		return nil
	}, func() { db.trust.Store(tl) })
	if err != nil {
		return nil, wrapWrite("import trust list", err)
	}
	switch {
	case repin != nil && by > 0:
		db.log.Warn("trust root rotated: the old root is no longer trusted", "root_kid", repin[0].Kid, "old_kid", roots[0].Kid)
	case repin != nil:
		db.log.Info("next trust root pinned", "root_kid", repin[0].Kid, "next_kid", repin[1].Kid)
	}
	db.log.Info("trust list imported", "seq", tl.Seq, "issuers", len(tl.Issuers))
	return tl, nil
}

// rotatedRoots is what the pinned roots become when a trust list verified
// by roots[by] is imported, or nil when they stay. A list from any root but
// the first means the upstream has rotated to it: that root alone stays,
// so a retired root (perhaps stolen) signs nothing more here. A next_root
// the list announces is pinned beside the root that signed it, replacing
// any other second root. Without an announcement from the first root, a
// second root pinned by hand stays.
func rotatedRoots(roots []verify.JWK, by int, next *verify.JWK) []verify.JWK {
	want := roots
	if by > 0 {
		want = []verify.JWK{roots[by]}
	}
	if next != nil && !next.SameKey(want[0]) {
		want = []verify.JWK{want[0], *next}
	}
	if len(want) == len(roots) && (len(want) == 1 || want[1].SameKey(roots[1])) && want[0].SameKey(roots[0]) {
		return nil
	}
	return want
}

func sameRoots(a, b []verify.JWK) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TrustListToken returns the signed trust list in force as it was imported,
// so that it can be passed on (to another terminal, a USB stick).
func (db *DB) TrustListToken() (string, error) {
	var tok string
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyTrustJWS)
		if v == nil {
			return verify.ErrNoTrustList
		}
		tok = string(v)
		return nil
	})
	return tok, err
}

// Bootstrap seeds the store from a trust list shipped inside the binary,
// so that a kiosk installed without a network verifies from its first
// minute. It pins rootJWK when no root is pinned yet (a pinned root is never
// replaced from here), then imports token if the store holds no trust list
// or an older one. TrustAsOf becomes the list's iat, not now: the embedded
// list is only as fresh as its signature. It returns whether it imported.
func (db *DB) Bootstrap(rootJWK []byte, token string, now time.Time) (bool, error) {
	if _, err := db.Roots(); errors.Is(err, ErrNotPinned) {
		root, err := verify.ParsePublicJWK(rootJWK)
		if err != nil {
			return false, fmt.Errorf("bootstrap root: %w", err)
		}
		if err := db.PinRoots(root); err != nil {
			return false, fmt.Errorf("bootstrap: %w", err)
		}
	} else if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	roots, err := db.Roots()
	if err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	tl, err := verify.ParseTrustList(token, roots, now)
	if err != nil {
		return false, fmt.Errorf("bootstrap trust list: %w", err)
	}
	if held, err := db.Trust(); err == nil && held.Seq >= tl.Seq {
		return false, nil
	}
	if _, err := db.importTrustList(token, now, func(tl *verify.TrustList) time.Time {
		return time.Unix(tl.Iat, 0)
	}); err != nil {
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	return true, nil
}

// ConfirmTrustCurrent records that the upstream confirmed (e.g. 304) that
// the trust list held is still current at now.
func (db *DB) ConfirmTrustCurrent(now time.Time) error {
	if _, err := db.Trust(); err != nil {
		return fmt.Errorf("confirm trust list: %w", err)
	}
	err := db.updateState(func(_ *bolt.Tx, st *state) error {
		if now.After(st.TrustAsOf) {
			st.TrustAsOf = now.UTC()
		}
		return nil
	}, nil)
	return wrapWrite("confirm trust list", err)
}

// Trust returns the trust list in force (from memory; no disk read). The
// caller must not modify it.
func (db *DB) Trust() (*verify.TrustList, error) {
	tl := db.trust.Load()
	if tl == nil {
		return nil, verify.ErrNoTrustList
	}
	return tl, nil
}

// TrustSeq is the seq of the trust list in force (0 if none).
func (db *DB) TrustSeq() uint64 { return db.status().TrustSeq }

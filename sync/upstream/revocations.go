package upstream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// The revocation log numbers every entry ever published: entry n has seq n,
// and the head is the newest. A delta (from, to] is the log's entries
// from+1…to. The state bucket holds, per key (a person or a jti), the entry
// in force and the seq that created the key, so that a snapshot "at seq H"
// is every key created at or before H — with the newest value of each,
// which a terminal would reach anyway once it has applied the deltas after
// H — and the count at H (kept beside each log entry) is exact.

func stateKey(e verify.RevocationEntry) ([]byte, error) {
	switch {
	case e.SH != "" && e.JTI == "":
		p, err := verify.ParsePersonHash(e.SH)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		return append([]byte{'p'}, p[:]...), nil
	case e.JTI != "" && e.SH == "":
		return append([]byte{'j'}, e.JTI...), nil
	}
	return nil, fmt.Errorf("%w: revocation entry needs exactly one of sh and jti", ErrBadRequest)
}

func entryOf(k, v []byte) (verify.RevocationEntry, error) {
	if len(k) < 2 || len(v) != 16 {
		return verify.RevocationEntry{}, fmt.Errorf("revocation state of %d/%d bytes", len(k), len(v))
	}
	if k[0] == 'j' {
		return verify.RevocationEntry{JTI: string(k[1:])}, nil
	}
	return verify.RevocationEntry{SH: hex.EncodeToString(k[1:]), Before: int64(binary.BigEndian.Uint64(v[8:]))}, nil
}

// logValue is a log entry as stored: the number of keys created up to
// and including it (8 bytes), its state key, and for a person the
// cut-off (8 bytes).
func logValue(count uint64, key []byte, before int64) []byte {
	v := append(u64(count), key...)
	if key[0] == 'p' {
		v = append(v, u64(uint64(before))...)
	}
	return v
}

// logEntry reads a log entry back.
func logEntry(v []byte) (verify.RevocationEntry, error) {
	switch {
	case len(v) == 8+1+16+8 && v[8] == 'p':
		return verify.RevocationEntry{SH: hex.EncodeToString(v[9:25]), Before: int64(binary.BigEndian.Uint64(v[25:]))}, nil
	case len(v) > 9 && v[8] == 'j':
		return verify.RevocationEntry{JTI: string(v[9:])}, nil
	}
	return verify.RevocationEntry{}, fmt.Errorf("revocation log entry of %d bytes", len(v))
}

// countAt is the number of keys created at or before seq.
func countAt(log *bolt.Bucket, seq uint64) uint64 {
	if seq == 0 {
		return 0
	}
	v := log.Get(u64(seq))
	if len(v) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// appendRevocations publishes entries at the head of the log. The state
// keys are written in key order, once each: a large batch of random keys
// put in arrival order would shift bbolt's in-memory nodes quadratically.
func appendRevocations(tx *bolt.Tx, entries []verify.RevocationEntry) error {
	meta, log, st := tx.Bucket(bucketMeta), tx.Bucket(bucketRevLog), tx.Bucket(bucketRevState)
	log.FillPercent = 1.0 // seq keys only ever append
	head := getU64(meta, keyRevHead)
	count := countAt(log, head)
	type update struct {
		key     []byte
		created uint64
		before  uint64
	}
	byKey := make(map[string]*update, len(entries))
	for _, e := range entries {
		k, err := stateKey(e)
		if err != nil {
			return err
		}
		head++
		u := byKey[string(k)]
		if u == nil {
			u = &update{key: k}
			if old := st.Get(k); len(old) == 16 {
				u.created, u.before = binary.BigEndian.Uint64(old), binary.BigEndian.Uint64(old[8:])
			} else {
				count++
				u.created = head
			}
			byKey[string(k)] = u
		}
		u.before = max(u.before, uint64(e.Before))
		if err := log.Put(u64(head), logValue(count, k, e.Before)); err != nil {
			return err
		}
	}
	keys := make([]*update, 0, len(byKey))
	for _, u := range byKey {
		keys = append(keys, u)
	}
	slices.SortFunc(keys, func(a, b *update) int { return bytes.Compare(a.key, b.key) })
	for _, u := range keys {
		val := make([]byte, 16)
		binary.BigEndian.PutUint64(val, u.created)
		binary.BigEndian.PutUint64(val[8:], u.before)
		if err := st.Put(u.key, val); err != nil {
			return err
		}
	}
	return meta.Put(keyRevHead, u64(head))
}

// Revoke publishes revocation entries ({sh, before} or {jti}) in the feed.
func (s *Server) Revoke(ctx context.Context, entries ...verify.RevocationEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, e := range entries {
		if e.SH != "" && e.Before <= 0 {
			return fmt.Errorf("revoke: entry %d: %w: before must be positive", i, ErrBadRequest)
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return appendRevocations(tx, entries) })
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	return nil
}

// RevocationHead is the seq of the newest revocation entry (0: none).
func (s *Server) RevocationHead() (uint64, error) {
	var head uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		head = getU64(tx.Bucket(bucketMeta), keyRevHead)
		return nil
	})
	return head, err
}

// Feed is one answer of the revocation feed.
type Feed struct {
	// JWS is the signed feed (typ hc-revocations+jwt): a delta, or one
	// page of a full snapshot.
	JWS string
	// Head is the upstream's head seq.
	Head uint64
	// Full says JWS is (a page of) a full snapshot at seq Head.
	Full bool
	// Next is the cursor of the next snapshot page; "" on the last page
	// and for deltas.
	Next string
	// Entries is the number of entries in JWS.
	Entries int
}

// Revocations answers a terminal that holds revocation seq from: the
// delta (from, head], or, when from is more than the delta limit behind,
// the first page of a full snapshot at head.
func (s *Server) Revocations(ctx context.Context, from uint64) (Feed, error) {
	if err := ctx.Err(); err != nil {
		return Feed{}, err
	}
	var feed verify.RevocationFeed
	var snapshot bool
	err := s.db.View(func(tx *bolt.Tx) error {
		head := getU64(tx.Bucket(bucketMeta), keyRevHead)
		if from > head {
			return fmt.Errorf("from %d, head %d: %w", from, head, ErrAhead)
		}
		if head-from > uint64(s.maxDelta) {
			snapshot = true
			feed.To = head
			return nil
		}
		feed = verify.RevocationFeed{Iss: s.rootIss, Iat: s.now().Unix(), From: from, To: head,
			Entries: make([]verify.RevocationEntry, 0, head-from)}
		c := tx.Bucket(bucketRevLog).Cursor()
		for k, v := c.Seek(u64(from + 1)); k != nil; k, v = c.Next() {
			e, err := logEntry(v)
			if err != nil {
				return err
			}
			feed.Entries = append(feed.Entries, e)
		}
		return nil
	})
	if err != nil {
		return Feed{}, fmt.Errorf("revocations: %w", err)
	}
	if snapshot {
		return s.SnapshotPage(ctx, feed.To, "")
	}
	jws, err := s.rootKey().Sign(verify.TypRevocations, feed)
	if err != nil {
		return Feed{}, fmt.Errorf("revocations: sign: %w", err)
	}
	return Feed{JWS: jws, Head: feed.To, Entries: len(feed.Entries)}, nil
}

// SnapshotPage returns the page of the full snapshot at seq that follows
// cursor after ("" for the first page). Every page carries full, to = seq
// and the snapshot's total count.
func (s *Server) SnapshotPage(ctx context.Context, seq uint64, after string) (Feed, error) {
	return s.snapshot(ctx, seq, after, s.pageSize)
}

// Snapshot returns the whole revocation state at the head as one signed
// snapshot (for the USB-stick path; over HTTP snapshots come in pages).
func (s *Server) Snapshot(ctx context.Context) (Feed, error) {
	head, err := s.RevocationHead()
	if err != nil {
		return Feed{}, err
	}
	return s.snapshot(ctx, head, "", -1)
}

func (s *Server) snapshot(ctx context.Context, seq uint64, after string, pageSize int) (Feed, error) {
	if err := ctx.Err(); err != nil {
		return Feed{}, err
	}
	var cursor []byte
	if after != "" {
		var err error
		if cursor, err = hex.DecodeString(after); err != nil || len(cursor) < 2 {
			return Feed{}, fmt.Errorf("snapshot: %w: cursor", ErrBadRequest)
		}
	}
	feed := verify.RevocationFeed{Iss: s.rootIss, Iat: s.now().Unix(), To: seq, Full: true}
	var next string
	err := s.db.View(func(tx *bolt.Tx) error {
		head := getU64(tx.Bucket(bucketMeta), keyRevHead)
		if seq > head {
			return fmt.Errorf("snapshot at %d, head %d: %w", seq, head, ErrAhead)
		}
		feed.Count = countAt(tx.Bucket(bucketRevLog), seq)
		capHint := feed.Count
		if pageSize > 0 {
			capHint = min(capHint, uint64(pageSize))
		}
		feed.Entries = make([]verify.RevocationEntry, 0, capHint)
		c := tx.Bucket(bucketRevState).Cursor()
		k, v := c.First()
		if cursor != nil {
			k, v = c.Seek(cursor)
			if k != nil && bytes.Equal(k, cursor) {
				k, v = c.Next()
			}
		}
		var last []byte
		for ; k != nil; k, v = c.Next() {
			if len(v) != 16 {
				return fmt.Errorf("revocation state of %d bytes", len(v))
			}
			if binary.BigEndian.Uint64(v) > seq {
				continue
			}
			if pageSize > 0 && len(feed.Entries) == pageSize {
				next = hex.EncodeToString(last)
				break
			}
			e, err := entryOf(k, v)
			if err != nil {
				return err
			}
			feed.Entries = append(feed.Entries, e)
			last = k
		}
		return nil
	})
	if err != nil {
		return Feed{}, fmt.Errorf("snapshot: %w", err)
	}
	jws, err := s.rootKey().Sign(verify.TypRevocations, feed)
	if err != nil {
		return Feed{}, fmt.Errorf("snapshot: sign: %w", err)
	}
	return Feed{JWS: jws, Head: seq, Full: true, Next: next, Entries: len(feed.Entries)}, nil
}

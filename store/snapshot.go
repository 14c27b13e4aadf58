package store

import (
	"bytes"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"yanma/verify"
)

// Snapshot receives a full revocation snapshot too large for one JWS (ten
// million people are some 600 MB of JSON) as pages: each page is a
// revocation feed JWS with full: true and the same to, iss and count (the
// snapshot's total number of entries); the pages' entries together are
// the snapshot. Each page is verified and written into a staging
// generation in its own transaction, which readers never see; Commit
// checks the number of distinct entries staged against count and swaps the
// staging generation in, in one transaction. Until then, and if anything
// fails, the revocation state in force is untouched; a crash leaves only a
// staging generation, which the next Open deletes.
//
// Pages whose entries are sorted by key, and pages sent in key order, give
// the most compact file (each page then appends to full bbolt pages).
type Snapshot struct {
	db *DB

	mu     gosync.Mutex
	gen    []byte
	header *verify.RevocationFeed // of the first page; Entries not kept
	pages  int
	done   bool
}

// BeginRevocationSnapshot starts receiving a paged full snapshot. Call
// Commit or Abort when done.
func (db *DB) BeginRevocationSnapshot() (*Snapshot, error) {
	var name []byte
	err := db.withWriteShare(func() error {
		return db.update(func(tx *bolt.Tx) error {
			var err error
			name, _, _, err = newGen(tx)
			return err
		})
	})
	if err != nil {
		return nil, wrapWrite("begin snapshot", err)
	}
	return &Snapshot{db: db, gen: name}, nil
}

// AddPage verifies one page against the pinned roots and stages its
// entries. A page that does not belong to this snapshot is refused with
// ErrSnapshotMismatch, a snapshot older than the state held with
// verify.ErrReplay; the snapshot can go on with other pages after a refusal.
func (s *Snapshot) AddPage(token string) (*verify.RevocationFeed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, ErrSnapshotDone
	}
	roots, err := s.db.Roots()
	if err != nil {
		return nil, fmt.Errorf("snapshot page: %w", err)
	}
	feed, err := verify.ParseRevocationFeed(token, roots)
	if err != nil {
		return nil, fmt.Errorf("snapshot page: %w", err)
	}
	if !feed.Full {
		return nil, fmt.Errorf("snapshot page: a delta: %w", ErrSnapshotMismatch)
	}
	if h := s.header; h != nil && (feed.To != h.To || feed.Iss != h.Iss || feed.Count != h.Count) {
		return nil, fmt.Errorf("snapshot page: to %d count %d, snapshot to %d count %d: %w",
			feed.To, feed.Count, h.To, h.Count, ErrSnapshotMismatch)
	}
	if held := s.db.RevocationSeq(); feed.To < held {
		return nil, fmt.Errorf("snapshot page: seq %d below held %d: %w", feed.To, held, verify.ErrReplay)
	}
	rb, err := prepareEntries(feed.Entries)
	if err != nil {
		return nil, fmt.Errorf("snapshot page: %w", err)
	}
	err = s.db.withWriteShare(func() error {
		return s.db.update(func(tx *bolt.Tx) error {
			g := tx.Bucket(bucketRevocations).Bucket(s.gen)
			if g == nil {
				return ErrSnapshotLost
			}
			return rb.write(layers(g)[0], sortedFill)
		})
	})
	if err != nil {
		return nil, wrapWrite("snapshot page", err)
	}
	if s.header == nil {
		h := *feed
		h.Entries = nil
		s.header = &h
	}
	s.pages++
	return feed, nil
}

// Commit checks the staged entries against the snapshot's count and, if
// they match, makes the snapshot the revocation state in force, in one
// transaction; RevocationsAsOf becomes now. A mismatch gives
// ErrCountMismatch and discards the staging (start again). Either way the
// Snapshot is finished.
func (s *Snapshot) Commit(now time.Time) (*verify.RevocationFeed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, ErrSnapshotDone
	}
	s.done = true
	if s.header == nil {
		_ = s.drop()
		return nil, fmt.Errorf("commit snapshot: no page: %w", ErrCountMismatch)
	}
	h := s.header
	err := s.db.updateState(func(tx *bolt.Tx, st *state) error {
		if st.RevSeq > h.To {
			return fmt.Errorf("snapshot seq %d below held %d: %w", h.To, st.RevSeq, verify.ErrReplay)
		}
		g := tx.Bucket(bucketRevocations).Bucket(s.gen)
		if g == nil {
			return ErrSnapshotLost
		}
		persons, jtis := layerCounts(layers(g)[0])
		if persons+jtis != h.Count {
			return fmt.Errorf("snapshot holds %d entries, feed says %d: %w", persons+jtis, h.Count, ErrCountMismatch)
		}
		if err := swapGen(tx, s.gen); err != nil {
			return err
		}
		st.RevPersons, st.RevJTIs, st.RevLayers = persons, jtis, 1
		markApplied(st, h, now)
		return nil
	}, nil)
	if err != nil {
		_ = s.drop()
		return nil, wrapWrite("commit snapshot", err)
	}
	s.db.log.Info("revocation snapshot applied", "to", h.To, "pages", s.pages, "count", h.Count)
	return h, nil
}

// Abort discards what was staged. The revocation state in force is unchanged.
func (s *Snapshot) Abort() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	return s.drop()
}

func (s *Snapshot) drop() error {
	err := s.db.withWriteShare(func() error {
		return s.db.update(func(tx *bolt.Tx) error {
			if bytes.Equal(tx.Bucket(bucketMeta).Get(keyRevGen), s.gen) {
				return nil // in force: never drop it
			}
			err := tx.Bucket(bucketRevocations).DeleteBucket(s.gen)
			if errors.Is(err, bolterrors.ErrBucketNotFound) {
				return nil
			}
			return err
		})
	})
	return wrapWrite("drop snapshot", err)
}

// withWriteShare runs fn as a writer that Compact must wait for.
func (db *DB) withWriteShare(fn func() error) error {
	db.wmu.RLock()
	defer db.wmu.RUnlock()
	return fn()
}

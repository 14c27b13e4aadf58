package store

import (
	"bytes"
	"encoding/json"
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
// fails, the revocation state in force is untouched.
//
// A download of hundreds of MB outlives many a power cut, so what was
// staged survives a restart: each page's transaction also writes a resume
// record (meta key rev.snap: the staging generation, the snapshot's
// header, the pages staged and the cursor of the page that follows), and
// Open keeps the generation it names; PendingRevocationSnapshot hands the
// snapshot back to be continued. One snapshot is pending at a time.
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

// snapRecord is the resume record of the pending snapshot (meta key
// rev.snap). It is written with the staging generation by
// BeginRevocationSnapshot and rewritten in the transaction that stages each
// page, so that it never claims a page the file does not hold.
type snapRecord struct {
	Gen   []byte `json:"gen"`
	Iss   string `json:"iss,omitempty"`
	Iat   int64  `json:"iat,omitempty"`
	To    uint64 `json:"to,omitempty"`
	Count uint64 `json:"count,omitempty"`
	Pages int    `json:"pages,omitempty"`
	Next  string `json:"next,omitempty"` // cursor of the page that follows; "" once the last is staged
}

// Resume says where a pending snapshot stands: its seq (to), the pages
// staged, and the cursor of the page to fetch next ("" when every page is
// staged and only Commit is left).
type Resume struct {
	Seq   uint64
	Pages int
	Next  string
}

// readSnapRecord decodes the resume record; nil when there is none.
func readSnapRecord(tx *bolt.Tx) (*snapRecord, error) {
	v := tx.Bucket(bucketMeta).Get(keyRevSnap)
	if v == nil {
		return nil, nil
	}
	var rec snapRecord
	if err := json.Unmarshal(v, &rec); err != nil || len(rec.Gen) == 0 {
		return nil, fmt.Errorf("snapshot resume record: %w", ErrCorrupt)
	}
	return &rec, nil
}

// stagingOf returns the staging generation gen if the resume record names
// it and it is not in force, else ErrSnapshotLost. The record is the mark
// of a live snapshot: a second handle on a snapshot already committed (its
// generation now in force) or superseded must never write into it.
func stagingOf(tx *bolt.Tx, gen []byte) (*bolt.Bucket, error) {
	rec, err := readSnapRecord(tx)
	if err != nil {
		return nil, err
	}
	if rec == nil || !bytes.Equal(rec.Gen, gen) || bytes.Equal(tx.Bucket(bucketMeta).Get(keyRevGen), gen) {
		return nil, ErrSnapshotLost
	}
	g := tx.Bucket(bucketRevocations).Bucket(gen)
	if g == nil {
		return nil, ErrSnapshotLost
	}
	return g, nil
}

// pendingGen is the staging generation worth keeping: the one the resume
// record names, if it exists, is not in force and holds at least one page
// (without a page there is no header nor cursor to resume from). nil
// otherwise, and for a record that does not decode: it only saves a
// download, so losing it must not stop the terminal.
func pendingGen(tx *bolt.Tx) []byte {
	rec, err := readSnapRecord(tx)
	if err != nil || rec == nil || rec.Pages == 0 {
		return nil
	}
	if _, err := stagingOf(tx, rec.Gen); err != nil {
		return nil
	}
	return rec.Gen
}

// settlePending, run by Open, deletes a resume record that names nothing
// worth resuming, and every generation that is neither in force nor the
// pending snapshot's.
func (db *DB) settlePending(tx *bolt.Tx) error {
	keep := pendingGen(tx)
	meta := tx.Bucket(bucketMeta)
	if keep == nil && meta.Get(keyRevSnap) != nil {
		db.log.Warn("revocation snapshot resume record dropped: its staged pages are gone or it has none")
		if err := meta.Delete(keyRevSnap); err != nil {
			return err
		}
	}
	return dropStaleGenerations(tx, bytes.Clone(keep))
}

// BeginRevocationSnapshot starts receiving a paged full snapshot. Call
// Commit or Abort when done. A snapshot still pending (see
// PendingRevocationSnapshot) is discarded: one is received at a time.
func (db *DB) BeginRevocationSnapshot() (*Snapshot, error) {
	var name []byte
	err := db.withWriteShare(func() error {
		return db.update(func(tx *bolt.Tx) error {
			if err := discardPending(tx); err != nil {
				return err
			}
			var err error
			if name, _, _, err = newGen(tx); err != nil {
				return err
			}
			return putJSON(tx.Bucket(bucketMeta), keyRevSnap, snapRecord{Gen: name})
		})
	})
	if err != nil {
		return nil, wrapWrite("begin snapshot", err)
	}
	return &Snapshot{db: db, gen: name}, nil
}

// discardPending deletes the resume record and the generation it names
// (never the one in force).
func discardPending(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	rec, err := readSnapRecord(tx)
	if err != nil || rec == nil {
		return meta.Delete(keyRevSnap) // a record that does not decode names nothing we can use
	}
	if !bytes.Equal(meta.Get(keyRevGen), rec.Gen) {
		if err := tx.Bucket(bucketRevocations).DeleteBucket(rec.Gen); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return fmt.Errorf("drop pending snapshot: %w", err)
		}
	}
	return meta.Delete(keyRevSnap)
}

// PendingRevocationSnapshot returns the snapshot left pending by an earlier
// run (or by this one), to be continued with AddPage from Resume.Next and
// committed; ok is false when none is. Each call returns a new handle on
// the same staging: use one.
func (db *DB) PendingRevocationSnapshot() (snap *Snapshot, res Resume, ok bool, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		rec, err := readSnapRecord(tx)
		if err != nil {
			return err
		}
		if rec == nil || pendingGen(tx) == nil {
			return nil
		}
		snap = &Snapshot{
			db:     db,
			gen:    bytes.Clone(rec.Gen),
			header: &verify.RevocationFeed{Iss: rec.Iss, Iat: rec.Iat, To: rec.To, Full: true, Count: rec.Count},
			pages:  rec.Pages,
		}
		res, ok = Resume{Seq: rec.To, Pages: rec.Pages, Next: rec.Next}, true
		return nil
	})
	if err != nil {
		return nil, Resume{}, false, fmt.Errorf("pending snapshot: %w", err)
	}
	return snap, res, ok, nil
}

// AddPage verifies one page against the pinned roots and stages its
// entries. next is the cursor of the page that follows, as the upstream
// announced it with this one ("" for the last page, or when there is no
// cursor): it is kept in the resume record, in the same transaction as the
// entries. A page that does not belong to this snapshot is refused with
// ErrSnapshotMismatch, a snapshot older than the state held with
// verify.ErrReplay; the snapshot can go on with other pages after a refusal.
//
// A crash after a page is staged but before its caller learns so makes
// the caller stage that page again: harmless, since entries are keyed (the
// second write puts the same values) and Commit counts distinct keys.
func (s *Snapshot) AddPage(token, next string) (*verify.RevocationFeed, error) {
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
	h := s.header
	if h == nil {
		c := *feed
		c.Entries = nil
		h = &c
	}
	rec := snapRecord{Gen: s.gen, Iss: h.Iss, Iat: h.Iat, To: h.To, Count: h.Count, Pages: s.pages + 1, Next: next}
	err = s.db.withWriteShare(func() error {
		return s.db.update(func(tx *bolt.Tx) error {
			g, err := stagingOf(tx, s.gen)
			if err != nil {
				return err
			}
			if err := rb.write(layers(g)[0], sortedFill); err != nil {
				return err
			}
			return putJSON(tx.Bucket(bucketMeta), keyRevSnap, rec)
		})
	})
	if err != nil {
		return nil, wrapWrite("snapshot page", err)
	}
	s.header = h
	s.pages++
	return feed, nil
}

// Commit checks the staged entries against the snapshot's count and, if
// they match, makes the snapshot the revocation state in force and deletes
// the resume record, in one transaction; RevocationsAsOf becomes now. A
// mismatch gives ErrCountMismatch, a snapshot older than the state held
// (a newer feed applied meanwhile) verify.ErrReplay; either discards the
// staging (start again). Either way the Snapshot is finished.
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
		g, err := stagingOf(tx, s.gen)
		if err != nil {
			return err
		}
		persons, jtis := layerCounts(layers(g)[0])
		if persons+jtis != h.Count {
			return fmt.Errorf("snapshot holds %d entries, feed says %d: %w", persons+jtis, h.Count, ErrCountMismatch)
		}
		if err := swapGen(tx, s.gen); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Delete(keyRevSnap); err != nil {
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

// Abort discards what was staged and the resume record. The revocation
// state in force is unchanged.
func (s *Snapshot) Abort() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	return s.drop()
}

// drop deletes the staging generation and, if it names this snapshot, the
// resume record; a record of another snapshot (one begun since) is left.
func (s *Snapshot) drop() error {
	err := s.db.withWriteShare(func() error {
		return s.db.update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if rec, err := readSnapRecord(tx); err != nil || (rec != nil && bytes.Equal(rec.Gen, s.gen)) {
				if err := meta.Delete(keyRevSnap); err != nil {
					return err
				}
			}
			if bytes.Equal(meta.Get(keyRevGen), s.gen) {
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

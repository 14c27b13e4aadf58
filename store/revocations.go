package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"yanma/verify"
)

// Revocations live in generations: bucket "revocations" holds one
// sub-bucket per generation ("g" + 8-byte big-endian number). A generation
// is a stack of layers (sub-buckets named by an 8-byte big-endian number,
// oldest first), each with a "person" bucket (16-byte PersonHash → uvarint
// before) and a "jti" bucket (first 16 bytes of SHA-256(jti) → 0x01). Meta
// key rev.gen names the generation in force.
//
// A full snapshot is built as the first layer (the base) of a fresh
// generation and swapped in by rewriting rev.gen in the transaction that
// deletes the old generation, so a reader sees one or the other. A large
// delta becomes a new layer on top: written in key order into an empty
// bucket, it touches only its own pages, where writing a million random
// keys into a base of ten million would rewrite nearly every page of it
// (copy-on-write: hundreds of MB and seconds of I/O). A small delta goes
// into the top layer. A lookup asks the layers newest first; Compact
// merges them back into one base.
var (
	bucketPerson = []byte("person")
	bucketJTI    = []byte("jti")
)

// jtiMark is the value of a jti key: one byte, not empty, because bbolt
// (Get, and a walk of the file) can take an empty value for a nested bucket.
var jtiMark = []byte{1}

// Fill factors for bbolt's page splits: keys arriving in order into an
// empty bucket can pack pages full; a small delta lands at random places.
const (
	sortedFill = 1.0
	deltaFill  = 0.9
)

// Layering policy: a delta of at least layerMinEntries gets a layer of its
// own while the generation has fewer than maxLayers; smaller ones (and any
// beyond maxLayers) go into the top layer.
const (
	layerMinEntries = 10_000
	maxLayers       = 6
)

func seqName(prefix string, n uint64) []byte {
	k := make([]byte, len(prefix)+8)
	copy(k, prefix)
	binary.BigEndian.PutUint64(k[len(prefix):], n)
	return k
}

// currentGen is the generation in force, nil when no revocation data was applied.
func currentGen(tx *bolt.Tx) *bolt.Bucket {
	name := tx.Bucket(bucketMeta).Get(keyRevGen)
	if name == nil {
		return nil
	}
	return tx.Bucket(bucketRevocations).Bucket(name)
}

// newGen creates a generation with an empty base layer.
func newGen(tx *bolt.Tx) (name []byte, g, base *bolt.Bucket, err error) {
	revs := tx.Bucket(bucketRevocations)
	n, err := revs.NextSequence()
	if err != nil {
		return nil, nil, nil, err
	}
	name = seqName("g", n)
	if g, err = revs.CreateBucket(name); err != nil {
		return nil, nil, nil, err
	}
	base, err = addLayer(g)
	return name, g, base, err
}

// addLayer puts a new, empty layer on top of generation g.
func addLayer(g *bolt.Bucket) (*bolt.Bucket, error) {
	n, err := g.NextSequence()
	if err != nil {
		return nil, err
	}
	l, err := g.CreateBucket(seqName("", n))
	if err != nil {
		return nil, err
	}
	if _, err := l.CreateBucket(bucketPerson); err != nil {
		return nil, err
	}
	if _, err := l.CreateBucket(bucketJTI); err != nil {
		return nil, err
	}
	return l, nil
}

// layers returns the layers of g, oldest (the base) first.
func layers(g *bolt.Bucket) []*bolt.Bucket {
	var out []*bolt.Bucket
	c := g.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			out = append(out, g.Bucket(k))
		}
	}
	return out
}

// swapGen puts generation name in force and deletes the one it replaces.
func swapGen(tx *bolt.Tx, name []byte) error {
	meta := tx.Bucket(bucketMeta)
	if old := meta.Get(keyRevGen); old != nil && !bytes.Equal(old, name) {
		old = bytes.Clone(old)
		if err := tx.Bucket(bucketRevocations).DeleteBucket(old); err != nil {
			return fmt.Errorf("drop generation: %w", err)
		}
	}
	return meta.Put(keyRevGen, name)
}

// dropStaleGenerations deletes generations neither in force nor keep (the
// pending snapshot's staging, nil if none): what an aborted snapshot, or
// one whose resume record was dropped, left behind.
func dropStaleGenerations(tx *bolt.Tx, keep []byte) error {
	cur := tx.Bucket(bucketMeta).Get(keyRevGen)
	revs := tx.Bucket(bucketRevocations)
	var stale [][]byte
	err := revs.ForEachBucket(func(k []byte) error {
		if !bytes.Equal(k, cur) && !bytes.Equal(k, keep) {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range stale {
		if err := revs.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

// personRev and jtiKey are feed entries in their stored form.
type personRev struct {
	key    verify.PersonHash
	before int64
}

type jtiKey [16]byte

func hashJTI(jti string) jtiKey {
	sum := sha256.Sum256([]byte(jti))
	return jtiKey(sum[:16])
}

// revBatch is a feed's entries validated, converted, sorted by key and
// deduplicated (the last entry for a key wins, as it would if applied in
// feed order).
type revBatch struct {
	persons []personRev
	jtis    []jtiKey
}

func prepareEntries(entries []verify.RevocationEntry) (revBatch, error) {
	var rb revBatch
	for i, e := range entries {
		switch {
		case e.SH != "" && e.JTI == "":
			p, err := verify.ParsePersonHash(e.SH)
			if err != nil {
				return rb, fmt.Errorf("entry %d: %w", i, err)
			}
			if e.Before <= 0 {
				return rb, fmt.Errorf("entry %d: before %d: %w", i, e.Before, verify.ErrMalformed)
			}
			rb.persons = append(rb.persons, personRev{key: p, before: e.Before})
		case e.JTI != "" && e.SH == "":
			rb.jtis = append(rb.jtis, hashJTI(e.JTI))
		default:
			return rb, fmt.Errorf("entry %d: need exactly one of sh and jti: %w", i, verify.ErrMalformed)
		}
	}
	slices.SortStableFunc(rb.persons, func(a, b personRev) int { return bytes.Compare(a.key[:], b.key[:]) })
	rb.persons = lastPerKey(rb.persons)
	slices.SortFunc(rb.jtis, func(a, b jtiKey) int { return bytes.Compare(a[:], b[:]) })
	rb.jtis = slices.Compact(rb.jtis)
	return rb, nil
}

// lastPerKey keeps, of each run of equal keys in sorted ps, the last.
func lastPerKey(ps []personRev) []personRev {
	out := ps[:0]
	for i := range ps {
		if i+1 < len(ps) && ps[i+1].key == ps[i].key {
			continue
		}
		out = append(out, ps[i])
	}
	return out
}

// write puts the batch into layer l.
func (rb revBatch) write(l *bolt.Bucket, fill float64) error {
	pb, jb := l.Bucket(bucketPerson), l.Bucket(bucketJTI)
	pb.FillPercent, jb.FillPercent = fill, fill
	// bbolt keeps references to keys and values until the commit: one
	// slab for all the values, never a reused buffer.
	vals := make([]byte, 0, len(rb.persons)*5)
	for _, p := range rb.persons {
		start := len(vals)
		vals = binary.AppendUvarint(vals, uint64(p.before))
		if err := pb.Put(p.key[:], vals[start:len(vals):len(vals)]); err != nil {
			return err
		}
	}
	for _, j := range rb.jtis {
		if err := jb.Put(j[:], jtiMark); err != nil {
			return err
		}
	}
	return nil
}

// layerCounts counts the keys of layer l as committed (walks its pages;
// bbolt's Stats do not see the transaction's own writes).
func layerCounts(l *bolt.Bucket) (persons, jtis uint64) {
	return uint64(l.Bucket(bucketPerson).Stats().KeyN), uint64(l.Bucket(bucketJTI).Stats().KeyN)
}

// ApplyRevocations verifies a feed against the pinned roots and applies it in
// one transaction: a delta must start at the seq held (From == RevocationSeq,
// else ErrSeqGap), a full snapshot replaces everything (a snapshot older than
// the state held is refused with verify.ErrReplay, one whose stored entries
// do not number its Count with ErrCountMismatch). Refused: the store is
// unchanged. RevocationsAsOf becomes now only once the feed is applied.
//
// A snapshot too large for one JWS comes in pages: see BeginRevocationSnapshot.
// bbolt has one writer at a time: a Record waits while a feed is applied
// (about 2 s for a million entries; lookups go on meanwhile).
func (db *DB) ApplyRevocations(token string, now time.Time) (*verify.RevocationFeed, error) {
	roots, err := db.Roots()
	if err != nil {
		return nil, fmt.Errorf("apply revocations: %w", err)
	}
	feed, err := verify.ParseRevocationFeed(token, roots)
	if err != nil {
		return nil, fmt.Errorf("apply revocations: %w", err)
	}
	if !feed.Full && feed.To < feed.From {
		return nil, fmt.Errorf("apply revocations: to %d before from %d: %w", feed.To, feed.From, verify.ErrMalformed)
	}
	rb, err := prepareEntries(feed.Entries)
	if err != nil {
		return nil, fmt.Errorf("apply revocations: %w", err)
	}
	err = db.updateState(func(tx *bolt.Tx, st *state) error {
		if feed.Full {
			return applyFull(tx, st, feed, rb, now)
		}
		return applyDelta(tx, st, feed, rb, now, db.layerMin)
	}, nil)
	if err != nil {
		return nil, wrapWrite("apply revocations", err)
	}
	db.log.Info("revocations applied", "from", feed.From, "to", feed.To, "full", feed.Full, "entries", len(feed.Entries))
	return feed, nil
}

func applyFull(tx *bolt.Tx, st *state, feed *verify.RevocationFeed, rb revBatch, now time.Time) error {
	if st.RevSeq > feed.To {
		return fmt.Errorf("snapshot seq %d below held %d: %w", feed.To, st.RevSeq, verify.ErrReplay)
	}
	name, _, base, err := newGen(tx)
	if err != nil {
		return err
	}
	if err := rb.write(base, sortedFill); err != nil {
		return err
	}
	persons, jtis := uint64(len(rb.persons)), uint64(len(rb.jtis))
	if persons+jtis != feed.Count {
		return fmt.Errorf("snapshot holds %d entries, feed says %d: %w", persons+jtis, feed.Count, ErrCountMismatch)
	}
	if err := swapGen(tx, name); err != nil {
		return err
	}
	st.RevPersons, st.RevJTIs, st.RevLayers = persons, jtis, 1
	markApplied(st, feed, now)
	return nil
}

func applyDelta(tx *bolt.Tx, st *state, feed *verify.RevocationFeed, rb revBatch, now time.Time, layerMin int) error {
	if feed.From != st.RevSeq {
		return fmt.Errorf("delta from %d, held %d: %w", feed.From, st.RevSeq, ErrSeqGap)
	}
	g := currentGen(tx)
	if g == nil {
		name, ng, _, err := newGen(tx)
		if err != nil {
			return err
		}
		if err := swapGen(tx, name); err != nil {
			return err
		}
		g = ng
	}
	ls := layers(g)
	layer, fill := ls[len(ls)-1], deltaFill
	if len(rb.persons)+len(rb.jtis) >= layerMin && len(ls) < maxLayers {
		var err error
		if layer, err = addLayer(g); err != nil {
			return err
		}
		fill = sortedFill
		ls = append(ls, layer)
	}
	if err := rb.write(layer, fill); err != nil {
		return err
	}
	// Counting exactly would cost a lookup per entry in every layer; the
	// counts are an upper bound until the next snapshot or Compact.
	st.RevPersons += uint64(len(rb.persons))
	st.RevJTIs += uint64(len(rb.jtis))
	st.RevLayers = len(ls)
	markApplied(st, feed, now)
	return nil
}

// markApplied moves the revocation state and its as-of time: only ever
// inside the transaction that applied a whole verified feed.
func markApplied(st *state, feed *verify.RevocationFeed, now time.Time) {
	st.RevSeq = feed.To
	st.RevAsOf = now.UTC()
	st.RevIat = max(st.RevIat, feed.Iat)
}

// RevocationSeq is the seq of the revocation state held (0 if none).
func (db *DB) RevocationSeq() uint64 { return db.status().RevSeq }

// RevocationCounts says how many persons and single credentials the
// revocation state in force voids: exact after a full snapshot or Compact,
// an upper bound after deltas (a delta may name a person already held).
func (db *DB) RevocationCounts() (persons, jtis uint64) {
	st := db.status()
	return st.RevPersons, st.RevJTIs
}

// RevokedBefore implements verify.RevocationSource. The newest layer
// that names the person decides.
func (db *DB) RevokedBefore(p verify.PersonHash) (int64, bool, error) {
	var before int64
	var found bool
	err := db.view(func(tx *bolt.Tx) error {
		g := currentGen(tx)
		if g == nil {
			return nil
		}
		c := g.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			if v != nil {
				continue
			}
			val := g.Bucket(k).Bucket(bucketPerson).Get(p[:])
			if val == nil {
				continue
			}
			u, n := binary.Uvarint(val)
			if n <= 0 {
				return fmt.Errorf("revocation value of %d bytes: %w", len(val), ErrCorrupt)
			}
			before, found = int64(u), true
			return nil
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("revocation lookup: %w", err)
	}
	return before, found, nil
}

// RevokedJTI implements verify.RevocationSource.
func (db *DB) RevokedJTI(jti string) (bool, error) {
	k := hashJTI(jti)
	var found bool
	err := db.view(func(tx *bolt.Tx) error {
		g := currentGen(tx)
		if g == nil {
			return nil
		}
		return g.ForEachBucket(func(name []byte) error {
			if !found && g.Bucket(name).Bucket(bucketJTI).Get(k[:]) != nil {
				found = true
			}
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("revocation lookup: %w", err)
	}
	return found, nil
}

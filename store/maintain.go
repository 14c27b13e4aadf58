package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Defaults of MaintainConfig.
const (
	DefaultRetentionDays   = 28
	DefaultCompactRatio    = 2.0
	DefaultCompactMinBytes = 32 << 20
)

// compactLayers is the number of revocation layers from which Maintain
// compacts (merging them) however small the file: each layer costs every
// lookup of a person not revoked one more B-tree search.
const compactLayers = 3

// MaintainConfig says how long entries are kept and when the file is compacted.
type MaintainConfig struct {
	RetentionDays   int     // entries older than this many days are deleted (0: DefaultRetentionDays)
	CompactRatio    float64 // compact when the file exceeds live data × this (0: DefaultCompactRatio)
	CompactMinBytes int64   // never compact a file smaller than this (0: DefaultCompactMinBytes)
	NoCompact       bool    // purge only (e.g. during service hours)
}

// MaintainResult says what Maintain did.
type MaintainResult struct {
	Purged     int   // entries deleted
	Compacted  bool  // the file was rewritten
	FileBytes  int64 // size of the file before
	LiveBytes  int64 // bytes of live data (pages in use) before
	AfterBytes int64 // size of the file after
}

// Maintain deletes entries older than the retention period and compacts
// the file when it has grown far beyond its live data (bbolt never shrinks
// a file: pages freed by purges and replaced snapshots stay in it) or
// when revocation deltas have stacked up layers.
// The terminal calls it on start and daily. Compaction holds off every
// writer (Record waits) for as long as the copy takes — seconds for a store
// of millions of revocations — so call it on start, before serving, or set
// NoCompact while people are being checked; lookups go on meanwhile.
func (db *DB) Maintain(ctx context.Context, now time.Time, cfg MaintainConfig) (MaintainResult, error) {
	if cfg.RetentionDays <= 0 {
		cfg.RetentionDays = DefaultRetentionDays
	}
	if cfg.CompactRatio <= 0 {
		cfg.CompactRatio = DefaultCompactRatio
	}
	if cfg.CompactMinBytes <= 0 {
		cfg.CompactMinBytes = DefaultCompactMinBytes
	}
	var res MaintainResult
	n, err := db.Purge(now.AddDate(0, 0, -cfg.RetentionDays))
	res.Purged = n
	if err != nil {
		return res, fmt.Errorf("maintain: %w", err)
	}
	if res.FileBytes, res.LiveBytes, err = db.Space(); err != nil {
		return res, fmt.Errorf("maintain: %w", err)
	}
	res.AfterBytes = res.FileBytes
	grown := res.FileBytes >= cfg.CompactMinBytes && float64(res.FileBytes) > cfg.CompactRatio*float64(res.LiveBytes)
	layered := db.status().RevLayers >= compactLayers
	if cfg.NoCompact || !grown && !layered {
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if _, res.AfterBytes, err = db.Compact(ctx); err != nil {
		return res, fmt.Errorf("maintain: %w", err)
	}
	res.Compacted = true
	db.log.Info("store compacted", "before", res.FileBytes, "after", res.AfterBytes)
	return res, nil
}

// Space returns the file's size and the bytes of its live data (the bytes
// in use in the pages of every bucket). It walks every page: seconds for
// millions of revocations.
func (db *DB) Space() (fileBytes, liveBytes int64, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		fileBytes = tx.Size()
		pageSize := int64(tx.DB().Info().PageSize)
		liveBytes = 4 * pageSize // two meta pages, freelist, root
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			s := b.Stats()
			liveBytes += int64(s.BranchInuse + s.LeafInuse)
			return nil
		})
	})
	if err != nil {
		return 0, 0, fmt.Errorf("space: %w", err)
	}
	return fileBytes, liveBytes, nil
}

// Compact rewrites the file with every page full (a copy into a new file
// beside it, fsync, atomic rename over the old one) and reopens it. The
// revocation layers are merged into one on the way.
// Writers wait meanwhile; readers go on against the old file until the
// rename. It returns the file sizes before and after.
func (db *DB) Compact(ctx context.Context) (before, after int64, err error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	tmp := db.path + ".compact"
	_ = os.Remove(tmp) // left by a crash during an earlier compaction

	before, err = db.copyCompacted(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return 0, 0, wrapWrite("compact", err)
	}

	db.swap.Lock()
	defer db.swap.Unlock()
	if db.bolt == nil {
		_ = os.Remove(tmp)
		return 0, 0, ErrClosed
	}
	if err := db.bolt.Close(); err != nil {
		db.bolt = nil
		return 0, 0, fmt.Errorf("compact: close: %w", err)
	}
	db.bolt = nil
	renameErr := os.Rename(tmp, db.path)
	if renameErr == nil {
		renameErr = syncDir(filepath.Dir(db.path))
	}
	// Reopen whichever file is now at path: the compacted one, or the old
	// one if the rename failed.
	b, err := openBolt(db.path, db.openTimeout, db.noSync)
	if err != nil {
		return 0, 0, fmt.Errorf("compact: reopen: %w", err)
	}
	db.bolt = b
	if err := db.load(); err != nil {
		return 0, 0, fmt.Errorf("compact: reload: %w", err)
	}
	if renameErr != nil {
		_ = os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact: rename: %w", renameErr)
	}
	after, err = fileSize(db.path)
	if err != nil {
		return 0, 0, fmt.Errorf("compact: %w", err)
	}
	return before, after, nil
}

// copyCompacted writes a compacted copy of the file to tmp and syncs it.
func (db *DB) copyCompacted(tmp string) (int64, error) {
	db.swap.RLock()
	defer db.swap.RUnlock()
	if db.bolt == nil {
		return 0, ErrClosed
	}
	before, err := fileSize(db.path)
	if err != nil {
		return 0, err
	}
	// No fsync per commit of the copy: one Sync at the end makes it durable
	// before the rename, and a crash before the rename loses only the copy.
	dst, err := bolt.Open(tmp, fileMode, &bolt.Options{NoSync: true})
	if err != nil {
		return 0, err
	}
	if err := compactInto(dst, db.bolt); err != nil {
		_ = dst.Close()
		return 0, err
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return 0, err
	}
	return before, dst.Close()
}

// compactInto copies src into the empty dst with every page full, like
// bbolt.Compact, except that the revocation generation in force is
// written as one base layer merged from its layers (the newest layer
// naming a key wins), the pending snapshot's staging generation is copied
// as it is, and other stale generations are left behind; the state's
// revocation counts become exact.
func compactInto(dst, src *bolt.DB) error {
	c := &copier{db: dst, max: 64 << 20}
	if err := c.begin(); err != nil {
		return err
	}
	var persons, jtis uint64
	err := src.View(func(stx *bolt.Tx) error {
		return stx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if err := c.create(nil, name, b.Sequence()); err != nil {
				return err
			}
			path := [][]byte{name}
			if bytes.Equal(name, bucketRevocations) {
				var err error
				persons, jtis, err = c.mergeRevocations(stx, path, b)
				return err
			}
			return c.copyBucket(path, b)
		})
	})
	if err != nil {
		_ = c.tx.Rollback()
		return err
	}
	if err := c.tx.Commit(); err != nil {
		return err
	}
	return dst.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var st state
		if v := meta.Get(keyState); v != nil {
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("state: %w: %w", ErrCorrupt, err)
			}
		}
		if currentGen(tx) != nil {
			st.RevPersons, st.RevJTIs, st.RevLayers = persons, jtis, 1
		}
		return putJSON(meta, keyState, st)
	})
}

// copier writes into dst in transactions of at most max bytes. Keys and
// values it puts are slices of src's memory map, valid while src's read
// transaction lasts, which spans the whole copy.
type copier struct {
	db       *bolt.DB
	tx       *bolt.Tx
	size     int64
	max      int64
	nextID   int
	cur      *bolt.Bucket
	curID    int
	curValid bool
}

func (c *copier) begin() error {
	tx, err := c.db.Begin(true)
	if err != nil {
		return err
	}
	c.tx, c.size, c.curValid = tx, 0, false
	return nil
}

func (c *copier) grow(n int) error {
	c.size += int64(n)
	if c.size <= c.max {
		return nil
	}
	if err := c.tx.Commit(); err != nil {
		return err
	}
	return c.begin()
}

func (c *copier) resolve(path [][]byte) *bolt.Bucket {
	b := c.tx.Bucket(path[0])
	for _, p := range path[1:] {
		b = b.Bucket(p)
	}
	return b
}

// create makes bucket name under path (nil: at the top) with seq.
func (c *copier) create(path [][]byte, name []byte, seq uint64) error {
	if err := c.grow(len(name)); err != nil {
		return err
	}
	var b *bolt.Bucket
	var err error
	if len(path) == 0 {
		b, err = c.tx.CreateBucket(name)
	} else {
		parent := c.resolve(path)
		parent.FillPercent = 1.0
		b, err = parent.CreateBucket(name)
	}
	if err != nil {
		return err
	}
	c.curValid = false
	return b.SetSequence(seq)
}

// put writes k, v into the bucket at path; id names that bucket so that it
// is resolved once per transaction, not once per key.
func (c *copier) put(id int, path [][]byte, k, v []byte) error {
	if err := c.grow(len(k) + len(v)); err != nil {
		return err
	}
	if !c.curValid || c.curID != id {
		c.cur, c.curID, c.curValid = c.resolve(path), id, true
		c.cur.FillPercent = 1.0
	}
	return c.cur.Put(k, v)
}

func (c *copier) copyBucket(path [][]byte, b *bolt.Bucket) error {
	c.nextID++
	id := c.nextID
	cur := b.Cursor()
	for k, v := cur.First(); k != nil; k, v = cur.Next() {
		if v != nil {
			if err := c.put(id, path, k, v); err != nil {
				return err
			}
			continue
		}
		sub := b.Bucket(k)
		if err := c.create(path, k, sub.Sequence()); err != nil {
			return err
		}
		if err := c.copyBucket(append(slices.Clip(path), k), sub); err != nil {
			return err
		}
	}
	return nil
}

// mergeRevocations writes the generation in force as one base layer and
// copies the pending snapshot's staging generation, if any.
//
// Copying the staging is what keeps a pending snapshot resumable across a
// compaction (Maintain runs at every start, and a restart is what a
// resumable snapshot is for). It is the simpler sound choice over skipping
// compaction while a snapshot is pending: the resume record in meta is
// copied like any key, nothing has to decide when to compact after all,
// and a snapshot abandoned by its client cannot hold compaction off for
// good. The staging is one base layer written in key order, so the copy
// is the same work bbolt.Compact would do.
func (c *copier) mergeRevocations(stx *bolt.Tx, path [][]byte, revs *bolt.Bucket) (persons, jtis uint64, err error) {
	if staging := pendingGen(stx); staging != nil {
		g := revs.Bucket(staging)
		if err := c.create(path, staging, g.Sequence()); err != nil {
			return 0, 0, err
		}
		if err := c.copyBucket(append(slices.Clip(path), staging), g); err != nil {
			return 0, 0, err
		}
	}
	name := stx.Bucket(bucketMeta).Get(keyRevGen)
	if name == nil {
		return 0, 0, nil
	}
	g := revs.Bucket(name)
	if err := c.create(path, name, 1); err != nil {
		return 0, 0, err
	}
	gpath := append(slices.Clip(path), name)
	base := seqName("", 1)
	if err := c.create(gpath, base, 0); err != nil {
		return 0, 0, err
	}
	lpath := append(slices.Clip(gpath), base)
	ls := layers(g)
	for _, sub := range [][]byte{bucketPerson, bucketJTI} {
		if err := c.create(lpath, sub, 0); err != nil {
			return 0, 0, err
		}
		srcs := make([]*bolt.Bucket, len(ls))
		for i, l := range ls {
			srcs[i] = l.Bucket(sub)
		}
		c.nextID++
		n, err := c.mergeInto(c.nextID, append(slices.Clip(lpath), sub), srcs)
		if err != nil {
			return 0, 0, err
		}
		if bytes.Equal(sub, bucketPerson) {
			persons = n
		} else {
			jtis = n
		}
	}
	return persons, jtis, nil
}

// mergeInto writes the union of the sorted buckets srcs (oldest first)
// in key order; for a key in several, the newest value wins.
func (c *copier) mergeInto(id int, path [][]byte, srcs []*bolt.Bucket) (uint64, error) {
	type head struct {
		cur  *bolt.Cursor
		k, v []byte
	}
	hs := make([]head, len(srcs))
	for i, b := range srcs {
		hs[i].cur = b.Cursor()
		hs[i].k, hs[i].v = hs[i].cur.First()
	}
	var n uint64
	for {
		var minK, val []byte
		for i := range hs {
			if hs[i].k == nil {
				continue
			}
			if cmp := bytes.Compare(hs[i].k, minK); minK == nil || cmp < 0 {
				minK, val = hs[i].k, hs[i].v
			} else if cmp == 0 {
				val = hs[i].v // newer layer
			}
		}
		if minK == nil {
			return n, nil
		}
		if err := c.put(id, path, minK, val); err != nil {
			return n, err
		}
		n++
		for i := range hs {
			if hs[i].k != nil && bytes.Equal(hs[i].k, minK) {
				hs[i].k, hs[i].v = hs[i].cur.Next()
			}
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

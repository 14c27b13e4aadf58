package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Defaults of MaintainConfig.
const (
	DefaultRetentionDays   = 28
	DefaultCompactRatio    = 2.0
	DefaultCompactMinBytes = 32 << 20
)

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

// Maintain deletes entries older than the retention period and, when the
// file has grown far beyond its live data (bbolt never shrinks a file:
// pages freed by purges and by revocation deltas stay in it), compacts it.
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
	if cfg.NoCompact || res.FileBytes < cfg.CompactMinBytes || float64(res.FileBytes) <= cfg.CompactRatio*float64(res.LiveBytes) {
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

// Compact rewrites the file with every page full (bbolt.Compact into a new
// file beside it, fsync, atomic rename over the old one) and reopens it.
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
	if err := bolt.Compact(dst, db.bolt, 64<<20); err != nil {
		_ = dst.Close()
		return 0, err
	}
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return 0, err
	}
	return before, dst.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

package store

import (
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/oklog/ulid/v2"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"yanma/internal/boltcheck"
	"yanma/verify"
)

// Compile-time checks that DB is what verify needs.
var (
	_ verify.TrustSource      = (*DB)(nil)
	_ verify.RevocationSource = (*DB)(nil)
	_ verify.StatusSource     = (*DB)(nil)
)

// Top-level buckets and meta keys. The layout is described in doc.go.
var (
	bucketMeta        = []byte("meta")
	bucketRevocations = []byte("revocations")
	bucketEntries     = []byte("entries")
	bucketOutboxIDs   = []byte("outbox.ids")

	keyState     = []byte("state")
	keyRoots     = []byte("roots")
	keyTrust     = []byte("trust")
	keyTrustJWS  = []byte("trust.jws")
	keyRevGen    = []byte("rev.gen")
	keyRevSnap   = []byte("rev.snap")
	keyDeviceID  = []byte("device.id")
	keyDeviceKey = []byte("device.key")
)

// fileMode keeps the file private: it holds the device's private key.
const fileMode = 0o600

// DB is one terminal's bbolt file. Its methods are safe for concurrent use.
type DB struct {
	path        string
	log         *slog.Logger
	now         func() time.Time
	openTimeout time.Duration
	noSync      bool
	layerMin    int // entries from which a delta gets its own layer

	// swap guards the bolt handle, which Compact replaces. Everything that
	// touches the file holds it for reading.
	swap sync.RWMutex
	bolt *bolt.DB

	// wmu orders the writers that change the cached state (imports, status)
	// with each other and with Compact; Record and AckReports share it.
	wmu sync.RWMutex

	trust   atomic.Pointer[verify.TrustList]
	stMu    sync.Mutex
	st      state
	outboxN atomic.Int64

	idMu    sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// state is what the store knows about its data's freshness; it lives in
// one meta key and is mirrored in memory after each commit.
type state struct {
	TrustSeq      uint64        `json:"trust_seq,omitempty"`
	TrustIat      int64         `json:"trust_iat,omitempty"`
	TrustAsOf     time.Time     `json:"trust_as_of,omitzero"`
	RevSeq        uint64        `json:"rev_seq,omitempty"`
	RevIat        int64         `json:"rev_iat,omitempty"`
	RevAsOf       time.Time     `json:"rev_as_of,omitzero"`
	RevPersons    uint64        `json:"rev_persons,omitempty"`
	RevJTIs       uint64        `json:"rev_jtis,omitempty"`
	RevLayers     int           `json:"rev_layers,omitempty"`
	ClockOffset   time.Duration `json:"clock_offset,omitempty"`
	ClockMeasured time.Time     `json:"clock_measured,omitzero"`
}

// Option configures Open.
type Option func(*DB)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// WithClock sets the clock used where a caller gives no time (an entry
// without a Time). Default time.Now.
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithOpenTimeout bounds how long Open waits for another process to let go
// of the file (default 5 s; then ErrLocked).
func WithOpenTimeout(d time.Duration) Option { return func(db *DB) { db.openTimeout = d } }

// WithUnsafeNoSync turns off fsync. Only for benchmarks of the
// non-durable cost: a crash may then lose or corrupt anything.
func WithUnsafeNoSync() Option { return func(db *DB) { db.noSync = true } }

// Open opens (creating if needed) the bbolt file at path, readable by its
// owner only. A file held by another process gives ErrLocked.
func Open(path string, opts ...Option) (*DB, error) {
	db := &DB{
		path:        path,
		log:         slog.New(slog.DiscardHandler),
		now:         time.Now,
		openTimeout: 5 * time.Second,
		layerMin:    layerMinEntries,
		entropy:     ulid.Monotonic(crand.Reader, 0),
	}
	for _, o := range opts {
		o(db)
	}
	b, err := openBolt(path, db.openTimeout, db.noSync)
	if err != nil {
		return nil, err
	}
	db.bolt = b
	if err := db.load(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

// openBolt opens the file for writing once it has shown itself whole
// (boltcheck). A damaged file gives ErrCorrupt and is neither written nor
// removed.
func openBolt(path string, timeout time.Duration, noSync bool) (*bolt.DB, error) {
	b, err := boltcheck.Open(path, fileMode, bolt.Options{Timeout: timeout, NoSync: noSync})
	var de *boltcheck.DamageError
	switch {
	case errors.As(err, &de):
		return nil, damaged(path, de.Detail)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	case err != nil:
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			return nil, err // names the operation and the path
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return b, nil
}

// damaged is the error for a file found damaged: it says what to do, since
// a terminal cannot mend its file and must not start afresh on its own
// (that would drop the device identity, the entries and the outbox).
func damaged(path, detail string) error {
	return fmt.Errorf("open %s: data file damaged (%s): the file was left as it is; "+
		"move it away to start afresh (this terminal must then be enrolled again) or restore a copy: %w",
		path, detail, ErrCorrupt)
}

// load creates the buckets, drops what no snapshot can resume from (see
// settlePending) and fills the in-memory caches.
func (db *DB) load() error {
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketRevocations, bucketEntries, bucketOutboxIDs} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		for _, k := range outboxKinds {
			if _, err := tx.CreateBucketIfNotExists(k.bucket); err != nil {
				return err
			}
		}
		return db.settlePending(tx)
	})
	if err != nil {
		return wrapWrite("initialise", err)
	}
	return db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		var st state
		if v := meta.Get(keyState); v != nil {
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("read state: %w", err)
			}
		}
		db.stMu.Lock()
		db.st = st
		db.stMu.Unlock()
		if v := meta.Get(keyTrust); v != nil {
			var tl verify.TrustList
			if err := json.Unmarshal(v, &tl); err != nil {
				return fmt.Errorf("read trust list: %w", err)
			}
			db.trust.Store(&tl)
		}
		n := 0
		for _, k := range outboxKinds {
			n += tx.Bucket(k.bucket).Stats().KeyN
		}
		db.outboxN.Store(int64(n))
		return nil
	})
}

// Close closes the file. Further calls return ErrClosed.
func (db *DB) Close() error {
	db.swap.Lock()
	defer db.swap.Unlock()
	if db.bolt == nil {
		return nil
	}
	err := db.bolt.Close()
	db.bolt = nil
	return err
}

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// view runs fn in a read transaction.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	if db.bolt == nil {
		return ErrClosed
	}
	return db.bolt.View(fn)
}

// update runs fn in a write transaction, committed and fsynced before it returns.
func (db *DB) update(fn func(tx *bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	if db.bolt == nil {
		return ErrClosed
	}
	return db.bolt.Update(fn)
}

// batch is update through bbolt's Batch: concurrent callers share one
// commit (one fsync). fn may run more than once and must be idempotent.
func (db *DB) batch(fn func(tx *bolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	if db.bolt == nil {
		return ErrClosed
	}
	return db.bolt.Batch(fn)
}

// updateState runs fn in a write transaction with the current state, saves
// the state fn leaves and, once the commit is durable, publishes it (and
// whatever publish does) to the in-memory caches. Writers of state are
// serialised so that the caches follow commit order.
func (db *DB) updateState(fn func(tx *bolt.Tx, st *state) error, publish func()) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	st := db.status()
	err := db.update(func(tx *bolt.Tx) error {
		if err := fn(tx, &st); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketMeta), keyState, st)
	})
	if err != nil {
		return err
	}
	db.stMu.Lock()
	db.st = st
	db.stMu.Unlock()
	if publish != nil {
		publish()
	}
	return nil
}

func (db *DB) status() state {
	db.stMu.Lock()
	defer db.stMu.Unlock()
	return db.st
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// wrapWrite names what failed and marks a full disk with ErrDiskFull.
func wrapWrite(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, bolterrors.ErrMaxSizeReached) {
		return fmt.Errorf("%s: %w: %w", what, ErrDiskFull, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// newID makes a ULID for t: 48 bits of milliseconds, 80 random bits,
// monotonic within a millisecond, so IDs sort by time and never repeat.
func (db *DB) newID(t time.Time) (string, error) {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	db.idMu.Lock()
	defer db.idMu.Unlock()
	id, err := ulid.New(uint64(ms), db.entropy)
	if err != nil {
		return "", fmt.Errorf("make id: %w", err)
	}
	return id.String(), nil
}

// timeKey is a big-endian key that sorts like t, before 1970 included.
func timeKey(t time.Time) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano())^(1<<63))
	return k
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

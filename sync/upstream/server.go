package upstream

import (
	"context"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"yanma/internal/boltcheck"
	"yanma/verify"
)

// Buckets of the upstream's file.
var (
	bucketMeta      = []byte("meta")
	bucketPersons   = []byte("persons")    // iss 0x00 sub → personRecord JSON
	bucketRevLog    = []byte("revlog")     // seq (8 BE) → count after (8 BE) + state key [+ before (8 BE)]
	bucketRevState  = []byte("revstate")   // 'p'+PersonHash | 'j'+jti → created seq (8 BE) + before (8 BE)
	bucketReports   = []byte("reports")    // report id → storedReport JSON
	bucketSightings = []byte("sightings")  // NextSequence (8 BE) → report id of a red sighting
	bucketDevices   = []byte("devices")    // device id → deviceRecord JSON
	bucketEnroll    = []byte("enrollment") // SHA-256(code) → enrollRecord JSON
	bucketTokenJTI  = []byte("token.jti")  // device token jti → forget-after (8 BE unix)
	bucketTokenExp  = []byte("token.exp")  // forget-after (8 BE) + jti → nil, for pruning

	keyRootSeed   = []byte("root.seed")
	keyRootNext   = []byte("root.next")      // a root announced in the trust list ahead of use
	keyIssuerSeed = []byte("issuer.seed")    // the current issuer key
	keyRetired    = []byte("issuer.retired") // JSON: public JWKs of retired issuer keys, with exp
	keyNextSeed   = []byte("issuer.next")    // a key published in the trust list ahead of use
	keyAdminToken = []byte("admin.token")
	keyTrustSeq   = []byte("trust.seq")
	keyTrustHash  = []byte("trust.hash")
	keyTrustJWS   = []byte("trust.jws")
	keyRevHead    = []byte("rev.head")
)

// Defaults.
const (
	DefaultIssuer         = "450000"
	DefaultIssuerName     = "广西健康码"
	DefaultRootIss        = "450000-root"
	DefaultCodeTTL        = 24 * time.Hour
	DefaultTrustTTL       = 7 * 24 * time.Hour
	DefaultEnrollTTL      = 24 * time.Hour
	DefaultMaxDelta       = 50_000
	DefaultPageSize       = 50_000
	DefaultGrayAfterHours = 0 // gray codes are a regional rule (Ningxia: 72); WithGrayAfterHours sets it
)

// Server is the reference upstream. Its methods are safe for concurrent use.
type Server struct {
	db  *bolt.DB
	log *slog.Logger
	now func() time.Time

	rootIss    string
	issuerIss  string
	issuerName string
	policy     verify.Policy
	grayAfter  int
	codeTTL    time.Duration
	trustTTL   time.Duration
	enrollTTL  time.Duration
	maxDelta   int
	pageSize   int
	adminToken string

	keyMu     gosync.RWMutex // guards the keys, which the Rotate methods replace
	root      *verify.Signer
	rootJWK   verify.JWK
	rootNext  *verify.Signer // announced, not yet signing; nil if none
	issuer    *verify.Signer
	issuerJWK verify.JWK
	next      *verify.Signer // published, not yet signing; nil if none
	retired   []verify.JWK

	received atomic.Uint64 // reports received in acknowledged batches, repeats included
	applied  atomic.Uint64 // reports applied (each id once)

	trustMu   gosync.Mutex
	trustJWS  string
	trustExp  time.Time
	trustSeq  uint64
	trustETag string
	trustHash [32]byte
}

// Option configures Open.
type Option func(*Server)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithIssuer sets the issuing platform's administrative-division code and
// name (default 450000, 广西健康码).
func WithIssuer(iss, name string) Option {
	return func(s *Server) { s.issuerIss, s.issuerName = iss, name }
}

// WithPolicy sets the checkpoint policy the trust list carries.
func WithPolicy(p verify.Policy) Option { return func(s *Server) { s.policy = p } }

// WithGrayAfterHours sets the issuer's gray rule in the trust list (0: none).
func WithGrayAfterHours(h int) Option { return func(s *Server) { s.grayAfter = h } }

// WithCodeTTL sets how long an issued credential is valid (default 24 h).
func WithCodeTTL(d time.Duration) Option { return func(s *Server) { s.codeTTL = d } }

// WithTrustTTL sets the trust list's validity (default 7 days); it is
// re-signed once less than half of it remains.
func WithTrustTTL(d time.Duration) Option { return func(s *Server) { s.trustTTL = d } }

// WithMaxDelta sets how many revocation entries a terminal may be behind
// and still get a delta; further behind it gets a full snapshot.
func WithMaxDelta(n int) Option { return func(s *Server) { s.maxDelta = n } }

// WithPageSize sets the number of entries per page of a full snapshot.
func WithPageSize(n int) Option { return func(s *Server) { s.pageSize = n } }

// WithAdminToken sets the admin token instead of the one made on first
// start (it is not stored).
func WithAdminToken(tok string) Option { return func(s *Server) { s.adminToken = tok } }

// Open opens (creating if needed) the upstream's bbolt file at path. On
// first start it creates the trust root, the issuer key and the admin token.
func Open(path string, opts ...Option) (*Server, error) {
	s := &Server{
		log:        slog.New(slog.DiscardHandler),
		now:        time.Now,
		rootIss:    DefaultRootIss,
		issuerIss:  DefaultIssuer,
		issuerName: DefaultIssuerName,
		policy: verify.Policy{
			TempThresholdC:  verify.DefaultTempThresholdC,
			ProofWindowS:    int(verify.DefaultProofWindow / time.Second),
			MaxOfflineHours: verify.DefaultMaxOfflineHours,
		},
		grayAfter: DefaultGrayAfterHours,
		codeTTL:   DefaultCodeTTL,
		trustTTL:  DefaultTrustTTL,
		enrollTTL: DefaultEnrollTTL,
		maxDelta:  DefaultMaxDelta,
		pageSize:  DefaultPageSize,
	}
	for _, o := range opts {
		o(s)
	}
	if s.pageSize < 1 || s.maxDelta < 0 || s.codeTTL <= 0 || s.trustTTL <= 0 {
		return nil, fmt.Errorf("open upstream: %w: page size, delta limit and lifetimes must be positive", ErrBadRequest)
	}
	db, err := openBolt(path, 2*time.Second)
	if err != nil {
		return nil, err
	}
	s.db = db
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open upstream %s: %w", path, err)
	}
	if _, err := s.trustList(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open upstream %s: %w", path, err)
	}
	return s, nil
}

// fileMode keeps the file private: it holds the root's and the issuer's
// private keys.
const fileMode = 0o600

// openBolt opens the file for writing once it has shown itself whole
// (boltcheck). A damaged file gives ErrCorrupt and is neither written nor
// removed: Open on an empty file would make a new trust root.
func openBolt(path string, timeout time.Duration) (*bolt.DB, error) {
	db, err := boltcheck.Open(path, fileMode, bolt.Options{Timeout: timeout})
	var de *boltcheck.DamageError
	switch {
	case errors.As(err, &de):
		return nil, fmt.Errorf("open upstream %s: data file damaged (%s): the file was left as it is; "+
			"restore a copy, or move it away to start afresh (a new trust root: every terminal must then be pinned and enrolled again): %w",
			path, de.Detail, ErrCorrupt)
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("open upstream %s: %w", path, ErrLocked)
	case err != nil:
		return nil, fmt.Errorf("open upstream: %w", err)
	}
	return db, nil
}

// init creates the buckets and, on first start, the keys and admin token.
func (s *Server) init() error {
	var rootSeed, rootNextSeed, issuerSeed, nextSeed []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketPersons, bucketRevLog, bucketRevState, bucketReports,
			bucketSightings, bucketDevices, bucketEnroll, bucketTokenJTI, bucketTokenExp} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		var err error
		if rootSeed, err = seed(meta, keyRootSeed); err != nil {
			return err
		}
		if issuerSeed, err = seed(meta, keyIssuerSeed); err != nil {
			return err
		}
		if meta.Get(keyAdminToken) == nil {
			if err := meta.Put(keyAdminToken, []byte(randomToken(32))); err != nil {
				return err
			}
		}
		if s.adminToken == "" {
			s.adminToken = string(meta.Get(keyAdminToken))
		}
		if v := meta.Get(keyNextSeed); v != nil {
			nextSeed = append([]byte(nil), v...)
		}
		if v := meta.Get(keyRootNext); v != nil {
			rootNextSeed = append([]byte(nil), v...)
		}
		if v := meta.Get(keyRetired); v != nil {
			if err := json.Unmarshal(v, &s.retired); err != nil {
				return fmt.Errorf("retired issuer keys: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("initialise: %w", err)
	}
	if s.root, err = seedSigner(rootSeed); err != nil {
		return err
	}
	s.rootJWK = s.root.PublicJWK()
	if rootNextSeed != nil {
		if s.rootNext, err = seedSigner(rootNextSeed); err != nil {
			return err
		}
	}
	if s.issuer, err = seedSigner(issuerSeed); err != nil {
		return err
	}
	s.issuerJWK = s.issuer.PublicJWK()
	if nextSeed != nil {
		if s.next, err = seedSigner(nextSeed); err != nil {
			return err
		}
	}
	return nil
}

// seedSigner is the Ed25519 signer of a stored seed, its kid derived from
// the public key.
func seedSigner(seed []byte) (*verify.Signer, error) {
	key := ed25519.NewKeyFromSeed(seed)
	sg, err := verify.NewSigner(keyID(key.Public().(ed25519.PublicKey)), key)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	return sg, nil
}

// PrepareIssuerKey makes the next issuer key and publishes it in the trust
// list (next seq) without signing with it yet, so that terminals learn it
// before the first code it signs: prepare, wait until the terminals have
// synced (a day covers those offline overnight), then RotateIssuerKey.
// A key already prepared is kept and returned.
func (s *Server) PrepareIssuerKey(ctx context.Context) (verify.JWK, error) {
	if err := ctx.Err(); err != nil {
		return verify.JWK{}, err
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.next != nil {
		return s.next.PublicJWK(), nil
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := crand.Read(seed); err != nil {
		return verify.JWK{}, err
	}
	sg, err := seedSigner(seed)
	if err != nil {
		return verify.JWK{}, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyNextSeed, seed) })
	if err != nil {
		return verify.JWK{}, fmt.Errorf("prepare issuer key: %w", err)
	}
	s.next = sg
	s.log.Info("issuer key prepared", "kid", sg.Kid())
	return sg.PublicJWK(), nil
}

// RotateIssuerKey signs every code from now on with the key
// PrepareIssuerKey published. Without one it refuses (ErrBadRequest): a key
// no terminal has seen would make every new code unknown_key at every
// terminal that has not synced since. The old key stays in the trust list
// until the last code it signed has expired (its JWK carries that exp), so
// codes already on phones keep verifying. It returns the new current key.
func (s *Server) RotateIssuerKey(ctx context.Context) (verify.JWK, error) {
	if err := ctx.Err(); err != nil {
		return verify.JWK{}, err
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.next == nil {
		return verify.JWK{}, fmt.Errorf("rotate issuer key: %w: no next key published (prepare first, then wait until the terminals have synced)", ErrBadRequest)
	}
	old := s.issuerJWK
	old.EXP = s.now().Add(s.codeTTL).Unix() + 1
	retired := append(slices.Clone(s.retired), old)
	next := s.next
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seed := meta.Get(keyNextSeed)
		if seed == nil {
			return errors.New("prepared key missing from the file")
		}
		if err := putJSON(meta, keyRetired, retired); err != nil {
			return err
		}
		if err := meta.Put(keyIssuerSeed, append([]byte(nil), seed...)); err != nil {
			return err
		}
		return meta.Delete(keyNextSeed)
	})
	if err != nil {
		return verify.JWK{}, fmt.Errorf("rotate issuer key: %w", err)
	}
	s.issuer, s.issuerJWK, s.next, s.retired = next, next.PublicJWK(), nil, retired
	s.log.Info("issuer key rotated", "kid", s.issuerJWK.Kid, "old_kid", old.Kid, "old_until", time.Unix(old.EXP, 0).UTC())
	return s.issuerJWK, nil
}

// signer is the current issuer key.
func (s *Server) signer() *verify.Signer {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.issuer
}

// seed returns the 32-byte Ed25519 seed under key, creating it if absent.
func seed(meta *bolt.Bucket, key []byte) ([]byte, error) {
	if v := meta.Get(key); v != nil {
		if len(v) != ed25519.SeedSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", key, len(v), ed25519.SeedSize)
		}
		return append([]byte(nil), v...), nil
	}
	v := make([]byte, ed25519.SeedSize)
	if _, err := crand.Read(v); err != nil {
		return nil, err
	}
	return v, meta.Put(key, v)
}

// keyID is the kid of a key: 8 bytes of SHA-256 of the public key, base64url.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// randomToken is n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = crand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Close closes the file.
func (s *Server) Close() error { return s.db.Close() }

// IssuerJWK is the current issuer key as the trust list lists it.
func (s *Server) IssuerJWK() verify.JWK {
	s.keyMu.RLock()
	defer s.keyMu.RUnlock()
	return s.issuerJWK
}

// Issuer is the issuing platform's code (iss of its credentials).
func (s *Server) Issuer() string { return s.issuerIss }

// AdminToken is the bearer token the admin endpoints require. Treat it as
// a password: it is never logged.
func (s *Server) AdminToken() string { return s.adminToken }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Package storage owns a server's bbolt file: the records the node owns and
// the replicas of its descendants' records, the per-origin change logs with
// their hash chains, the per-origin watermarks and the rollup counters.
//
// Invariants (DESIGN §4):
//  1. A record change, its log entry, its watermark step and its rollup
//     deltas commit in one bbolt transaction.
//  2. For every area, the stored counters equal rollup.Recompute over the
//     stored records (Verify checks it).
//  3. Each origin's log holds a gap-free seq range whose chain verifies.
//
// All access goes through managed transactions; no Tx, bucket or slice
// obtained inside one escapes it.
package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"fedsync/area"
	"fedsync/registry"
)

// Options configure Open.
type Options struct {
	// LockTimeout bounds waiting for the file lock. Default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit. UNSAFE: a power failure loses
	// committed data. For benchmarks and tests only.
	NoSync bool
	// Now returns the local time (watermarks' heard-from). Default time.Now.
	Now func() time.Time
	// Redactor turns the store's own records into the bodies its log
	// holds and its parent receives (storage/redact.go). Default: the
	// default policy without a hash key, which refuses records holding
	// personal data to hash.
	Redactor *registry.Redactor
}

// Store is one server's bbolt store. It is safe for concurrent use.
type Store struct {
	path string
	opts Options
	area area.Code

	mu sync.RWMutex // guards db; Restore takes it exclusively to swap files
	db *bolt.DB
}

// Open opens or creates the store at path for the given node area. A file
// created for another area is refused.
func Open(path string, nodeArea area.Code, opts Options) (*Store, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Redactor == nil {
		opts.Redactor = defaultRedactor()
	}
	s := &Store{path: path, opts: opts, area: nodeArea}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.LockTimeout, NoSync: s.opts.NoSync, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("open store %s: %w", s.path, ErrLocked)
	}
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	if err := db.Update(s.initTx); err != nil {
		db.Close()
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	s.db = db
	return nil
}

// initTx creates the buckets of a new file, checks identity and schema of
// an existing one and migrates it forward.
func (s *Store) initTx(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketMeta, bucketRec, bucketLog, bucketWM, bucketRollup, bucketFloor} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	meta := tx.Bucket(bucketMeta)
	if a := meta.Get(metaArea); a != nil && area.Code(a) != s.area {
		return fmt.Errorf("file belongs to area %s, not %s: %w", a, s.area, ErrSchema)
	}
	if err := meta.Put(metaArea, []byte(s.area)); err != nil {
		return err
	}
	v := uint64(0)
	if b := meta.Get(metaSchema); b != nil {
		if len(b) != 8 {
			return fmt.Errorf("schema version: %w", ErrCorrupt)
		}
		v = beU64(b)
	}
	return migrate(tx, v)
}

// Close closes the file. Further calls return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return ErrClosed
	}
	err := s.db.Close()
	s.db = nil
	return err
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Area returns the node area the file belongs to.
func (s *Store) Area() area.Code { return s.area }

func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.Update(fn)
}

// AppliedIndex returns the last raft index applied to this store (0 when
// none). The FSM skips entries at or below it when raft replays its log.
func (s *Store) AppliedIndex() (uint64, error) {
	var idx uint64
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta).Get(metaApplied); len(b) == 8 {
			idx = beU64(b)
		}
		return nil
	})
	return idx, err
}

func setApplied(tx *bolt.Tx, idx uint64) error {
	if idx == 0 {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(metaApplied, u64(idx))
}

func appliedIn(tx *bolt.Tx) uint64 {
	if b := tx.Bucket(bucketMeta).Get(metaApplied); len(b) == 8 {
		return beU64(b)
	}
	return 0
}

func beU64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// removeFile removes path, ignoring a missing file.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

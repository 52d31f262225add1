package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. Changing them orphans existing data.
var (
	bucketLogs = []byte("logs")
	bucketConf = []byte("conf")
)

// Compile-time checks that Store is a complete raft storage backend.
var (
	_ raft.LogStore    = (*Store)(nil)
	_ raft.StableStore = (*Store)(nil)
)

// Store is a raft.LogStore and raft.StableStore backed by one bbolt file.
// It is safe for concurrent use; bbolt serialises writers and lets readers
// run alongside them. All methods return ErrClosed after Close.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens or creates the store file at path, takes an exclusive lock on
// it and creates the buckets if missing. When the lock is held elsewhere
// for longer than opts.Timeout, the error wraps ErrLocked. The caller must
// Close the Store to release the lock.
func Open(path string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("open raft store %s: %w", path, err)
	}
	opts = opts.withDefaults()
	db, err := bolt.Open(path, opts.FileMode, &bolt.Options{
		Timeout: opts.Timeout,
		NoSync:  opts.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open raft store %s: waited %s: %w", path, opts.Timeout, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open raft store %s: %w", path, err)
	}
	if err := db.Update(createBuckets); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open raft store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

func createBuckets(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketLogs, bucketConf} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// Path returns the file path the Store was opened with.
func (s *Store) Path() string { return s.path }

// Close releases the file lock and closes the file. It is idempotent.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close raft store %s: %w", s.path, err)
	}
	return nil
}

// Sync forces an fsync of the file. It is only useful with Options.NoSync;
// otherwise every write is already synced when it returns.
func (s *Store) Sync() error {
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("sync raft store: %w", err)
	}
	return nil
}

// Stats returns bbolt's database statistics (transactions, freelist pages).
func (s *Store) Stats() bolt.Stats { return s.db.Stats() }

// FirstIndex returns the lowest stored log index, or 0 if there are none.
func (s *Store) FirstIndex() (uint64, error) {
	var idx uint64
	err := s.view(func(tx *bolt.Tx) (err error) {
		k, _ := tx.Bucket(bucketLogs).Cursor().First()
		idx, err = indexFromKey(k)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("first index: %w", err)
	}
	return idx, nil
}

// LastIndex returns the highest stored log index, or 0 if there are none.
func (s *Store) LastIndex() (uint64, error) {
	var idx uint64
	err := s.view(func(tx *bolt.Tx) (err error) {
		k, _ := tx.Bucket(bucketLogs).Cursor().Last()
		idx, err = indexFromKey(k)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("last index: %w", err)
	}
	return idx, nil
}

// GetLog reads the entry at index into log. It returns raft.ErrLogNotFound,
// unwrapped as raft expects, when there is no such entry.
func (s *Store) GetLog(index uint64, log *raft.Log) error {
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLogs).Get(keyFromIndex(index))
		if v == nil {
			return raft.ErrLogNotFound
		}
		var l raft.Log
		if err := decodeLog(v, &l); err != nil {
			return err
		}
		if l.Index != index {
			return fmt.Errorf("key %d holds entry with index %d: %w", index, l.Index, ErrCorrupt)
		}
		*log = l
		return nil
	})
	if errors.Is(err, raft.ErrLogNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return fmt.Errorf("get log %d: %w", index, err)
	}
	return nil
}

// StoreLog stores one entry, replacing any entry at the same index.
func (s *Store) StoreLog(log *raft.Log) error {
	return s.StoreLogs([]*raft.Log{log})
}

// StoreLogs stores all entries in one transaction, replacing entries at the
// same indexes: either all are stored or none. Gaps are allowed.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLogs)
		for _, l := range logs {
			if l == nil {
				return ErrNilLog
			}
			if err := b.Put(keyFromIndex(l.Index), encodeLog(l)); err != nil {
				return fmt.Errorf("put %d: %w", l.Index, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store logs: %w", err)
	}
	return nil
}

// DeleteRange deletes entries with min <= index <= max in one transaction.
// Missing indexes are ignored; min > max deletes nothing.
func (s *Store) DeleteRange(min, max uint64) error {
	if min > max {
		return nil
	}
	err := s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketLogs).Cursor()
		start := keyFromIndex(min)
		// Re-seek after every delete rather than calling Next: Delete
		// shifts the node's elements under the cursor, so Next could skip
		// one.
		for k, _ := c.Seek(start); k != nil; k, _ = c.Seek(start) {
			idx, err := indexFromKey(k)
			if err != nil {
				return err
			}
			if idx > max {
				return nil
			}
			if err := c.Delete(); err != nil {
				return fmt.Errorf("delete %d: %w", idx, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete range [%d, %d]: %w", min, max, err)
	}
	return nil
}

// view runs fn in a read-only transaction, mapping a closed DB to ErrClosed.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return closedErr(s.db.View(fn))
}

// update runs fn in a read-write transaction, mapping a closed DB to
// ErrClosed.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	return closedErr(s.db.Update(fn))
}

func closedErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// keyFromIndex returns the 8-byte big-endian key for a log index. Each call
// returns a fresh slice, as bbolt requires keys to outlive Put's tx.
func keyFromIndex(idx uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), idx)
}

// indexFromKey decodes a log key; a nil key (empty bucket) yields 0.
func indexFromKey(k []byte) (uint64, error) {
	if k == nil {
		return 0, nil
	}
	if len(k) != 8 {
		return 0, fmt.Errorf("log key of %d bytes: %w", len(k), ErrCorrupt)
	}
	return binary.BigEndian.Uint64(k), nil
}

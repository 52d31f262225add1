package raftstore

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Set stores val under key in the "conf" bucket, replacing any old value.
// key must be non-empty. The caller may reuse key and val once Set returns.
func (s *Store) Set(key, val []byte) error {
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketConf).Put(key, val)
	})
	if err != nil {
		return fmt.Errorf("set %q: %w", key, err)
	}
	return nil
}

// Get returns a copy of the value stored under key, or an empty non-nil
// slice and no error when key is absent, as raft.StableStore requires.
func (s *Store) Get(key []byte) ([]byte, error) {
	val := []byte{}
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketConf).Get(key); v != nil {
			val = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	return val, nil
}

// SetUint64 stores val under key as 8 big-endian bytes.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 returns the value stored by SetUint64 under key, or 0 and no
// error when key is absent. A value that is not 8 bytes wraps ErrCorrupt.
func (s *Store) GetUint64(key []byte) (uint64, error) {
	var val uint64
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketConf).Get(key)
		if v == nil {
			return nil
		}
		if len(v) != 8 {
			return fmt.Errorf("value of %d bytes, want 8: %w", len(v), ErrCorrupt)
		}
		val = binary.BigEndian.Uint64(v)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("get uint64 %q: %w", key, err)
	}
	return val, nil
}

package storage

import (
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/rollup"
)

var _ rollup.Counters = (*txCounters)(nil)

// txCounters buffers counter deltas of one write transaction so that a
// batch touching the same counters many times writes each once, at flush.
// Get sees stored value plus pending delta.
type txCounters struct {
	b       *bolt.Bucket
	pending map[string]int64
}

func newTxCounters(tx *bolt.Tx) *txCounters {
	return &txCounters{b: tx.Bucket(bucketRollup), pending: map[string]int64{}}
}

func (c *txCounters) Add(a area.Code, dim string, delta int64) {
	c.pending[string(rollupKey(a, dim))] += delta
}

func (c *txCounters) Get(a area.Code, dim string) int64 {
	k := rollupKey(a, dim)
	return getCounter(c.b, k) + c.pending[string(k)]
}

// flush writes every non-zero delta in key order; a counter reaching zero
// is deleted, so a stored counter is never zero.
func (c *txCounters) flush() error {
	keys := make([]string, 0, len(c.pending))
	for k, d := range c.pending {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := getCounter(c.b, []byte(k)) + c.pending[k]
		var err error
		if v == 0 {
			err = c.b.Delete([]byte(k))
		} else {
			err = c.b.Put([]byte(k), binary.BigEndian.AppendUint64(nil, uint64(v)))
		}
		if err != nil {
			return err
		}
	}
	clear(c.pending)
	return nil
}

func getCounter(b *bolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// roCounters reads counters inside a read transaction.
type roCounters struct{ b *bolt.Bucket }

func (c roCounters) Add(area.Code, string, int64) { panic("storage: Add on read-only counters") }
func (c roCounters) Get(a area.Code, dim string) int64 {
	return getCounter(c.b, rollupKey(a, dim))
}

// ReadCounters runs fn with a consistent read-only view of every counter.
// fn must not keep the Counters after it returns.
func (s *Store) ReadCounters(fn func(rollup.Counters) error) error {
	return s.view(func(tx *bolt.Tx) error { return fn(roCounters{tx.Bucket(bucketRollup)}) })
}

// AreaCounters returns every counter of one area.
func (s *Store) AreaCounters(a area.Code) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRollup).Cursor()
		p := []byte(a)
		for k, v := c.Seek(p); k != nil && len(k) >= 12 && string(k[:12]) == string(a); k, v = c.Next() {
			out[string(k[12:])] = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return out, err
}

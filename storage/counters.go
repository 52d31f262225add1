package storage

import (
	"encoding/binary"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/rollup"
)

var _ rollup.Counters = (*txCounters)(nil)

// ckey names one counter without allocating a byte key.
type ckey struct {
	area area.Code
	dim  string
}

// txCounters caches the counters one write transaction reads and changes.
// Add records a delta at the area it is given; flush spreads every delta
// over the area's ancestors and writes each changed counter once. A batch
// of 1,000 records touching the same few hundred counters thus costs a few
// hundred B-tree operations, not tens of thousands. Get returns the stored
// value plus the deltas added at that very area (see rollup.Counters).
type txCounters struct {
	b    *bolt.Bucket
	vals map[ckey]*cval // every counter read or changed
}

// cval is a counter's stored value and the delta added at its own area.
type cval struct {
	v     int64 // stored value + delta
	delta int64
	dirty bool
}

func newTxCounters(tx *bolt.Tx) *txCounters {
	return &txCounters{b: tx.Bucket(bucketRollup), vals: map[ckey]*cval{}}
}

func (c *txCounters) load(a area.Code, dim string) *cval {
	k := ckey{a, dim}
	cv := c.vals[k]
	if cv == nil {
		cv = &cval{v: getCounter(c.b, rollupKey(a, dim))}
		c.vals[k] = cv
	}
	return cv
}

func (c *txCounters) Add(a area.Code, dim string, delta int64) {
	cv := c.load(a, dim)
	cv.v += delta
	cv.delta += delta
	cv.dirty = true
}

func (c *txCounters) Get(a area.Code, dim string) int64 { return c.load(a, dim).v }

// flush writes every changed counter in key order; a counter at zero is
// deleted, so a stored counter is never zero.
func (c *txCounters) flush() error {
	// Spread each area's own delta to its ancestors (read first, so that
	// every ancestor's stored value is loaded before it is changed).
	var deltas []struct {
		k ckey
		d int64
	}
	for k, cv := range c.vals {
		if cv.dirty && cv.delta != 0 {
			deltas = append(deltas, struct {
				k ckey
				d int64
			}{k, cv.delta})
		}
	}
	for _, x := range deltas {
		for _, anc := range x.k.area.Ancestors()[1:] {
			cv := c.load(anc, x.k.dim)
			cv.v += x.d
			cv.dirty = true
		}
	}
	keys := make([]ckey, 0, len(c.vals))
	for k, cv := range c.vals {
		if cv.dirty {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y ckey) int {
		if n := strings.Compare(string(x.area), string(y.area)); n != 0 {
			return n
		}
		return strings.Compare(x.dim, y.dim)
	})
	for _, k := range keys {
		cv := c.vals[k]
		key, v := rollupKey(k.area, k.dim), cv.v
		cv.dirty, cv.delta = false, 0
		var err error
		if v == 0 {
			err = c.b.Delete(key)
		} else {
			err = c.b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(v)))
		}
		if err != nil {
			return err
		}
	}
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
		for k, v := c.Seek(p); len(k) >= 12 && string(k[:12]) == string(a); k, v = c.Next() {
			out[string(k[12:])] = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return out, err
}

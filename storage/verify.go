package storage

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
)

const maxProblems = 100

// Verify checks the invariants of the whole file in one read transaction:
// every counter equals the recomputation from the stored records, and every
// origin's log is gap-free with a chain that verifies and ends at the
// watermark. It reads everything: its cost grows with the store.
func (s *Store) Verify(ctx context.Context) (*VerifyReport, error) {
	rep := &VerifyReport{}
	err := s.view(func(tx *bolt.Tx) error {
		want, err := s.recompute(ctx, tx, rep)
		if err != nil {
			return err
		}
		compareCounters(tx, want, rep)
		return verifyChains(ctx, tx, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

func (r *VerifyReport) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "… more problems not listed")
	}
}

// recompute rebuilds every counter from the stored records, checking each:
// the store's own in full, every other origin's in redacted form.
func (s *Store) recompute(ctx context.Context, tx *bolt.Tx, rep *VerifyReport) (rollup.Map, error) {
	m := rollup.Map{}
	for _, k := range registry.Kinds {
		c := tx.Bucket(bucketRec).Cursor()
		p := recPrefix(k, "")
		for key, v := c.Seek(p); key != nil && len(key) > len(p) && string(key[:len(p)]) == string(p); key, v = c.Next() {
			if rep.Records%4096 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			rep.Records++
			_, _, body, err := decodeEnvelope(v)
			if err != nil {
				rep.problem("record %q: %v", key, err)
				continue
			}
			origin, _ := splitRecKey(k, key)
			rec, err := s.checkStored(origin, k, body)
			if err != nil {
				rep.problem("record %q: %v", key, err)
				continue
			}
			rollup.Apply(m, nil, rec)
		}
	}
	return m, nil
}

func compareCounters(tx *bolt.Tx, want rollup.Map, rep *VerifyReport) {
	seen := map[string]bool{}
	tx.Bucket(bucketRollup).ForEach(func(k, v []byte) error {
		rep.Counters++
		a, dim := area.Code(k[:12]), string(k[12:])
		got := int64(binary.BigEndian.Uint64(v))
		if w := want.Get(a, dim); got != w {
			rep.problem("counter %s %s: stored %d, recomputed %d", a, dim, got, w)
		}
		seen[string(k)] = true
		return nil
	})
	for a, dims := range want {
		for dim, w := range dims {
			if !seen[string(rollupKey(a, dim))] {
				rep.problem("counter %s %s: missing, recomputed %d", a, dim, w)
			}
		}
	}
}

// verifyChains walks every origin's log.
func verifyChains(ctx context.Context, tx *bolt.Tx, rep *VerifyReport) error {
	wmb := tx.Bucket(bucketWM)
	return tx.Bucket(bucketLog).ForEachBucket(func(name []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		origin := area.Code(name)
		oc := OriginCheck{Origin: origin, ChainOK: true}
		f := getFloor(tx, origin)
		chain := f.chain
		oc.Last = f.seq
		c := tx.Bucket(bucketLog).Bucket(name).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			rep.Entries++
			e, err := decodeEntry(origin, beU64(k), v)
			if err != nil {
				rep.problem("%v", err)
				oc.ChainOK = false
				break
			}
			if oc.First == 0 {
				oc.First = e.Seq
			}
			if e.Seq != oc.Last+1 {
				rep.problem("origin %s: gap after seq %d (next held %d)", origin, oc.Last, e.Seq)
				oc.ChainOK = false
			}
			if ChainNext(chain, e) != e.Chain {
				rep.problem("origin %s: chain broken at seq %d", origin, e.Seq)
				oc.ChainOK = false
			}
			chain, oc.Last = e.Chain, e.Seq
		}
		oc.Head = hex.EncodeToString(chain[:])
		if v := wmb.Get(name); v != nil {
			if w, err := decodeWatermark(origin, v); err != nil || w.Seq != oc.Last || w.Chain != chain {
				rep.problem("origin %s: watermark does not match the log head (seq %d)", origin, oc.Last)
				oc.ChainOK = false
			}
		}
		rep.Origins = append(rep.Origins, oc)
		return nil
	})
}

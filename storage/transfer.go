package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// ErrPruned is returned by Entries when the log no longer holds the entry
// asked for: it was pruned after the parent acknowledged it, or the origin
// arrived here by state transfer. A sender then sends the origin's state
// (OriginState) instead. Use errors.As with *PrunedError for the floor.
var ErrPruned = errors.New("log entries pruned")

// PrunedError says where an origin's log now starts.
type PrunedError struct {
	Origin area.Code
	Floor  uint64 // entries at or below Floor are gone; Floor+1 is the first held
}

func (e *PrunedError) Error() string {
	return fmt.Sprintf("origin %s: entries up to seq %d are no longer held: %v", e.Origin, e.Floor, ErrPruned)
}

func (e *PrunedError) Unwrap() error { return ErrPruned }

// floor is the seq and chain below an origin's first held log entry.
type floor struct {
	seq   uint64
	chain [32]byte
}

func getFloor(tx *bolt.Tx, origin area.Code) floor {
	v := tx.Bucket(bucketFloor).Get([]byte(origin))
	if len(v) != 41 || v[0] != encVersion {
		return floor{}
	}
	f := floor{seq: binary.BigEndian.Uint64(v[1:])}
	copy(f.chain[:], v[9:])
	return f
}

func putFloor(tx *bolt.Tx, origin area.Code, f floor) error {
	b := append([]byte{encVersion}, u64(f.seq)...)
	return tx.Bucket(bucketFloor).Put([]byte(origin), append(b, f.chain[:]...))
}

// Prune removes origin's log entries at or below upto (at most its
// watermark) and records the floor, so that the log keeps verifying. It
// returns how many entries it removed. raftIndex works as in ApplyLocal.
func (s *Store) Prune(raftIndex uint64, origin area.Code, upto uint64) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		lb := tx.Bucket(bucketLog).Bucket([]byte(origin))
		if lb == nil {
			return setApplied(tx, raftIndex)
		}
		last := lb.Get(u64(upto))
		if last == nil {
			return fmt.Errorf("prune %s to %d: entry %d is not held: %w", origin, upto, upto, ErrNotFound)
		}
		e, err := decodeEntry(origin, upto, last)
		if err != nil {
			return err
		}
		c := lb.Cursor()
		for k, _ := c.First(); k != nil && beU64(k) <= upto; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n++
		}
		if err := putFloor(tx, origin, floor{seq: upto, chain: e.Chain}); err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	return n, nil
}

// OriginState is an origin's records as of one seq: what a parent that
// lacks entries the log no longer holds receives instead (a state
// transfer), after which it continues from Seq+1.
type OriginState struct {
	Origin  area.Code
	Seq     uint64
	Chain   [32]byte
	Time    int64 // origin time of entry Seq
	Records []Stored
}

// State reads origin's records and watermark in one transaction. The
// store's own records are returned in the redacted form its log holds.
func (s *Store) State(origin area.Code) (*OriginState, error) {
	st := &OriginState{Origin: origin}
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketWM).Get([]byte(origin))
		if v == nil {
			return fmt.Errorf("state of %s: %w", origin, ErrNotFound)
		}
		w, err := decodeWatermark(origin, v)
		if err != nil {
			return err
		}
		st.Seq, st.Chain, st.Time = w.Seq, w.Chain, w.Time
		for _, k := range registry.Kinds {
			p := recPrefix(k, string(origin))
			c := tx.Bucket(bucketRec).Cursor()
			for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Next() {
				_, id := splitRecKey(k, key)
				rec, err := storedFrom(k, origin, id, v)
				if err != nil {
					return err
				}
				if origin == s.area {
					if rec.Body, err = s.sentBody(k, rec.Body); err != nil {
						return fmt.Errorf("state of %s: %s %q: %w", origin, k, id, err)
					}
				}
				st.Records = append(st.Records, rec)
			}
		}
		return nil
	})
	return st, err
}

// InstallState replaces what this store holds of st.Origin with st, sent
// by sender: the origin's records, counters, watermark and an empty log
// whose floor is st.Seq. A state at or below the watermark is a duplicate
// and changes nothing. The same jurisdiction rules as ApplyRemote apply,
// and every record is checked before anything changes.
func (s *Store) InstallState(raftIndex uint64, sender area.Code, st *OriginState) (RangeResult, error) {
	var res RangeResult
	err := s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		ts := s.newTxState(tx)
		var err error
		if res, err = ts.install(sender, st); err != nil {
			return err
		}
		if err := ts.flush(s.opts.Now().UnixNano()); err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
	if err != nil {
		return RangeResult{}, fmt.Errorf("install state of %s from %s: %w", st.Origin, sender, err)
	}
	return res, nil
}

func (ts *txState) install(sender area.Code, st *OriginState) (RangeResult, error) {
	res := RangeResult{Origin: st.Origin}
	w, err := ts.watermark(st.Origin)
	if err != nil {
		return res, err
	}
	res.Watermark = w.Seq
	if err := ts.checkRemoteOrigin(sender, RemoteRange{Origin: st.Origin, Entries: []Entry{{Origin: st.Origin, Seq: st.Seq}}}); err != nil {
		res.Status, res.Err = RangeRefused, err
		return res, nil
	}
	if st.Seq <= w.Seq {
		ts.heard[st.Origin], w.Via = true, sender
		res.Status = RangeDuplicate
		return res, nil
	}
	recs, err := checkState(st)
	if err != nil {
		res.Status, res.Err = RangeRefused, err
		return res, nil
	}
	if err := ts.dropOrigin(st.Origin); err != nil {
		return res, err
	}
	for i, r := range st.Records {
		key := recKey(r.Kind, st.Origin, r.ID)
		if err := ts.tx.Bucket(bucketRec).Put(key, encodeEnvelope(r.Seq, r.Updated.UnixNano(), r.Body)); err != nil {
			return res, err
		}
		applyRollup(ts, nil, recs[i])
	}
	w.Seq, w.Chain, w.Time, w.Via = st.Seq, st.Chain, st.Time, sender
	ts.heard[st.Origin] = true
	if err := putFloor(ts.tx, st.Origin, floor{seq: st.Seq, chain: st.Chain}); err != nil {
		return res, err
	}
	res.Status, res.Applied, res.Watermark = RangeApplied, len(st.Records), st.Seq
	return res, nil
}

// checkState decodes and checks every record of a state.
func checkState(st *OriginState) ([]registry.Record, error) {
	recs := make([]registry.Record, len(st.Records))
	for i, r := range st.Records {
		if err := Owns(st.Origin.Level(), r.Kind); err != nil {
			return nil, fmt.Errorf("state of %s: %w: %w", st.Origin, ErrJurisdiction, err)
		}
		rec, err := registry.ValidateRedacted(r.Kind, r.Body)
		if err != nil {
			return nil, fmt.Errorf("state of %s: record %s %q: %w", st.Origin, r.Kind, r.ID, err)
		}
		if rec.RecordID() != r.ID || !st.Origin.Contains(rec.Area()) || r.Seq > st.Seq {
			return nil, fmt.Errorf("state of %s: record %s %q lies in %s at seq %d: %w", st.Origin, r.Kind, r.ID, rec.Area(), r.Seq, ErrJurisdiction)
		}
		recs[i] = rec
	}
	return recs, nil
}

// dropOrigin removes every record of origin (and its contribution to the
// counters) and its whole log.
func (ts *txState) dropOrigin(origin area.Code) error {
	for _, k := range registry.Kinds {
		p := recPrefix(k, string(origin))
		c := ts.tx.Bucket(bucketRec).Cursor()
		for key, v := c.Seek(p); key != nil && bytes.HasPrefix(key, p); key, v = c.Seek(p) {
			_, _, body, err := decodeEnvelope(v)
			if err != nil {
				return err
			}
			rec, err := decodeStored(k, bytes.Clone(body))
			if err != nil {
				return fmt.Errorf("stored %s %q: %w: %w", k, key, ErrCorrupt, err)
			}
			if err := c.Delete(); err != nil {
				return err
			}
			applyRollup(ts, rec, nil)
		}
	}
	if ts.tx.Bucket(bucketLog).Bucket([]byte(origin)) != nil {
		return ts.tx.Bucket(bucketLog).DeleteBucket([]byte(origin))
	}
	return nil
}

// PruneBefore prunes origin's log up to the last entry at or below maxSeq
// whose origin time is before olderThan (Unix ns); the retention of a node
// whose parent has acknowledged up to maxSeq. It returns the number of
// entries removed.
func (s *Store) PruneBefore(raftIndex uint64, origin area.Code, maxSeq uint64, olderThan int64) (int, error) {
	var upto uint64
	err := s.view(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLog).Bucket([]byte(origin))
		if lb == nil {
			return nil
		}
		c := lb.Cursor()
		for k, v := c.First(); k != nil && beU64(k) <= maxSeq; k, v = c.Next() {
			if len(v) < 9 || int64(binary.BigEndian.Uint64(v[1:9])) >= olderThan {
				break
			}
			upto = beU64(k)
		}
		return nil
	})
	if err != nil || upto == 0 {
		if err == nil && raftIndex != 0 {
			err = s.update(func(tx *bolt.Tx) error {
				if raftIndex <= appliedIn(tx) {
					return nil
				}
				return setApplied(tx, raftIndex)
			})
		}
		return 0, err
	}
	return s.Prune(raftIndex, origin, upto)
}

// FirstHeld returns origin's first held log entry's seq and origin time;
// ok is false when the log holds none.
func (s *Store) FirstHeld(origin area.Code) (seq uint64, t int64, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLog).Bucket([]byte(origin))
		if lb == nil {
			return nil
		}
		k, v := lb.Cursor().First()
		if k == nil || len(v) < 9 {
			return nil
		}
		seq, t, ok = beU64(k), int64(binary.BigEndian.Uint64(v[1:9])), true
		return nil
	})
	return seq, t, ok, err
}

package storage

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
)

// txState is the state of one write transaction: buffered counters and
// watermarks, flushed together before commit.
type txState struct {
	s    *Store
	tx   *bolt.Tx
	ctrs *txCounters
	wms  map[area.Code]*Watermark // read or changed in this transaction
	// heard lists the origins whose watermark flush writes: those with an
	// applied entry, or heard from through a valid range.
	heard map[area.Code]bool
}

func (s *Store) newTxState(tx *bolt.Tx) *txState {
	return &txState{s: s, tx: tx, ctrs: newTxCounters(tx), wms: map[area.Code]*Watermark{}, heard: map[area.Code]bool{}}
}

// watermark returns the (buffered) watermark of origin.
func (st *txState) watermark(origin area.Code) (*Watermark, error) {
	if w, ok := st.wms[origin]; ok {
		return w, nil
	}
	w := &Watermark{Origin: origin}
	if v := st.tx.Bucket(bucketWM).Get([]byte(origin)); v != nil {
		d, err := decodeWatermark(origin, v)
		if err != nil {
			return nil, err
		}
		*w = d
	}
	st.wms[origin] = w
	return w, nil
}

func (st *txState) flush(heard int64) error {
	for o := range st.heard {
		w := st.wms[o]
		w.HeardFrom = heard
		if err := st.tx.Bucket(bucketWM).Put([]byte(o), encodeWatermark(*w)); err != nil {
			return err
		}
	}
	return st.ctrs.flush()
}

// ApplyLocal applies mutations of the node's own origin as one transaction,
// stamping entries with time t (Unix ns, chosen by the raft leader so that
// every server applies the same bytes). raftIndex, when non-zero, is
// recorded; a call with raftIndex at or below the recorded one is a replay
// and returns (nil, nil) without effect. Refused mutations are reported in
// their Result and do not stop the others.
func (s *Store) ApplyLocal(raftIndex uint64, t int64, muts []Mutation) ([]Result, error) {
	var results []Result
	err := s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		st := s.newTxState(tx)
		results = make([]Result, len(muts))
		for i, m := range muts {
			if m.Kind == KindAudit {
				continue // auditLocal writes it, after the others
			}
			r, err := st.local(t, m)
			if err != nil {
				return err
			}
			results[i] = r
		}
		if err := st.auditLocal(t, muts, results); err != nil {
			return err
		}
		if err := st.flush(s.opts.Now().UnixNano()); err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
	if err != nil {
		return nil, fmt.Errorf("apply local batch: %w", err)
	}
	return results, nil
}

// local applies one mutation. A refusal is returned in the Result; the
// error is for storage failures that must abort the transaction.
func (st *txState) local(t int64, m Mutation) (Result, error) {
	origin := st.s.area
	key := recKey(m.Kind, origin, m.ID)
	old, oldBody, err := st.loadRecord(m.Kind, key)
	if err != nil {
		return Result{}, err
	}
	e := Entry{Origin: origin, Time: t, Kind: m.Kind, ID: m.ID, Op: m.Op}
	var rec registry.Record
	var full []byte // the record as stored; e.Body is its redacted form
	switch m.Op {
	case OpPut:
		var body []byte
		rec, body, err = st.checkPut(m)
		if err != nil {
			return Result{Err: err}, nil
		}
		if old != nil && bytes.Equal(oldBody, body) {
			return Result{Unchanged: true, Body: oldBody}, nil
		}
		if old != nil && m.Mode == ModeCreate {
			return Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, ErrExists)}, nil
		}
		if old == nil && m.Mode == ModeUpdate {
			return Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, ErrNotFound)}, nil
		}
		full = body
		if e.Body, err = st.s.opts.Redactor.Redact(rec); err != nil {
			return Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, err)}, nil
		}
	case OpDelete:
		if old == nil {
			return Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, ErrNotFound)}, nil
		}
	default:
		return Result{Err: fmt.Errorf("%s %q: invalid op %d: %w", m.Kind, m.ID, m.Op, ErrConflict)}, nil
	}
	w, err := st.watermark(origin)
	if err != nil {
		return Result{}, err
	}
	e.Seq = w.Seq + 1
	e.Chain = ChainNext(w.Chain, e)
	if err := st.write(e, full, old, rec); err != nil {
		return Result{}, err
	}
	return Result{Seq: e.Seq, Body: full, Created: m.Op == OpPut && old == nil}, nil
}

// checkPut decodes and validates a put against the origin and stored state,
// returning the record and its body. m.Body must be canonical
// (registry.Encode): equal records then have equal bodies, which is how a
// repeated import is told from a changed one.
func (st *txState) checkPut(m Mutation) (registry.Record, []byte, error) {
	if err := Owns(st.s.area.Level(), m.Kind); err != nil {
		return nil, nil, err
	}
	rec, err := registry.Decode(m.Kind, m.Body)
	if err != nil {
		return nil, nil, err
	}
	if err := rec.Validate(); err != nil {
		return nil, nil, err
	}
	if rec.RecordID() != m.ID {
		return nil, nil, &registry.FieldError{Kind: m.Kind, Field: "id", Rule: "must equal the id the change is addressed to " + m.ID, Value: rec.RecordID()}
	}
	if !st.s.area.Contains(rec.Area()) {
		return nil, nil, fmt.Errorf("%s %q lies in %s, outside this node's area %s: %w", m.Kind, m.ID, rec.Area(), st.s.area, ErrConflict)
	}
	if err := st.checkRefs(st.s.area, rec); err != nil {
		return nil, nil, err
	}
	return rec, m.Body, nil
}

// checkRefs refuses activities, projects and talent whose org is unknown.
func (st *txState) checkRefs(origin area.Code, rec registry.Record) error {
	var org string
	switch r := rec.(type) {
	case registry.Activity:
		org = r.Org
	case registry.Project:
		org = r.Org
	case registry.Talent:
		org = r.Org
	default:
		return nil
	}
	if st.tx.Bucket(bucketRec).Get(recKey(registry.KindOrg, origin, org)) == nil {
		return &registry.FieldError{Kind: rec.Kind(), Field: "org", Rule: "must name an existing organization of this node", Value: org}
	}
	return nil
}

// loadRecord returns the stored record under key (nil when absent) and a
// copy of its body.
func (st *txState) loadRecord(k registry.Kind, key []byte) (registry.Record, []byte, error) {
	v := st.tx.Bucket(bucketRec).Get(key)
	if v == nil {
		return nil, nil, nil
	}
	_, _, body, err := decodeEnvelope(v)
	if err != nil {
		return nil, nil, err
	}
	body = bytes.Clone(body)
	rec, err := decodeStored(k, body)
	if err != nil {
		return nil, nil, fmt.Errorf("stored %s %q: %w: %w", k, key, ErrCorrupt, err)
	}
	return rec, body, nil
}

// write applies entry e: record, log, watermark and rollups, in st's tx.
// body is the record's body to store (at the origin the full record, whose
// redacted form is e.Body; elsewhere e.Body). old is the record it replaces
// (nil when none), rec the new one (nil for a delete).
func (st *txState) write(e Entry, body []byte, old, rec registry.Record) error {
	key := recKey(e.Kind, e.Origin, e.ID)
	recs := st.tx.Bucket(bucketRec)
	var err error
	switch {
	case e.Kind == KindAudit:
		err = putAudit(st.tx, e)
	case e.Op == OpDelete:
		err = recs.Delete(key)
	default:
		err = recs.Put(key, encodeEnvelope(e.Seq, e.Time, body))
	}
	if err != nil {
		return err
	}
	lb, err := st.tx.Bucket(bucketLog).CreateBucketIfNotExists([]byte(e.Origin))
	if err != nil {
		return err
	}
	lb.FillPercent = 1.0 // append-only keys
	if err := lb.Put(u64(e.Seq), encodeEntry(e)); err != nil {
		return err
	}
	w, err := st.watermark(e.Origin)
	if err != nil {
		return err
	}
	if e.Seq != w.Seq+1 {
		return errors.New("storage: internal: non-consecutive seq")
	}
	w.Seq, w.Chain, w.Time = e.Seq, e.Chain, e.Time
	st.heard[e.Origin] = true
	applyRollup(st, old, rec)
	return nil
}

// Owns returns nil when a node of level l may write records of kind k, and
// an error wrapping ErrNotOwner otherwise.
func Owns(l area.Level, k registry.Kind) error {
	ok := false
	switch k {
	case registry.KindRegistration:
		ok = l == area.LevelCounty
	case registry.KindPlatform:
		ok = l == area.LevelStreet || l == area.LevelCounty || l == area.LevelCity
	default:
		ok = l == area.LevelStreet
	}
	if !ok {
		return fmt.Errorf("%s records cannot be written at a %s node: %w", k, l, ErrNotOwner)
	}
	return nil
}

// applyRollup moves the counters from old to rec (either may be nil).
func applyRollup(st *txState, old, rec registry.Record) { rollup.Apply(st.ctrs, old, rec) }

package storage

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// RemoteRange is a gap-free run of one origin's log entries received from a
// child node, in seq order, each with its Chain filled in.
type RemoteRange struct {
	Origin  area.Code
	Entries []Entry
}

// RangeStatus is what ApplyRemote did with one range.
type RangeStatus uint8

// Range statuses.
const (
	// RangeApplied: the entries above the watermark were applied (entries
	// at or below it were skipped as duplicates).
	RangeApplied RangeStatus = 1
	// RangeDuplicate: every entry was at or below the watermark; nothing
	// changed.
	RangeDuplicate RangeStatus = 2
	// RangeGap: the range starts above watermark+1; nothing changed and the
	// sender must rewind to Watermark+1.
	RangeGap RangeStatus = 3
	// RangeRefused: the range breaks a rule (Err says which); nothing of it
	// changed.
	RangeRefused RangeStatus = 4
)

func (s RangeStatus) String() string {
	switch s {
	case RangeApplied:
		return "applied"
	case RangeDuplicate:
		return "duplicate"
	case RangeGap:
		return "gap"
	case RangeRefused:
		return "refused"
	}
	return "invalid"
}

// RangeResult reports one range of ApplyRemote. Watermark is the origin's
// watermark after the call: what the sender may consider acknowledged.
type RangeResult struct {
	Origin    area.Code
	Status    RangeStatus
	Applied   int
	Watermark uint64
	Err       error
}

// Errors of ApplyRemote, wrapped in RangeResult.Err.
var (
	// ErrJurisdiction is returned when a sender delivers an origin outside
	// its subtree, an origin outside this node's subtree, or a record
	// outside its origin's area.
	ErrJurisdiction = errors.New("outside jurisdiction")
	// ErrChain is returned when an entry does not continue the stored chain
	// of its origin.
	ErrChain = errors.New("hash chain does not continue")
	// ErrRange is returned when a range's entries are not one origin's
	// consecutive seqs.
	ErrRange = errors.New("malformed range")
)

// ApplyRemote applies ranges of descendants' logs received from sender in
// one transaction (one raft entry). Per origin it applies only what
// continues the watermark: entries at or below it are duplicates and are
// skipped, a range starting above watermark+1 is a gap and is refused with
// the watermark, and every applied entry must continue the stored chain.
// A range is checked whole before any of it is applied, so each origin's
// contribution is always a prefix of its log. raftIndex works as in
// ApplyLocal.
func (s *Store) ApplyRemote(raftIndex uint64, sender area.Code, ranges []RemoteRange) ([]RangeResult, error) {
	var results []RangeResult
	err := s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		st := s.newTxState(tx)
		results = make([]RangeResult, len(ranges))
		for i, r := range ranges {
			res, err := st.remote(sender, r)
			if err != nil {
				return err
			}
			results[i] = res
		}
		if err := st.flush(s.opts.Now().UnixNano()); err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
	if err != nil {
		return nil, fmt.Errorf("apply remote batch from %s: %w", sender, err)
	}
	return results, nil
}

func (st *txState) remote(sender area.Code, r RemoteRange) (RangeResult, error) {
	res := RangeResult{Origin: r.Origin}
	w, err := st.watermark(r.Origin)
	if err != nil {
		return res, err
	}
	res.Watermark = w.Seq
	refuse := func(err error) (RangeResult, error) {
		res.Status, res.Err = RangeRefused, err
		return res, nil
	}
	if err := st.checkRemoteOrigin(sender, r); err != nil {
		return refuse(err)
	}
	skip := 0
	for skip < len(r.Entries) && r.Entries[skip].Seq <= w.Seq {
		skip++
	}
	fresh := r.Entries[skip:]
	switch {
	case len(fresh) == 0:
		st.heard[r.Origin], w.Via = true, sender
		res.Status = RangeDuplicate
		return res, nil
	case fresh[0].Seq != w.Seq+1:
		st.heard[r.Origin] = true
		res.Status = RangeGap
		res.Err = fmt.Errorf("origin %s: range starts at seq %d, watermark is %d", r.Origin, fresh[0].Seq, w.Seq)
		return res, nil
	}
	recs, err := st.checkRemoteEntries(w.Chain, fresh)
	if err != nil {
		return refuse(err)
	}
	for i, e := range fresh {
		old, _, err := st.loadRecord(e.Kind, recKey(e.Kind, e.Origin, e.ID))
		if err != nil {
			return res, err
		}
		if err := st.write(e, e.Body, old, recs[i]); err != nil {
			return res, err
		}
	}
	w.Via = sender
	res.Status, res.Applied, res.Watermark = RangeApplied, len(fresh), w.Seq
	return res, nil
}

// checkRemoteOrigin enforces jurisdiction and range shape.
func (st *txState) checkRemoteOrigin(sender area.Code, r RemoteRange) error {
	node := st.s.area
	switch {
	case sender == node || !node.Contains(sender):
		return fmt.Errorf("sender %s is not below this node's area %s: %w", sender, node, ErrJurisdiction)
	case !sender.Contains(r.Origin):
		return fmt.Errorf("origin %s is outside sender %s's area: %w", r.Origin, sender, ErrJurisdiction)
	case len(r.Entries) == 0:
		return fmt.Errorf("origin %s: empty range: %w", r.Origin, ErrRange)
	}
	for i, e := range r.Entries {
		if e.Origin != r.Origin || e.Seq != r.Entries[0].Seq+uint64(i) {
			return fmt.Errorf("origin %s: entry %d is %s/%d: %w", r.Origin, i, e.Origin, e.Seq, ErrRange)
		}
	}
	return nil
}

// checkRemoteEntries checks the chain and every record of entries that
// continue a watermark with chain prev, returning the decoded records (nil
// for deletes). Every body must be in the redacted form its origin's
// policy sends (registry.ValidateRedacted).
func (st *txState) checkRemoteEntries(prev [32]byte, entries []Entry) ([]registry.Record, error) {
	recs := make([]registry.Record, len(entries))
	for i, e := range entries {
		if ChainNext(prev, e) != e.Chain {
			return nil, fmt.Errorf("origin %s seq %d: %w", e.Origin, e.Seq, ErrChain)
		}
		prev = e.Chain
		if e.Kind == KindAudit {
			if err := checkAuditEntry(e); err != nil {
				return nil, err
			}
			continue
		}
		if err := Owns(e.Origin.Level(), e.Kind); err != nil {
			return nil, fmt.Errorf("origin %s seq %d: %w: %w", e.Origin, e.Seq, ErrJurisdiction, err)
		}
		if e.Op == OpDelete {
			continue
		}
		if e.Op != OpPut {
			return nil, fmt.Errorf("origin %s seq %d: op %d: %w", e.Origin, e.Seq, e.Op, ErrRange)
		}
		rec, err := registry.ValidateRedacted(e.Kind, e.Body)
		if err != nil {
			return nil, fmt.Errorf("origin %s seq %d: %w", e.Origin, e.Seq, err)
		}
		if rec.RecordID() != e.ID || !e.Origin.Contains(rec.Area()) {
			return nil, fmt.Errorf("origin %s seq %d: %s %q lies in %s: %w", e.Origin, e.Seq, e.Kind, rec.RecordID(), rec.Area(), ErrJurisdiction)
		}
		recs[i] = rec
	}
	return recs, nil
}

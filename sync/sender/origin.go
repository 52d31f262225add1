package sender

import (
	"slices"
	"strings"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// origin is the sender's state of one origin of the source. Only Run's
// goroutine writes it; the fields Status reads are written under Sender.mu.
type origin struct {
	code area.Code

	// Written under Sender.mu (read by Status).
	local       uint64 // the source's watermark
	acked       uint64 // the parent's watermark, as last heard
	oldestSeq   uint64 // the seq oldestTime belongs to (0: none)
	oldestTime  int64  // origin time of entry acked+1, Unix ns
	sizeSum     uint64 // raw bytes of the entries read, for the backlog estimate
	sizeCount   uint64 // entries read
	refusals    uint64
	lastRefusal string
	// missingAt is the source watermark at which the source had no entry
	// missingSeq that the parent needs; the origin is skipped until the
	// watermark moves (0: not stuck).
	missingAt, missingSeq uint64

	// Run's goroutine only.
	next    uint64   // next seq to send
	prev    [32]byte // chain of entry next-1, valid when prevOK
	prevOK  bool
	epoch   uint64    // bumped on every rewind; acks of older epochs are ignored
	retryAt time.Time // after a refusal: not sent before
	strikes int       // consecutive refusals, the backoff exponent
	logged  uint64    // the missing seq last logged at WARN
	// stateWanted is set when the parent needs entries the source no
	// longer holds: the origin's state is sent instead (state.go).
	stateWanted bool
}

// pending reports whether o has entries to send now.
func (o *origin) pending(now time.Time) bool {
	return o.next <= o.local && o.missingAt == 0 && !o.stateWanted && !now.Before(o.retryAt)
}

// reset starts o over from the parent's mark (seq 0 and the zero chain when
// the parent has none). Call with Sender.mu held.
func (o *origin) reset(seq uint64, chain [32]byte) {
	o.acked, o.next, o.prev, o.prevOK = seq, seq+1, chain, true
	o.epoch++
	o.missingAt, o.missingSeq = 0, 0
}

// rewind makes o resend from the parent's watermark wm (or acked, if
// higher) on; the chain of the entry before is read back from the source.
// Call with Sender.mu held.
func (o *origin) rewind(wm uint64) {
	o.acked = max(o.acked, wm)
	o.next, o.prevOK = o.acked+1, false
	o.epoch++
}

// advance records the parent's watermark wm from an applied or duplicate
// ack. Call with Sender.mu held.
func (o *origin) advance(wm uint64) {
	o.acked = max(o.acked, wm)
	o.strikes = 0
	if o.acked >= o.next { // the parent has more than was sent (another path)
		o.next, o.prevOK = o.acked+1, false
	}
}

// backlog returns the entries the parent lacks and their estimated bytes,
// with avg the fallback bytes per entry.
func (o *origin) backlog(avg float64) (uint64, int64) {
	if o.local <= o.acked {
		return 0, 0
	}
	n := o.local - o.acked
	if o.sizeCount > 0 {
		avg = float64(o.sizeSum) / float64(o.sizeCount)
	}
	return n, int64(float64(n) * avg)
}

// entrySize estimates the raw wire size of e: its id and body plus varints,
// kind and op (at most 24 bytes for any entry of a valid batch).
func entrySize(e *storage.Entry) int { return len(e.ID) + len(e.Body) + 24 }

// lookup returns the origin code's state, adding it (in code order) when
// new. Call with Sender.mu held.
func (s *Sender) lookup(code area.Code) *origin {
	if o := s.origins[code]; o != nil {
		return o
	}
	o := &origin{code: code}
	if m, ok := s.marks[code]; ok {
		o.reset(m.Seq, m.Chain)
	} else {
		o.reset(0, [32]byte{})
	}
	s.origins[code] = o
	i, _ := slices.BinarySearchFunc(s.order, code, func(x *origin, c area.Code) int { return strings.Compare(string(x.code), string(c)) })
	s.order = slices.Insert(s.order, i, o)
	return o
}

// refresh reads the source's watermarks into the origins of this node's
// subtree.
func (s *Sender) refresh() {
	wms, err := s.cfg.Source.Watermarks()
	if err != nil {
		s.recordError("read source watermarks", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range wms {
		if !s.cfg.Area.Contains(w.Origin) {
			continue
		}
		o := s.lookup(w.Origin)
		o.local = w.Seq
		if o.missingAt != 0 && o.missingAt != w.Seq {
			o.missingAt, o.missingSeq = 0, 0
		}
	}
}

// refreshOldest reads the origin time (and size) of each origin's oldest
// unacknowledged entry, acked+1, where it changed.
func (s *Sender) refreshOldest() {
	for _, o := range s.snapshotOrder() {
		want := o.acked + 1
		if o.acked >= o.local {
			want = 0
		}
		if want == o.oldestSeq {
			continue
		}
		var e storage.Entry
		found := false
		if want != 0 {
			err := s.cfg.Source.Entries(o.code, want, func(x storage.Entry) bool { e, found = x, x.Seq == want; return false })
			if err != nil {
				s.recordError("read source entry", err)
				continue
			}
		}
		s.mu.Lock()
		o.oldestSeq, o.oldestTime = want, e.Time
		if found {
			o.sizeSum += uint64(entrySize(&e))
			o.sizeCount++
		}
		s.mu.Unlock()
	}
}

// snapshotOrder returns the origins in code order.
func (s *Sender) snapshotOrder() []*origin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

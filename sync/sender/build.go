package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// plan is a batch being built, with what to commit once it is sent.
type plan struct {
	batch   wire.Batch
	origins []*origin // parallel to batch.Ranges
	sizes   []int     // estimated raw bytes per range
	entries int
	raw     int
	rrNext  int // round-robin position for the next batch
}

// cand is an origin being read into a plan.
type cand struct {
	o    *origin
	pos  int // position in Sender.order
	idx  int // its range in the plan, -1 until it has one
	next uint64
}

// nextBatch builds and encodes the next batch, or returns a nil plan when
// nothing is pending. An origin whose entries do not encode (an entry over
// the limits, a chain that does not continue the parent's) is held back,
// logged, and the batch rebuilt without it; a batch too large or too
// compressible for the limits is rebuilt at half its raw size. An error
// means the source failed.
func (s *Sender) nextBatch() (*plan, []byte, error) {
	maxBytes := s.cfg.MaxBatchBytes
	held := map[area.Code]bool{}
	for {
		p, err := s.build(maxBytes, held)
		if err != nil || p == nil {
			return nil, nil, err
		}
		data, err := wire.Encode(&p.batch, wire.EncodeOptions{Level: s.cfg.Level, Limits: s.cfg.Limits})
		var re *wire.RuleError
		switch {
		case err == nil:
			return p, data, nil
		case errors.As(err, &re) && re.Origin != "" && s.origins[re.Origin] != nil:
			held[re.Origin] = true
			s.count(func(st *Stats) { st.EncodeErrors++ })
			s.holdBack(s.origins[re.Origin], "encode", err)
		case (errors.Is(err, wire.ErrTooLarge) || errors.Is(err, wire.ErrRatio)) && p.entries > 1:
			maxBytes = max(1, p.raw/2)
		default:
			return nil, nil, fmt.Errorf("encode batch: %w", err)
		}
	}
}

// build reads the next batch from the source: round-robin passes over the
// pending origins (except held), each adding at most PerOriginQuantum
// entries per origin, until the batch is full or nothing is left.
func (s *Sender) build(maxBytes int, held map[area.Code]bool) (*plan, error) {
	p := &plan{batch: wire.Batch{Sender: s.cfg.Area}, rrNext: s.rr}
	cands := s.candidates(held)
	for pass := 0; len(cands) > 0 && !p.full(s.cfg.MaxBatchEntries, maxBytes); pass++ {
		var more []*cand
		for _, c := range cands {
			if p.full(s.cfg.MaxBatchEntries, maxBytes) {
				break
			}
			again, err := s.read(p, c, maxBytes)
			if err != nil {
				return nil, err
			}
			if again {
				more = append(more, c)
			}
			if pass == 0 && c.idx >= 0 {
				p.rrNext = c.pos + 1
			}
		}
		cands = more
	}
	if p.entries == 0 {
		return nil, nil
	}
	return p, nil
}

func (p *plan) full(maxEntries, maxBytes int) bool {
	return p.entries >= maxEntries || p.raw >= maxBytes
}

// candidates returns the pending origins, starting at the round-robin
// position.
func (s *Sender) candidates(held map[area.Code]bool) []*cand {
	now := s.cfg.Now()
	n := len(s.order)
	var out []*cand
	for i := range n {
		pos := (s.rr + i) % n
		if o := s.order[pos]; o.pending(now) && !held[o.code] {
			out = append(out, &cand{o: o, pos: pos, idx: -1, next: o.next})
		}
	}
	return out
}

// read appends up to a quantum of c's entries to p and reports whether c
// has more to send. The first read of an origin whose chain at next-1 is
// unknown starts one entry early to learn it.
func (s *Sender) read(p *plan, c *cand, maxBytes int) (bool, error) {
	o := c.o
	n := min(uint64(s.cfg.PerOriginQuantum), uint64(s.cfg.MaxBatchEntries-p.entries), o.local-c.next+1)
	from, prev, needPrev := c.next, o.prev, c.idx < 0 && !o.prevOK
	if needPrev && c.next == 1 {
		prev, needPrev = [32]byte{}, false
	}
	if needPrev {
		from--
	}
	var got []storage.Entry
	size, full, missing := 0, false, false
	err := s.cfg.Source.Entries(o.code, from, func(e storage.Entry) bool {
		switch {
		case needPrev && e.Seq == from:
			prev, needPrev = e.Chain, false
			return true
		case needPrev || e.Seq != c.next:
			missing = true
			return false
		case p.entries > 0 && p.raw+entrySize(&e) > maxBytes:
			full = true
			return false
		}
		got = append(got, e)
		size += entrySize(&e)
		p.entries, p.raw, c.next = p.entries+1, p.raw+entrySize(&e), c.next+1
		return uint64(len(got)) < n
	})
	var pruned *storage.PrunedError
	if errors.As(err, &pruned) && len(got) == 0 {
		s.needState(o, pruned)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read entries of %s from seq %d: %w", o.code, from, err)
	}
	if len(got) == 0 {
		if !full && c.idx < 0 {
			lacks := c.next
			if needPrev {
				lacks = from
			}
			s.missing(o, lacks)
		}
		return false, nil
	}
	p.add(c, prev, got, size)
	return !full && !missing && c.next <= o.local, nil
}

// add appends entries (which continue c's range, or start it after the
// entry with chain prev) to p.
func (p *plan) add(c *cand, prev [32]byte, entries []storage.Entry, size int) {
	if c.idx < 0 {
		c.idx = len(p.batch.Ranges)
		p.batch.Ranges = append(p.batch.Ranges, wire.Range{Origin: c.o.code, First: entries[0].Seq, PrevChain: prev})
		p.origins = append(p.origins, c.o)
		p.sizes = append(p.sizes, 0)
	}
	r := &p.batch.Ranges[c.idx]
	r.Entries = append(r.Entries, entries...)
	r.Last, r.EndChain = entries[len(entries)-1].Seq, entries[len(entries)-1].Chain
	p.sizes[c.idx] += size
}

// missing notes that the source has no entry seq where o must continue;
// o is skipped until its source watermark moves. A state transfer (DESIGN
// §6) resolves it. Each seq is logged at WARN once.
func (s *Sender) missing(o *origin, seq uint64) {
	s.mu.Lock()
	o.missingAt, o.missingSeq = o.local, seq
	s.stats.Missing++
	s.mu.Unlock()
	level := slog.LevelDebug
	if o.logged != seq {
		level, o.logged = slog.LevelWarn, seq
	}
	s.log.Log(context.Background(), level, "source lacks entries the parent needs; origin skipped until new entries arrive",
		"origin", string(o.code), "seq", seq, "local", o.local, "acked", o.acked)
}

// holdBack keeps o's entries from being sent for a jittered backoff after
// the parent refused them (or they did not encode), and makes the next
// attempt re-read the chain from the source.
func (s *Sender) holdBack(o *origin, why string, err error) {
	d := max(s.cfg.BackoffMin, s.backoff(o.strikes))
	s.mu.Lock()
	defer s.mu.Unlock()
	o.strikes++
	o.retryAt = s.cfg.Now().Add(d)
	o.prevOK = false
	o.refusals++
	o.lastRefusal = why + ": " + err.Error()
	s.log.Warn("origin held back", "origin", string(o.code), "why", why, "err", err, "next", o.next, "retry_in", d)
}

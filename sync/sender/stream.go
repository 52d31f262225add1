package sender

import (
	"context"
	"fmt"
	"time"

	"fedsync/sync/proto"
)

// stream is one session's sending state, owned by Run's goroutine.
type stream struct {
	s          *Sender
	sess       proto.Session
	acks       <-chan received
	queue      []inflight // batches sent and not yet acknowledged, in order
	progressed bool       // an ack arrived
	lastAck    time.Time  // when the last ack arrived
	lastSend   time.Time  // when the last batch, state or ping was sent
}

// inflight is a batch awaiting its ack.
type inflight struct {
	ranges []sentRange
	sentAt time.Time
}

// sentRange is one range of an in-flight batch.
type sentRange struct {
	o           *origin
	epoch       uint64
	first, last uint64
}

// run streams until the session fails or ctx ends.
func (st *stream) run(ctx context.Context) error {
	s := st.s
	s.refresh()
	s.refreshOldest()
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		if err := st.fill(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-st.acks:
			if err := st.received(r); err != nil {
				return err
			}
		case <-s.notify:
			s.refresh()
		case <-tick.C:
			s.refresh()
			s.refreshOldest()
			if err := st.checkTimeout(); err != nil {
				return err
			}
			if err := st.keepAlive(ctx); err != nil {
				return err
			}
		}
	}
}

// keepAlive pings the parent when nothing has been sent for KeepAlive and
// nothing is outstanding; the ping's empty ack is queued like a batch's.
func (st *stream) keepAlive(ctx context.Context) error {
	s := st.s
	p, ok := st.sess.(proto.Pinger)
	now := s.cfg.Now()
	if !ok || len(st.queue) > 0 || now.Sub(st.lastSend) < s.cfg.KeepAlive {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	defer cancel()
	if err := p.Ping(sctx); err != nil {
		return fmt.Errorf("ping parent: %w", err)
	}
	st.lastSend = now
	st.queue = append(st.queue, inflight{sentAt: now})
	s.count(func(x *Stats) { x.Pings++; x.InFlight = len(st.queue) })
	return nil
}

// checkTimeout declares the session dead when batches are outstanding and
// the parent has been silent for AckTimeout: no ack since the oldest was
// sent, or since the last ack. Acks waiting to be read are not silence.
func (st *stream) checkTimeout() error {
	if len(st.queue) == 0 || len(st.acks) > 0 {
		return nil
	}
	since := st.queue[0].sentAt
	if st.lastAck.After(since) {
		since = st.lastAck
	}
	if d := st.s.cfg.Now().Sub(since); d > st.s.cfg.AckTimeout {
		return fmt.Errorf("%w: %d batches outstanding, parent silent for %v", ErrAckTimeout, len(st.queue), d.Round(time.Millisecond))
	}
	return nil
}

// fill sends batches until MaxInFlight are outstanding or nothing is
// pending. A source failure is logged and retried on the next wake-up; a
// Send failure ends the session.
func (st *stream) fill(ctx context.Context) error {
	s := st.s
	for len(st.queue) < s.cfg.MaxInFlight {
		if err := st.drain(); err != nil {
			return err
		}
		if sent, err := st.sendState(ctx); err != nil || sent {
			if err != nil {
				return err
			}
			continue
		}
		p, data, err := s.nextBatch()
		if err != nil {
			s.recordError("build batch", err)
			s.log.Error("cannot build a sync batch", "err", err)
			return nil
		}
		if p == nil {
			return nil
		}
		sctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
		err = st.sess.Send(sctx, data)
		cancel()
		if err != nil {
			return fmt.Errorf("send batch: %w", err)
		}
		st.commit(p, len(data))
	}
	return nil
}

// drain handles the acks that have arrived, without waiting, so that a
// long fill does not hold them (and Status) back.
func (st *stream) drain() error {
	for {
		select {
		case r := <-st.acks:
			if err := st.received(r); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// received handles one result of the receiver goroutine.
func (st *stream) received(r received) error {
	if r.err != nil {
		return r.err
	}
	return st.ack(r.ack)
}

// commit advances the origins of a sent batch and queues it for its ack.
func (st *stream) commit(p *plan, wireBytes int) {
	s := st.s
	b := inflight{sentAt: s.cfg.Now(), ranges: make([]sentRange, len(p.origins))}
	st.lastSend = b.sentAt
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, o := range p.origins {
		r := &p.batch.Ranges[i]
		o.next, o.prev, o.prevOK = r.Last+1, r.EndChain, true
		o.sizeSum += uint64(p.sizes[i])
		o.sizeCount += r.Count()
		b.ranges[i] = sentRange{o: o, epoch: o.epoch, first: r.First, last: r.Last}
	}
	s.rr = p.rrNext
	st.queue = append(st.queue, b)
	s.stats.BatchesSent++
	s.stats.EntriesSent += uint64(p.entries)
	s.stats.RawBytes += uint64(p.raw)
	s.stats.WireBytes += uint64(wireBytes)
	s.stats.InFlight = len(st.queue)
	s.stats.PeakInFlight = max(s.stats.PeakInFlight, len(st.queue))
}

// ack matches the next ack to the oldest in-flight batch and applies it
// range by range.
func (st *stream) ack(a proto.Ack) error {
	s := st.s
	if len(st.queue) == 0 {
		return fmt.Errorf("%w: an ack with no batch outstanding", ErrProtocol)
	}
	b := st.queue[0]
	st.queue = st.queue[1:]
	st.lastAck = s.cfg.Now()
	s.count(func(x *Stats) { x.InFlight = len(st.queue) })
	if a.Error != "" {
		s.count(func(x *Stats) { x.BatchesRefused++ })
		return fmt.Errorf("%w: %s (rule %q)", ErrBatchRefused, a.Error, a.Rule)
	}
	if len(a.Ranges) != len(b.ranges) {
		return fmt.Errorf("%w: ack has %d ranges, batch had %d", ErrProtocol, len(a.Ranges), len(b.ranges))
	}
	for i, ra := range a.Ranges {
		if err := st.ackRange(b.ranges[i], ra); err != nil {
			return err
		}
	}
	st.progressed = true
	s.mu.Lock()
	s.link.lastSuccess = s.cfg.Now()
	s.mu.Unlock()
	return nil
}

// ackRange applies the parent's answer for one range. Answers from before
// the origin's last rewind (an older epoch) are counted and ignored.
func (st *stream) ackRange(r sentRange, ra proto.RangeAck) error {
	s, o := st.s, r.o
	if ra.Origin != o.code {
		return fmt.Errorf("%w: ack for origin %s where the batch had %s", ErrProtocol, ra.Origin, o.code)
	}
	current := r.epoch == o.epoch
	s.mu.Lock()
	switch ra.Status {
	case proto.StatusApplied:
		s.stats.RangesApplied++
	case proto.StatusDuplicate:
		s.stats.RangesDuplicate++
	case proto.StatusGap:
		s.stats.RangesGap++
	case proto.StatusRefused:
		s.stats.RangesRefused++
	default:
		s.mu.Unlock()
		return fmt.Errorf("%w: unknown range status %q for origin %s", ErrProtocol, ra.Status, o.code)
	}
	if current {
		if ra.Status == proto.StatusApplied || ra.Status == proto.StatusDuplicate {
			o.advance(ra.Watermark)
		} else {
			o.rewind(ra.Watermark)
		}
	}
	s.mu.Unlock()
	if current && ra.Status == proto.StatusRefused {
		s.holdBack(o, "refused by parent", fmt.Errorf("seqs %d..%d: %s", r.first, r.last, ra.Error))
	}
	return nil
}

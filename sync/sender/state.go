package sender

import (
	"context"
	"errors"
	"fmt"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// StateSource is the optional capability of a Source to read an origin's
// whole state (*storage.Store has it). With it, a parent that needs entries
// the source has pruned receives the origin's records as of its watermark
// (a state transfer, DESIGN §6) and the sender continues after it; without
// it such an origin stays stuck and is reported (missing_seq).
type StateSource interface {
	State(origin area.Code) (*storage.OriginState, error)
}

// needState notes that o's parent needs entries the source has pruned.
func (s *Sender) needState(o *origin, pe *storage.PrunedError) {
	if _, ok := s.cfg.Source.(StateSource); !ok {
		s.missing(o, pe.Floor)
		return
	}
	if !o.stateWanted {
		s.log.Info("parent needs entries no longer held; sending the origin's state", "origin", string(o.code), "floor", pe.Floor, "acked", o.acked)
	}
	o.stateWanted = true
}

// sendState sends the state of one origin that needs it, if any, and
// queues it like a batch of one range: its ack moves the origin on exactly
// as a batch's would.
func (st *stream) sendState(ctx context.Context) (bool, error) {
	s := st.s
	var o *origin
	for _, x := range s.order {
		if x.stateWanted && !s.cfg.Now().Before(x.retryAt) {
			o = x
			break
		}
	}
	if o == nil {
		return false, nil
	}
	state, err := s.cfg.Source.(StateSource).State(o.code)
	if err == nil && state.Seq < o.next {
		err = errors.New("the source's state is older than what the parent needs")
	}
	var data []byte
	if err == nil {
		data, err = wire.EncodeState(s.cfg.Area, state, wire.EncodeOptions{Level: s.cfg.Level, Limits: s.cfg.Limits})
	}
	if err != nil {
		o.stateWanted = false
		s.holdBack(o, "state transfer", fmt.Errorf("read state: %w", err))
		return false, nil
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.AckTimeout)
	err = st.sess.Send(sctx, data)
	cancel()
	if err != nil {
		return false, fmt.Errorf("send state of %s: %w", o.code, err)
	}
	s.mu.Lock()
	o.stateWanted = false
	o.next, o.prev, o.prevOK = state.Seq+1, state.Chain, true
	st.lastSend = s.cfg.Now()
	st.queue = append(st.queue, inflight{sentAt: st.lastSend, ranges: []sentRange{{o: o, epoch: o.epoch, first: state.Seq, last: state.Seq}}})
	s.stats.StatesSent++
	s.stats.WireBytes += uint64(len(data))
	s.stats.InFlight = len(st.queue)
	s.stats.PeakInFlight = max(s.stats.PeakInFlight, len(st.queue))
	s.mu.Unlock()
	return true, nil
}

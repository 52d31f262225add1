package sender_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/proto"
	"fedsync/sync/wire"
)

// An in-process link: a fakeDialer opens fakeSessions to a receiver, which
// decodes each batch and applies it to a real store with ApplyRemote, as a
// node does through raft. faults perturbs delivery at the message level.

var (
	errDropped = errors.New("fake link: connection lost (batch dropped)")
	errCut     = errors.New("fake link: connection cut")
	errClosed  = errors.New("fake link: session closed")
	errDial    = errors.New("fake link: parent unreachable")
)

// receiver is the parent side: one store, batches applied one at a time.
type receiver struct {
	store *storage.Store

	mu             sync.Mutex
	onApply        func()            // called after each applied batch (the parent's own sender's Notify)
	applied        map[area.Code]int // entries applied per origin: must end equal to the watermark
	batches        []map[area.Code]uint64
	maxOutstanding int // most batches of one session received and not yet acked

	workers sync.WaitGroup // the sessions' workers
}

func newReceiver(s *storage.Store) *receiver {
	return &receiver{store: s, applied: map[area.Code]int{}}
}

// welcome answers a hello as a node does: the marks of the sender's subtree.
func (r *receiver) welcome(h proto.Hello) proto.Welcome {
	w := proto.Welcome{Version: proto.Version, Receiver: r.store.Area()}
	if h.Sender == r.store.Area() || !r.store.Area().Contains(h.Sender) {
		w.Error = fmt.Sprintf("sender %s is not below %s", h.Sender, r.store.Area())
		return w
	}
	wms, err := r.store.Watermarks()
	if err != nil {
		w.Error = err.Error()
		return w
	}
	for _, m := range wms {
		if h.Sender.Contains(m.Origin) {
			w.Marks = append(w.Marks, proto.Mark{Origin: m.Origin, Seq: m.Seq, Chain: m.Chain})
		}
	}
	return w
}

// apply decodes and applies one batch and returns its ack.
func (r *receiver) apply(sender area.Code, data []byte) proto.Ack {
	b, err := wire.Decode(data, wire.Limits{})
	if err != nil {
		return proto.Ack{Error: err.Error()}
	}
	if b.Sender != sender {
		return proto.Ack{Error: fmt.Sprintf("batch of %s on a link of %s", b.Sender, sender)}
	}
	ranges := make([]storage.RemoteRange, len(b.Ranges))
	for i, rg := range b.Ranges {
		ranges[i] = storage.RemoteRange{Origin: rg.Origin, Entries: rg.Entries}
	}
	r.mu.Lock()
	res, err := r.store.ApplyRemote(0, sender, ranges)
	var ack proto.Ack
	if err != nil {
		ack.Error = err.Error()
	}
	marks := map[area.Code]uint64{}
	for _, x := range res {
		r.applied[x.Origin] += x.Applied
		marks[x.Origin] = x.Watermark
		ra := proto.RangeAck{Origin: x.Origin, Status: x.Status.String(), Applied: x.Applied, Watermark: x.Watermark}
		if x.Err != nil {
			ra.Error = x.Err.Error()
		}
		ack.Ranges = append(ack.Ranges, ra)
	}
	r.batches = append(r.batches, marks)
	notify := r.onApply
	r.mu.Unlock()
	if notify != nil {
		notify()
	}
	return ack
}

// faults decides what happens to each message while on.
type faults struct {
	mu  sync.Mutex
	rng *rand.Rand
	on  bool
	// Probabilities per batch (drop, dup, reorder, cut, batchErr, stall)
	// and per dial (dialErr); jitter is the most a random ack delay adds.
	drop, dup, reorder, cut, batchErr, stall, dialErr float64
	jitter                                            time.Duration
	// delay is added to every ack, faults on or off.
	delay time.Duration
}

type action int

const (
	deliver action = iota
	drop
	duplicate
	reorder
	cut
	batchErr
	stall // the batch applies, then the parent falls silent: no more acks
)

func (f *faults) set(on bool) {
	f.mu.Lock()
	f.on = on
	f.mu.Unlock()
}

func (f *faults) decide() (action, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on {
		return deliver, f.delay
	}
	d := f.delay
	if f.jitter > 0 {
		d += time.Duration(f.rng.Int64N(int64(f.jitter)))
	}
	p := f.rng.Float64()
	for _, c := range []struct {
		a action
		p float64
	}{{drop, f.drop}, {duplicate, f.dup}, {reorder, f.reorder}, {cut, f.cut}, {batchErr, f.batchErr}, {stall, f.stall}} {
		if p < c.p {
			return c.a, d
		}
		p -= c.p
	}
	return deliver, d
}

func (f *faults) failDial() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on && f.rng.Float64() < f.dialErr
}

// fakeDialer implements proto.Dialer.
type fakeDialer struct {
	r *receiver
	f *faults
}

func (d *fakeDialer) Dial(ctx context.Context, h proto.Hello) (proto.Session, error) {
	if d.f.failDial() {
		return nil, errDial
	}
	if h.Version != proto.Version {
		return nil, fmt.Errorf("fake link: version %d", h.Version)
	}
	s := &fakeSession{r: d.r, f: d.f, sender: h.Sender, welcome: d.r.welcome(h),
		inbox: make(chan job, 64), wake: make(chan struct{}, 1), done: make(chan struct{})}
	d.r.workers.Go(s.work)
	return s, nil
}

// holdFor is how long a reordered batch waits for the next one before it
// is delivered alone.
const holdFor = 3 * time.Millisecond

// fakeSession implements proto.Session. Send queues each batch with the
// fault decided for it; a worker goroutine applies them in order, as a
// node's raft does, and queues their acks until their delivery time.
type fakeSession struct {
	r       *receiver
	f       *faults
	sender  area.Code
	welcome proto.Welcome
	inbox   chan job
	wake    chan struct{} // an ack was queued or the session broke
	done    chan struct{} // closed by Close
	once    sync.Once

	mu          sync.Mutex
	acks        []timedAck
	silent      bool  // acks are no longer delivered
	err         error // the session is broken
	outstanding int   // batches sent and not yet acked
}

// job is one batch sent, with its fate.
type job struct {
	data  []byte
	act   action
	delay time.Duration
}

type timedAck struct {
	ack proto.Ack
	at  time.Time
}

func (s *fakeSession) Welcome() proto.Welcome { return s.welcome }

func (s *fakeSession) Close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}

func (s *fakeSession) Send(ctx context.Context, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.outstanding++
	s.r.noteOutstanding(s.outstanding)
	act, d := s.f.decide()
	if act == drop {
		s.broken(errDropped)
		return nil
	}
	select {
	case s.inbox <- job{data, act, d}:
		return nil
	case <-s.done:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work applies the session's batches in order until it is closed. A
// batch to reorder waits for the next, which is applied first; acks still
// go in send order.
func (s *fakeSession) work() {
	var held *job
	for {
		var timeout <-chan time.Time
		if held != nil {
			timeout = time.After(holdFor)
		}
		select {
		case <-s.done:
			return
		case <-timeout:
			s.run(*held)
			held = nil
		case j := <-s.inbox:
			switch {
			case j.act == reorder && held == nil:
				held = &j
			case held != nil && j.act != batchErr:
				ackNew := s.apply(j.data)
				s.push(s.apply(held.data), held.delay)
				s.push(ackNew, j.delay)
				held = nil
			default:
				if held != nil {
					s.run(*held)
					held = nil
				}
				s.run(j)
			}
			if j.act == cut {
				s.mu.Lock()
				s.broken(errCut)
				s.mu.Unlock()
			}
		}
	}
}

// run delivers one batch according to its fate.
func (s *fakeSession) run(j job) {
	switch j.act {
	case batchErr:
		s.push(proto.Ack{Error: "not leader"}, j.delay)
	case duplicate:
		s.apply(j.data)
		s.push(s.apply(j.data), j.delay)
	case stall:
		s.apply(j.data)
		s.mu.Lock()
		s.silent = true
		s.mu.Unlock()
	default:
		s.push(s.apply(j.data), j.delay)
	}
}

// apply applies a batch unless the session broke before it arrived.
func (s *fakeSession) apply(data []byte) proto.Ack {
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return proto.Ack{Error: err.Error()}
	}
	return s.r.apply(s.sender, data)
}

// push queues an ack for delivery after d.
func (s *fakeSession) push(a proto.Ack, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && !s.silent {
		s.acks = append(s.acks, timedAck{a, time.Now().Add(d)})
		s.signal()
	}
}

// broken ends the session: Recv fails, queued acks are lost. Call with mu
// held.
func (s *fakeSession) broken(err error) {
	s.err, s.acks = err, nil
	s.signal()
}

func (s *fakeSession) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *fakeSession) Recv(ctx context.Context) (proto.Ack, error) {
	for {
		a, ok, wait, err := s.poll()
		if ok || err != nil {
			return a, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return proto.Ack{}, ctx.Err()
		case <-s.done:
			t.Stop()
			return proto.Ack{}, errClosed
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// poll returns the next due ack, or how long to wait for one (an hour when
// nothing is queued).
func (s *fakeSession) poll() (proto.Ack, bool, time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.err != nil:
		return proto.Ack{}, false, 0, s.err
	case len(s.acks) > 0 && !time.Now().Before(s.acks[0].at):
		a := s.acks[0].ack
		s.acks = s.acks[1:]
		s.outstanding--
		return a, true, 0, nil
	case len(s.acks) > 0:
		return proto.Ack{}, false, max(time.Until(s.acks[0].at), time.Microsecond), nil
	}
	return proto.Ack{}, false, time.Hour, nil
}

func (r *receiver) noteOutstanding(n int) {
	r.mu.Lock()
	r.maxOutstanding = max(r.maxOutstanding, n)
	r.mu.Unlock()
}

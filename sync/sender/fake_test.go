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
	// Probabilities per batch (drop, dup, reorder, cut, batchErr) and per
	// dial (dialErr); jitter is the most a random ack delay adds.
	drop, dup, reorder, cut, batchErr, dialErr float64
	jitter                                     time.Duration
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
	}{{drop, f.drop}, {duplicate, f.dup}, {reorder, f.reorder}, {cut, f.cut}, {batchErr, f.batchErr}} {
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
	return &fakeSession{r: d.r, f: d.f, sender: h.Sender, welcome: d.r.welcome(h),
		wake: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// holdFor is how long a reordered batch waits for the next one before it
// is delivered alone.
const holdFor = 3 * time.Millisecond

// fakeSession implements proto.Session. Send applies batches at once (in
// the caller's goroutine); acks wait in a queue until their delivery time.
type fakeSession struct {
	r       *receiver
	f       *faults
	sender  area.Code
	welcome proto.Welcome
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once

	mu          sync.Mutex
	acks        []timedAck
	held        []byte // a batch kept back to be delivered after the next
	heldAt      time.Time
	heldDelay   time.Duration
	err         error // the session is broken
	outstanding int   // batches sent and not yet acked
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
	select {
	case <-s.done:
		return errClosed
	default:
	}
	s.outstanding++
	s.r.noteOutstanding(s.outstanding)
	act, d := s.f.decide()
	switch {
	case act == drop:
		s.broken(errDropped)
		return nil
	case act == reorder && s.held == nil:
		s.held, s.heldAt, s.heldDelay = data, time.Now(), d
		s.signal()
		return nil
	case act == batchErr:
		s.flushHeld()
		s.push(proto.Ack{Error: "not leader"}, d)
		return nil
	}
	if s.held != nil { // deliver the new batch first, ack in send order
		held := s.held
		s.held = nil
		ackNew := s.r.apply(s.sender, data)
		s.push(s.r.apply(s.sender, held), s.heldDelay)
		s.push(ackNew, d)
	} else {
		ack := s.r.apply(s.sender, data)
		if act == duplicate {
			ack = s.r.apply(s.sender, data)
		}
		s.push(ack, d)
	}
	if act == cut {
		s.broken(errCut)
	}
	return nil
}

// flushHeld delivers a held batch alone. Call with mu held.
func (s *fakeSession) flushHeld() {
	if s.held != nil {
		held := s.held
		s.held = nil
		s.push(s.r.apply(s.sender, held), s.heldDelay)
	}
}

// push queues an ack for delivery after d. Call with mu held.
func (s *fakeSession) push(a proto.Ack, d time.Duration) {
	s.acks = append(s.acks, timedAck{a, time.Now().Add(d)})
	s.signal()
}

// broken ends the session: Recv fails, queued acks are lost. Call with mu
// held.
func (s *fakeSession) broken(err error) {
	s.err, s.acks, s.held = err, nil, nil
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
	if s.err != nil {
		return proto.Ack{}, false, 0, s.err
	}
	if len(s.acks) == 0 && s.held != nil && time.Since(s.heldAt) >= holdFor {
		s.flushHeld()
	}
	switch {
	case len(s.acks) > 0 && !time.Now().Before(s.acks[0].at):
		a := s.acks[0].ack
		s.acks = s.acks[1:]
		s.outstanding--
		return a, true, 0, nil
	case len(s.acks) > 0:
		return proto.Ack{}, false, max(time.Until(s.acks[0].at), time.Microsecond), nil
	case s.held != nil:
		return proto.Ack{}, false, holdFor, nil
	}
	return proto.Ack{}, false, time.Hour, nil
}

func (r *receiver) noteOutstanding(n int) {
	r.mu.Lock()
	r.maxOutstanding = max(r.maxOutstanding, n)
	r.mu.Unlock()
}

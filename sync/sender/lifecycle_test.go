package sender_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
	"fedsync/sync/sender"
	"fedsync/sync/wire"
)

// TestOutageStatus: while the parent is unreachable the sender keeps
// redialing and Status shows the backlog, its oldest entry and the error;
// once the parent is back, everything arrives and the backlog clears.
func TestOutageStatus(t *testing.T) {
	h := newHarness(t, t.TempDir(), 11)
	defer h.close()
	s1 := h.store(street1)
	write(t, s1, communityPuts(t, street1))
	first := entriesOf(t, s1, street1)[0]
	write(t, s1, randomMuts(t, rand.New(rand.NewPCG(11, 11)), street1, 20))
	h.faults.dialErr = 1
	h.faults.set(true)
	l := h.connect(street1, county, nil)
	local := watermark(t, s1, street1)
	waitFor(t, 5*time.Second, func() error {
		st := l.sender.Status()
		switch {
		case st.Connected || !strings.Contains(st.LastError, "unreachable") || st.LastErrorAt.IsZero():
			return fmt.Errorf("link: %+v", st)
		case len(st.Origins) != 1 || st.Origins[0].Local != local || st.Origins[0].Backlog != local || st.Origins[0].BacklogBytes <= 0:
			return fmt.Errorf("origins: %+v", st.Origins)
		case !st.Origins[0].Oldest.Equal(time.Unix(0, first.Time)) || st.Totals.Backlog != local || st.Totals.AgeSeconds <= 0:
			return fmt.Errorf("oldest: %+v, want the first entry's time %v", st.Totals, time.Unix(0, first.Time))
		case l.sender.Stats().Dials < 3 || l.sender.Stats().Sessions != 0:
			return fmt.Errorf("stats: %+v", l.sender.Stats())
		}
		return nil
	})
	b, err := json.Marshal(l.sender.Status())
	if err != nil || !strings.Contains(string(b), `"parent_connected":false`) || !strings.Contains(string(b), `"backlog_entries":`) {
		t.Fatalf("json: %s %v", b, err)
	}
	h.faults.set(false)
	waitFor(t, 10*time.Second, h.converged)
	waitFor(t, 5*time.Second, func() error {
		if st := l.sender.Status(); !st.Connected || st.Totals.Backlog != 0 || !st.Totals.Oldest.IsZero() || st.LastSuccess.IsZero() {
			return fmt.Errorf("status after the outage: %+v", st)
		}
		return nil
	})
}

// TestWelcomeRefused: a parent that is not above the sender refuses the
// hello; the sender keeps retrying and reports why.
func TestWelcomeRefused(t *testing.T) {
	h := newHarness(t, t.TempDir(), 12)
	defer h.close()
	write(t, h.store(street1), communityPuts(t, street1))
	l := h.connect(street1, area.MustParse("210103000000"), nil)
	waitFor(t, 5*time.Second, func() error {
		if st := l.sender.Status(); st.Connected || !strings.Contains(st.LastError, sender.ErrWelcome.Error()) || l.sender.Stats().Dials < 2 {
			return fmt.Errorf("status: %+v", st)
		}
		return nil
	})
}

// TestNotify: with a poll interval of an hour, Notify alone gets new
// entries sent.
func TestNotify(t *testing.T) {
	h := newHarness(t, t.TempDir(), 13)
	defer h.close()
	l := h.connect(street1, county, func(c *sender.Config) { c.Poll = time.Hour })
	waitFor(t, 5*time.Second, func() error {
		if !l.sender.Status().Connected {
			return errors.New("not connected")
		}
		return nil
	})
	r := rand.New(rand.NewPCG(13, 13))
	for range 3 {
		write(t, h.store(street1), randomMuts(t, r, street1, 10))
		l.sender.Notify()
		waitFor(t, 5*time.Second, h.converged)
	}
}

// TestRunStops: Run returns when its context ends, leaving no goroutine
// behind; a second concurrent Run is refused; a Sender runs again after.
func TestRunStops(t *testing.T) {
	before := runtime.NumGoroutine()
	h := newHarness(t, t.TempDir(), 14)
	write(t, h.store(street1), communityPuts(t, street1))
	h.faults.delay = time.Millisecond
	defer h.close()
	l := h.connect(street1, county, nil)
	waitFor(t, 5*time.Second, h.converged) // the first Run is running
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.sender.Run(ctx); !errors.Is(err, sender.ErrRunning) {
		t.Fatalf("second Run: got %v, want ErrRunning", err)
	}
	h.bounce(l) // stops Run and starts it again
	write(t, h.store(street1), randomMuts(t, rand.New(rand.NewPCG(14, 14)), street1, 10))
	l.sender.Notify()
	waitFor(t, 5*time.Second, h.converged)
	h.close()
	waitFor(t, 5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before", n, before)
		}
		return nil
	})
	if st := l.sender.Status(); st.Connected {
		t.Errorf("status after Run returned: connected")
	}
}

// TestOverlappingSenders: two Senders of the same node run at once (an old
// leader not yet stopped beside the new one). The parent gets each entry
// from both, applies it once, and each sender skips ahead when the parent
// holds more than it sent.
func TestOverlappingSenders(t *testing.T) {
	h := newHarness(t, t.TempDir(), 15)
	defer h.close()
	r := rand.New(rand.NewPCG(15, 15))
	small := func(c *sender.Config) { c.MaxBatchEntries, c.PerOriginQuantum = 5, 5 }
	a, b := h.connect(street1, county, small), h.connect(street1, county, small)
	for range 5 {
		write(t, h.store(street1), randomMuts(t, r, street1, 30))
		a.sender.Notify()
		b.sender.Notify()
	}
	waitFor(t, 10*time.Second, h.converged)
	for _, l := range []*link{a, b} {
		waitFor(t, 5*time.Second, func() error { return backlogZero(l.sender.Status()) })
	}
	if sa, sb := a.sender.Stats(), b.sender.Stats(); sa.RangesDuplicate+sb.RangesDuplicate+sa.RangesGap+sb.RangesGap == 0 {
		t.Logf("no overlap observed: %+v %+v", sa, sb)
	}
	h.sameCounters(street1)
	h.verifyAll()
}

// scripted is a Session whose acks come from a function of the batch.
type scripted struct {
	welcome proto.Welcome
	answer  func(b *wire.Batch) []proto.Ack
	acks    chan proto.Ack
	done    chan struct{}
}

func (s *scripted) Welcome() proto.Welcome { return s.welcome }
func (s *scripted) Close() error           { close(s.done); return nil }
func (s *scripted) Send(_ context.Context, data []byte) error {
	b, err := wire.Decode(data, wire.Limits{})
	if err != nil {
		return err
	}
	for _, a := range s.answer(b) {
		s.acks <- a
	}
	return nil
}
func (s *scripted) Recv(ctx context.Context) (proto.Ack, error) {
	select {
	case a := <-s.acks:
		return a, nil
	case <-s.done:
		return proto.Ack{}, errClosed
	case <-ctx.Done():
		return proto.Ack{}, ctx.Err()
	}
}

type scriptedDialer func(b *wire.Batch) []proto.Ack

func (d scriptedDialer) Dial(context.Context, proto.Hello) (proto.Session, error) {
	return &scripted{welcome: proto.Welcome{Version: proto.Version, Receiver: county}, answer: d,
		acks: make(chan proto.Ack, 16), done: make(chan struct{})}, nil
}

// TestProtocolViolations: acks that do not match the batches sent end the
// session with ErrProtocol.
func TestProtocolViolations(t *testing.T) {
	ok := func(b *wire.Batch) proto.Ack {
		return proto.Ack{Ranges: []proto.RangeAck{{Origin: b.Ranges[0].Origin, Status: proto.StatusApplied, Watermark: b.Ranges[0].Last}}}
	}
	cases := map[string]scriptedDialer{
		"extra ack":      func(b *wire.Batch) []proto.Ack { return []proto.Ack{ok(b), ok(b)} },
		"other origin":   func(b *wire.Batch) []proto.Ack { a := ok(b); a.Ranges[0].Origin = street2; return []proto.Ack{a} },
		"missing range":  func(b *wire.Batch) []proto.Ack { return []proto.Ack{{}} },
		"unknown status": func(b *wire.Batch) []proto.Ack { a := ok(b); a.Ranges[0].Status = "maybe"; return []proto.Ack{a} },
	}
	for name, d := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, t.TempDir(), 16)
			defer h.close()
			write(t, h.store(street1), communityPuts(t, street1))
			l := h.connect(street1, county, func(c *sender.Config) { c.Dialer, c.MaxInFlight = d, 1 })
			waitFor(t, 5*time.Second, func() error {
				if st := l.sender.Status(); !strings.Contains(st.LastError, sender.ErrProtocol.Error()) {
					return fmt.Errorf("last error %q", st.LastError)
				}
				return nil
			})
		})
	}
}

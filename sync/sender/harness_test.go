package sender_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"time"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/sender"
)

var verboseLog = flag.Bool("sender.log", false, "write the senders' logs to stderr")

func testLogger() *slog.Logger {
	if *verboseLog {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// harness is an in-process topology: a store per area, a receiver per
// parent store, and a Sender per child running in its own goroutine, with
// one fault injector for every link. close stops every Run (waiting for it)
// before it closes the stores.
type harness struct {
	t      tb
	dir    string
	faults *faults
	stores map[area.Code]*storage.Store
	recvs  map[area.Code]*receiver
	links  []*link
	closed bool
}

// link is one child's Sender to its parent.
type link struct {
	child, parent area.Code
	sender        *sender.Sender
	cancel        context.CancelFunc
	done          chan struct{} // closed when Run returned
}

func newHarness(t tb, dir string, seed uint64) *harness {
	return &harness{t: t, dir: dir, faults: &faults{rng: rand.New(rand.NewPCG(seed, 11))},
		stores: map[area.Code]*storage.Store{}, recvs: map[area.Code]*receiver{}}
}

func (h *harness) store(a area.Code) *storage.Store {
	if s := h.stores[a]; s != nil {
		return s
	}
	s := openStore(h.t, h.dir, a)
	h.stores[a] = s
	return s
}

func (h *harness) receiver(a area.Code) *receiver {
	if r := h.recvs[a]; r != nil {
		return r
	}
	r := newReceiver(h.store(a))
	h.recvs[a] = r
	return r
}

// testConfig is the Config of the harness's senders: fast polls and short
// backoffs, small enough batches to pipeline a few hundred entries.
func testConfig() sender.Config {
	return sender.Config{
		MaxBatchEntries: 64, PerOriginQuantum: 16, MaxInFlight: 4,
		BackoffMin: time.Millisecond, BackoffMax: 20 * time.Millisecond,
		Poll: 10 * time.Millisecond, AckTimeout: 5 * time.Second, Logger: testLogger(),
	}
}

// connect starts a Sender from child to parent; mod adjusts its config.
func (h *harness) connect(child, parent area.Code, mod func(*sender.Config)) *link {
	h.t.Helper()
	cfg := testConfig()
	cfg.Area, cfg.Server, cfg.Source = child, string(child)+"-a", h.store(child)
	cfg.Dialer = &fakeDialer{r: h.receiver(parent), f: h.faults}
	if mod != nil {
		mod(&cfg)
	}
	s, err := sender.New(cfg)
	if err != nil {
		h.t.Fatalf("new sender %s: %v", child, err)
	}
	l := &link{child: child, parent: parent, sender: s}
	if r := h.recvs[child]; r != nil { // a county forwards what its children send
		r.mu.Lock()
		r.onApply = s.Notify
		r.mu.Unlock()
	}
	h.links = append(h.links, l)
	h.start(l)
	return l
}

func (h *harness) start(l *link) {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go func() {
		defer close(l.done)
		if err := l.sender.Run(ctx); err != nil {
			panic(fmt.Sprintf("Run of %s returned %v", l.child, err))
		}
	}()
}

// bounce stops a link's Run and starts it again, as a leader change does.
func (h *harness) bounce(l *link) {
	l.cancel()
	<-l.done
	h.start(l)
}

// close stops every Run and closes the stores; it may be called again.
func (h *harness) close() {
	if h.closed {
		return
	}
	h.closed = true
	for _, l := range h.links {
		l.cancel()
		<-l.done
	}
	for _, r := range h.recvs {
		r.workers.Wait()
	}
	for _, s := range h.stores {
		s.Close()
	}
}

func (h *harness) notifyAll() {
	for _, l := range h.links {
		l.sender.Notify()
	}
}

// converged returns nil when every parent holds every origin of its child
// up to the child's watermark.
func (h *harness) converged() error {
	for _, l := range h.links {
		child, parent := h.stores[l.child], h.stores[l.parent]
		wms, err := child.Watermarks()
		if err != nil {
			return err
		}
		for _, w := range wms {
			if got := watermark(h.t, parent, w.Origin); got != w.Seq {
				return fmt.Errorf("%s holds origin %s at seq %d, %s at %d", l.parent, w.Origin, got, l.child, w.Seq)
			}
		}
	}
	return nil
}

// checkNotAhead fails when a parent holds an origin beyond its child's
// watermark. Parents are read first: the child's only grows meanwhile.
func (h *harness) checkNotAhead() {
	h.t.Helper()
	for _, l := range h.links {
		pw, err := h.stores[l.parent].Watermarks()
		if err != nil {
			h.t.Fatalf("%v", err)
		}
		for _, w := range pw {
			if l.child.Contains(w.Origin) {
				if cw := watermark(h.t, h.stores[l.child], w.Origin); w.Seq > cw {
					h.t.Fatalf("%s holds origin %s at seq %d, beyond its source %s at %d", l.parent, w.Origin, w.Seq, l.child, cw)
				}
			}
		}
	}
}

// waitFor polls cond until it returns nil, failing after d with its last
// error.
func waitFor(t tb, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %v", d, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// sameCounters compares a street's own counters with the replica's at
// every store above it, and checks exactly-once application: every
// receiver applied each origin's entries once.
func (h *harness) sameCounters(streets ...area.Code) {
	h.t.Helper()
	for _, st := range streets {
		want, err := h.stores[st].AreaCounters(st)
		if err != nil || len(want) == 0 {
			h.t.Fatalf("counters of %s: %v (%d)", st, err, len(want))
		}
		for a, s := range h.stores {
			if a == st || !a.Contains(st) {
				continue
			}
			got, err := s.AreaCounters(st)
			if err != nil || !maps.Equal(got, want) {
				h.t.Fatalf("%s's counters of %s differ (%v):\n got %v\nwant %v", a, st, err, got, want)
			}
		}
	}
	for a, r := range h.recvs {
		r.mu.Lock()
		for origin, n := range r.applied {
			if wm := watermark(h.t, h.stores[a], origin); uint64(n) != wm {
				h.t.Fatalf("%s applied %d entries of %s, watermark %d: counted twice or lost", a, n, origin, wm)
			}
		}
		r.mu.Unlock()
	}
}

func (h *harness) verifyAll() {
	h.t.Helper()
	for a, s := range h.stores {
		rep, err := s.Verify(context.Background())
		if err != nil || !rep.OK {
			h.t.Fatalf("verify %s: %v %v", a, err, rep.Problems)
		}
	}
}

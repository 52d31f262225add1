package sender_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/sender"
	"fedsync/sync/wire"
)

// TestRefusedOriginHeldBack: the county holds a forked history of street 1
// (another store that wrote under the same code). Street 1's entries then
// never continue the county's chain: the sender logs and counts each
// refusal and retries after a growing backoff, without spinning, while
// street 2 replicates normally.
func TestRefusedOriginHeldBack(t *testing.T) {
	h := newHarness(t, t.TempDir(), 6)
	defer h.close()
	r := rand.New(rand.NewPCG(6, 6))
	fork := openStore(t, t.TempDir(), street1)
	defer fork.Close()
	write(t, fork, communityPuts(t, street1)[:3])
	seed(t, h.store(county), street1, entriesOf(t, fork, street1))
	for _, st := range []area.Code{street1, street2} {
		write(t, h.store(st), communityPuts(t, st))
		write(t, h.store(st), randomMuts(t, r, st, 30))
	}
	slow := func(c *sender.Config) { c.BackoffMin, c.BackoffMax = 20*time.Millisecond, 100*time.Millisecond }
	l1 := h.connect(street1, county, slow)
	h.connect(street2, county, slow)
	waitFor(t, 10*time.Second, func() error {
		if w, want := watermark(t, h.store(county), street2), watermark(t, h.store(street2), street2); w != want {
			return fmt.Errorf("street 2 at %d, want %d", w, want)
		}
		if n := l1.sender.Stats().RangesRefused; n < 2 {
			return fmt.Errorf("%d refusals", n)
		}
		return nil
	})
	start, before := time.Now(), l1.sender.Stats().RangesRefused
	waitFor(t, 5*time.Second, func() error {
		if time.Since(start) < 500*time.Millisecond {
			return errors.New("observing")
		}
		return nil
	})
	st := l1.sender.Stats()
	if n := st.RangesRefused - before; n > 30 {
		t.Errorf("%d refusals in %v: the sender spins on refused data", n, time.Since(start))
	}
	if st.EncodeErrors == 0 { // the Welcome's chain is the fork's: caught before sending
		t.Errorf("stats: got %+v, want an encode error for the forked chain", st)
	}
	o := l1.sender.Status().Origins[0]
	if o.Refusals < 2 || !strings.Contains(o.LastRefusal, "chain") || o.Acked != 3 || o.Backlog == 0 {
		t.Errorf("status of the refused origin: %+v", o)
	}
	if got := watermark(t, h.store(county), street1); got != 3 {
		t.Errorf("county holds the fork at %d, want 3: nothing of the refused entries applied", got)
	}
}

// TestEntryTooLargeForLimits: entries over the parent's MaxEntryBody cannot
// be encoded; the origin is held back and reported, the session stays up.
func TestEntryTooLargeForLimits(t *testing.T) {
	h := newHarness(t, t.TempDir(), 7)
	defer h.close()
	write(t, h.store(street1), randomMuts(t, rand.New(rand.NewPCG(7, 7)), street1, 5)) // orgs of ~300 bytes
	l := h.connect(street1, county, func(c *sender.Config) { c.Limits = wire.Limits{MaxEntryBody: 64} })
	waitFor(t, 10*time.Second, func() error {
		if o := l.sender.Status().Origins; len(o) != 1 || o[0].Refusals == 0 || !strings.Contains(o[0].LastRefusal, "limit") {
			return fmt.Errorf("status: %+v", o)
		}
		return nil
	})
	if st := l.sender.Stats(); st.EncodeErrors == 0 || st.BatchesSent != 0 || st.Sessions != 1 {
		t.Errorf("stats: %+v", st)
	}
}

// TestBatchSplit: a parent with a tight compression-ratio limit refuses
// large compressible batches at encode time; the sender halves them until
// they fit, and everything arrives.
func TestBatchSplit(t *testing.T) {
	h := newHarness(t, t.TempDir(), 8)
	defer h.close()
	writeOrgs(t, h.store(street1), "s", 300)
	lim := wire.Limits{MaxEntryBody: 1024, RatioFreeRaw: 8192, MaxRatio: 2}
	l := h.connect(street1, county, func(c *sender.Config) { c.Limits, c.MaxBatchEntries, c.MaxBatchBytes = lim, 300, 1<<20 })
	waitFor(t, 20*time.Second, h.converged)
	st := l.sender.Stats()
	if st.BatchesSent < 300*200/8192 || st.RawBytes/st.BatchesSent > 8192 {
		t.Errorf("stats: %+v: want batches split to at most RatioFreeRaw", st)
	}
	h.sameCounters(street1)
}

// TestMissingEntries: the county's log of street 1 starts at seq 10 (the
// rest pruned) and the city has nothing of it. The sender reports the
// origin once and skips it until new entries arrive; street 2 replicates.
func TestMissingEntries(t *testing.T) {
	h := newHarness(t, t.TempDir(), 9)
	defer h.close()
	log1 := orgLog(t, street1, 20)
	src := &memSource{logs: map[area.Code][]storage.Entry{street1: log1[:15], street2: orgLog(t, street2, 7)},
		pruned: map[area.Code]uint64{street1: 10}}
	l := h.connect(county, city, func(c *sender.Config) { c.Source = src })
	waitFor(t, 10*time.Second, func() error {
		if w := watermark(t, h.store(city), street2); w != 7 {
			return fmt.Errorf("street 2 at %d", w)
		}
		return nil
	})
	waitFor(t, 5*time.Second, func() error {
		if n := l.sender.Stats().Missing; n != 1 {
			return fmt.Errorf("missing reported %d times", n)
		}
		return nil
	})
	start := time.Now()
	waitFor(t, 5*time.Second, func() error { // several polls pass without a retry
		if time.Since(start) < 100*time.Millisecond {
			return errors.New("observing")
		}
		return nil
	})
	if n := l.sender.Stats().Missing; n != 1 {
		t.Fatalf("missing reported %d times without new entries: want once", n)
	}
	if o := l.sender.Status().Origins[0]; o.Origin != street1 || o.MissingSeq != 1 || o.Backlog != 15 {
		t.Errorf("status: %+v, want street 1 missing seq 1", o)
	}
	src.mu.Lock()
	src.logs[street1] = log1
	src.mu.Unlock()
	l.sender.Notify()
	waitFor(t, 5*time.Second, func() error {
		if n := l.sender.Stats().Missing; n != 2 {
			return fmt.Errorf("missing reported %d times", n)
		}
		return nil
	})
	if w := watermark(t, h.store(city), street1); w != 0 {
		t.Errorf("city holds street 1 at %d, want nothing", w)
	}
}

// TestAckTimeout: the parent applies a batch and falls silent. The sender
// gives the session up after AckTimeout, redials and finishes.
func TestAckTimeout(t *testing.T) {
	h := newHarness(t, t.TempDir(), 10)
	defer h.close()
	writeOrgs(t, h.store(street1), "t", 200)
	h.faults.stall = 1
	h.faults.set(true)
	l := h.connect(street1, county, func(c *sender.Config) { c.AckTimeout = 50 * time.Millisecond })
	waitFor(t, 10*time.Second, func() error {
		if s := l.sender.Status(); !strings.Contains(s.LastError, sender.ErrAckTimeout.Error()) {
			return fmt.Errorf("last error %q", s.LastError)
		}
		return nil
	})
	h.faults.set(false)
	waitFor(t, 10*time.Second, h.converged)
	h.sameCounters(street1)
}

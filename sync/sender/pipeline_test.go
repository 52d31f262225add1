package sender_test

import (
	"testing"
	"time"

	"fedsync/sync/sender"
)

// TestPipelining: with every ack delayed 20 ms, the sender keeps several
// batches outstanding instead of waiting one round trip per batch.
func TestPipelining(t *testing.T) {
	h := newHarness(t, t.TempDir(), 5)
	defer h.close()
	writeOrgs(t, h.store(street1), "p", 600)
	h.faults.delay = 20 * time.Millisecond
	l := h.connect(street1, county, func(c *sender.Config) {
		c.MaxBatchEntries, c.MaxInFlight = 20, 8 // 30 batches
	})
	waitFor(t, 20*time.Second, h.converged)
	waitFor(t, 5*time.Second, func() error { return backlogZero(l.sender.Status()) })
	r := h.receiver(county)
	r.mu.Lock()
	outstanding, batches := r.maxOutstanding, len(r.batches)
	r.mu.Unlock()
	st := l.sender.Stats()
	if outstanding < 4 || st.PeakInFlight < 4 || batches < 30 {
		t.Fatalf("%d batches, at most %d outstanding at the receiver, sender's peak %d: want at least 4 outstanding",
			batches, outstanding, st.PeakInFlight)
	}
	if st.BatchesSent != uint64(batches) || st.RangesApplied != uint64(batches) || st.RangesDuplicate+st.RangesGap+st.RangesRefused != 0 {
		t.Errorf("stats: %+v for %d batches", st, batches)
	}
	h.sameCounters(street1)
}

package sender_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/sender"
)

// memSource is a Source held in memory: the logs a county would hold,
// without writing them to bbolt first (50,000 entries through storage twice
// would dominate the test under -race). Entries below pruned[origin] are
// gone, as after retention.
type memSource struct {
	mu     sync.Mutex
	logs   map[area.Code][]storage.Entry
	pruned map[area.Code]uint64
}

func (m *memSource) Watermarks() ([]storage.Watermark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.Watermark
	for _, o := range sortedCodes(m.logs) {
		es := m.logs[o]
		last := es[len(es)-1]
		out = append(out, storage.Watermark{Origin: o, Seq: last.Seq, Chain: last.Chain, Time: last.Time})
	}
	return out, nil
}

func (m *memSource) Entries(origin area.Code, from uint64, fn func(storage.Entry) bool) error {
	m.mu.Lock()
	from = max(from, m.pruned[origin], 1)
	es := m.logs[origin][min(from-1, uint64(len(m.logs[origin]))):]
	m.mu.Unlock()
	for _, e := range es {
		if !fn(e) {
			return nil
		}
	}
	return nil
}

func sortedCodes[V any](m map[area.Code]V) []area.Code {
	var out []area.Code
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// orgLog returns a street's log of n new orgs, chained as storage chains
// it. The bodies are a few canonical orgs with the id substituted: encoding
// 50,000 records would dominate the test under -race.
func orgLog(t tb, street area.Code, n int) []storage.Entry {
	r := rand.New(rand.NewPCG(uint64(n), 9))
	var templates [][]byte
	for range 16 {
		templates = append(templates, sentOf(t, orgOf(r, street, "ORGID")))
	}
	out := make([]storage.Entry, n)
	var prev [32]byte
	for i := range out {
		id := fmt.Sprintf("org-%d", i)
		e := storage.Entry{Origin: street, Seq: uint64(i + 1), Time: time.Date(2023, 3, 1, 9, 0, i, 0, time.UTC).UnixNano(),
			Kind: registry.KindOrg, ID: id, Op: storage.OpPut, Body: bytes.ReplaceAll(templates[i%len(templates)], []byte("ORGID"), []byte(id))}
		e.Chain = storage.ChainNext(prev, e)
		out[i], prev = e, e.Chain
	}
	return out
}

// TestFairness: a county forwards a street with a backlog of 50,000
// entries and another with 10, with the default batch and quantum sizes.
// The small street's entries reach the city in the first batches, long
// before the backlog is through.
func TestFairness(t *testing.T) {
	const big, small = 50_000, 10
	h := newHarness(t, t.TempDir(), 4)
	defer h.close()
	src := &memSource{logs: map[area.Code][]storage.Entry{street1: orgLog(t, street1, big), street2: orgLog(t, street2, small)}}
	l := h.connect(county, city, func(c *sender.Config) {
		d := sender.DefaultConfig()
		c.MaxBatchEntries, c.MaxBatchBytes, c.PerOriginQuantum, c.MaxInFlight = d.MaxBatchEntries, d.MaxBatchBytes, d.PerOriginQuantum, d.MaxInFlight
		c.Source = src
	})
	r := h.receiver(city)
	waitFor(t, 30*time.Second, func() error {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, m := range r.batches {
			if m[street2] == small {
				if i > 1 || m[street1] >= big {
					t.Fatalf("the small street was acknowledged in batch %d, with the big one at %d", i+1, m[street1])
				}
				return nil
			}
		}
		return fmt.Errorf("small street not acknowledged after %d batches", len(r.batches))
	})
	waitFor(t, 30*time.Second, func() error {
		if o := l.sender.Status().Origins; len(o) != 2 || o[1].Acked != small || o[0].Acked == 0 || o[0].Acked >= big {
			return fmt.Errorf("status: %+v", o)
		}
		return nil
	})
}

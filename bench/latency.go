package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"fedsync/area"
	"fedsync/node"
	"fedsync/registry"
	"fedsync/storage"
)

// sample is one single-record write of the latency phase.
type sample struct {
	origin area.Code
	seq    uint64
	at     time.Time     // the entry's origin time, as the street stored it
	write  time.Duration // how long node.Write took
}

// step is a moment the city's watermark of an origin was seen to move.
type step struct {
	at  time.Time
	seq uint64
}

// latency runs the latency phase on the caught-up cluster: the streets'
// extra records, one per write, round-robin at Scenario.LatencyRate; the
// city's watermarks are polled every Scenario.Poll meanwhile and until it
// holds them all.
func (r *runner) latency(ctx context.Context) (*Latency, error) {
	s := r.s
	lat := &Latency{Rate: s.LatencyRate, Duration: s.LatencyDuration, Poll: s.Poll}
	r.progress(fmt.Sprintf("latency: %d single-record writes/s across %d streets for %v", s.LatencyRate, len(r.shares), s.LatencyDuration))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	samples, errc := r.latencyWriters(wctx)
	steps := map[area.Code][]step{}
	last := map[area.Code]uint64{}
	track := func(now time.Time, marks map[area.Code]storage.Watermark) {
		for _, m := range r.c.streets {
			if w := marks[m.code]; w.Seq > last[m.code] {
				last[m.code] = w.Seq
				steps[m.code] = append(steps[m.code], step{now, w.Seq})
			}
		}
	}
	var got []sample
	var werr error
	err := r.watch(ctx, "the city to hold the latency phase's entries", func(now time.Time, marks map[area.Code]storage.Watermark) (bool, error) {
		track(now, marks)
		if samples != nil {
			select {
			case got = <-samples:
				werr, samples = <-errc, nil
			default:
				return false, nil
			}
		}
		if werr != nil {
			return false, werr
		}
		return r.latencyDone(got, last), nil
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return summarize(lat, got, steps)
}

// latencyDone reports whether the city holds every sample.
func (r *runner) latencyDone(got []sample, last map[area.Code]uint64) bool {
	for _, x := range got {
		if last[x.origin] < x.seq {
			return false
		}
	}
	return true
}

// summarize turns samples and the city's steps into percentiles.
func summarize(lat *Latency, got []sample, steps map[area.Code][]step) (*Latency, error) {
	var ds, ws []time.Duration
	for _, x := range got {
		st := steps[x.origin]
		i := sort.Search(len(st), func(i int) bool { return st[i].seq >= x.seq })
		if i == len(st) {
			return nil, fmt.Errorf("latency: %s seq %d never seen at the city", x.origin, x.seq)
		}
		ds = append(ds, max(st[i].at.Sub(x.at), 0))
		ws = append(ws, x.write)
	}
	if len(ds) == 0 {
		return nil, errors.New("latency: no samples")
	}
	lat.Writes = len(ds)
	lat.P50, lat.P99, lat.Max = percentile(ds, 50), percentile(ds, 99), percentile(ds, 100)
	lat.WriteP50 = percentile(ws, 50)
	return lat, nil
}

// latencyWriters writes the extra records: a pacer hands record k to street
// k mod streets every 1/LatencyRate; each street writes its records in
// order on its own goroutine, so a slow fsync at one street delays no
// other. The samples arrive on the first channel once every write is done,
// then the error (nil or not) on the second.
func (r *runner) latencyWriters(ctx context.Context) (<-chan []sample, <-chan error) {
	out, errc := make(chan []sample, 1), make(chan error, 1)
	var mu sync.Mutex
	var got []sample
	queues := make([]chan storage.Mutation, len(r.shares))
	errs := make([]error, len(r.shares))
	var wg sync.WaitGroup
	for i, sh := range r.shares {
		queues[i] = make(chan storage.Mutation, len(sh.extra))
		n := r.c.streets[i].n
		wg.Go(func() {
			for m := range queues[i] {
				if errs[i] != nil || ctx.Err() != nil {
					continue
				}
				x, err := writeOne(ctx, n, m)
				if err != nil {
					errs[i] = err
					continue
				}
				mu.Lock()
				got = append(got, x)
				mu.Unlock()
			}
		})
	}
	go func() {
		r.pace(ctx, queues)
		wg.Wait()
		out <- got
		errc <- errors.Join(append(errs, ctx.Err())...)
	}()
	return out, errc
}

// pace hands the extra records to the street queues at the phase's rate
// and closes the queues.
func (r *runner) pace(ctx context.Context, queues []chan storage.Mutation) {
	defer func() {
		for _, q := range queues {
			close(q)
		}
	}()
	t := time.NewTicker(time.Second / time.Duration(r.s.LatencyRate))
	defer t.Stop()
	next := make([]int, len(r.shares))
	for k := range r.s.latencyWrites() {
		i := k % len(r.shares)
		if next[i] >= len(r.shares[i].extra) {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		queues[i] <- r.shares[i].extra[next[i]]
		next[i]++
	}
}

// writeOne writes m alone and reads back its origin time.
func writeOne(ctx context.Context, n *node.Node, m storage.Mutation) (sample, error) {
	start := time.Now()
	res, err := n.Write(ctx, []storage.Mutation{m})
	if err != nil {
		return sample{}, fmt.Errorf("street %s: write: %w", n.Area(), err)
	}
	if res[0].Err != nil {
		return sample{}, fmt.Errorf("street %s: record %s refused: %w", n.Area(), m.ID, res[0].Err)
	}
	took := time.Since(start)
	st, err := n.Get(registry.KindOrg, "", m.ID)
	if err != nil {
		return sample{}, fmt.Errorf("street %s: read back %s: %w", n.Area(), m.ID, err)
	}
	return sample{origin: n.Area(), seq: res[0].Seq, at: st.Updated, write: took}, nil
}

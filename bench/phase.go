package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"fedsync/area"
	"fedsync/node"
	"fedsync/registry"
	"fedsync/storage"
)

// runner runs one mode on one cluster.
type runner struct {
	s        Scenario
	topo     topology
	shares   []share
	load     int64 // bodyBytes(shares)
	progress func(string)
	c        *cluster

	lastReport time.Time // of report
}

// reportEvery is how often a waiting step reports progress.
const reportEvery = 2 * time.Second

// run builds the cluster in dir, runs mode's main phase and, when asked,
// the latency phase on the same nodes, then stops the nodes and removes
// dir.
func (r *runner) run(ctx context.Context, dir, mode string, latency bool) (ph *Phase, lat *Latency, err error) {
	r.c, err = newCluster(dir, r.topo, r.s.NoSync, r.s.Logger)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if e := r.c.stop(); e != nil && err == nil {
			err = fmt.Errorf("stop nodes: %w", e)
		}
		r.c.remove()
	}()
	if mode == ModeLive {
		ph, err = r.live(ctx)
	} else {
		ph, err = r.catchup(ctx)
	}
	if err != nil {
		return nil, nil, err
	}
	ph.CityOrgs = r.c.city.n.Status().Records[string(registry.KindOrg)]
	if ph.CityOrgs != int64(r.s.Entries) {
		return nil, nil, fmt.Errorf("the city caught up on every watermark but counts %d orgs, want %d", ph.CityOrgs, r.s.Entries)
	}
	if ph.Links, err = r.c.links(ctx); err != nil {
		return nil, nil, err
	}
	ph.Memory = readMemory(r.load)
	if latency {
		lat, err = r.latency(ctx)
	}
	return ph, lat, err
}

// live starts every node, waits until the city holds the streets'
// seeded communities, then writes and clocks until the city holds every
// entry.
func (r *runner) live(ctx context.Context) (*Phase, error) {
	c := r.c
	r.progress(fmt.Sprintf("live: starting %d nodes", len(c.streets)+len(c.upper())))
	for _, m := range c.upper() {
		if err := c.start(ctx, m); err != nil {
			return nil, err
		}
	}
	if err := c.startAll(ctx, c.streets); err != nil {
		return nil, err
	}
	base := c.heads()
	err := r.watch(ctx, "the seeded communities to reach the city", func(_ time.Time, marks map[area.Code]storage.Watermark) (bool, error) {
		return covered(marks, base), nil
	})
	if err != nil {
		return nil, err
	}
	r.progress(fmt.Sprintf("live: writing %s records", thousands(r.s.Entries)))
	ph := &Phase{Mode: ModeLive}
	start := time.Now()
	w := r.write(ctx)
	defer w.stop()
	var heads map[area.Code]uint64
	var trace []point
	err = r.watch(ctx, "the city to hold every entry", func(now time.Time, marks map[area.Code]storage.Watermark) (bool, error) {
		trace = append(trace, point{now, held(marks, base)})
		if heads == nil && w.finished() {
			if w.err != nil {
				return false, w.err
			}
			heads, ph.WriteElapsed = c.heads(), w.elapsed
		}
		if heads == nil || !covered(marks, heads) {
			r.report(now, "live", start, w, held(marks, base))
			return false, nil
		}
		ph.Elapsed = now.Sub(start)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	ph.Entries = held(c.marks(), base)
	ph.EntriesPerSec = rate(ph.Entries, ph.Elapsed)
	ph.PeakPerSec = peakRate(trace, PeakWindow)
	ph.WritesPerSec = rate(r.s.Entries, ph.WriteElapsed)
	return ph, nil
}

// catchup starts the streets only, writes everything, then starts the
// city (and county) and clocks from the city's start until it holds every
// entry.
func (r *runner) catchup(ctx context.Context) (*Phase, error) {
	c := r.c
	down := "the city stays"
	if c.county != nil {
		down = "the city and the county stay"
	}
	r.progress(fmt.Sprintf("catchup: starting %d streets; %s down", len(c.streets), down))
	if err := c.startAll(ctx, c.streets); err != nil {
		return nil, err
	}
	ph := &Phase{Mode: ModeCatchup}
	start := time.Now()
	w := r.write(ctx)
	defer w.stop()
	r.progress(fmt.Sprintf("catchup: writing %s records", thousands(r.s.Entries)))
	if err := r.waitWriters(ctx, w, start); err != nil {
		return nil, err
	}
	ph.WriteElapsed, ph.WritesPerSec = w.elapsed, rate(r.s.Entries, w.elapsed)
	heads := c.heads()
	r.progress(fmt.Sprintf("catchup: streets wrote %s records in %v; starting the city", thousands(r.s.Entries), w.elapsed.Round(time.Millisecond)))
	start = time.Now()
	for _, m := range c.upper() {
		if err := c.start(ctx, m); err != nil {
			return nil, err
		}
		if m == c.city {
			ph.CityStart = time.Since(start)
		}
	}
	seen := map[area.Code]bool{}
	var trace []point
	err := r.watch(ctx, "the city to catch up", func(now time.Time, marks map[area.Code]storage.Watermark) (bool, error) {
		trace = append(trace, point{now, held(marks, nil)})
		for o := range heads {
			if marks[o].Seq > 0 && !seen[o] {
				seen[o] = true
				if len(seen) == 1 {
					ph.FirstEntry = now.Sub(start)
				}
				if len(seen) == len(heads) {
					ph.AllDelivering = now.Sub(start)
				}
			}
		}
		if !covered(marks, heads) {
			r.report(now, "catchup", start, nil, held(marks, nil))
			return false, nil
		}
		ph.Elapsed = now.Sub(start)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	ph.Entries = held(c.marks(), nil)
	ph.EntriesPerSec = rate(ph.Entries, ph.Elapsed)
	ph.FromFirstPerSec = rate(ph.Entries, ph.Elapsed-ph.FirstEntry)
	ph.PeakPerSec = peakRate(trace, PeakWindow)
	return ph, nil
}

// watch polls the city's watermarks every Scenario.Poll until check says
// done or fails, within Scenario.Timeout.
func (r *runner) watch(ctx context.Context, what string, check func(time.Time, map[area.Code]storage.Watermark) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, r.s.Timeout)
	defer cancel()
	t := time.NewTicker(r.s.Poll)
	defer t.Stop()
	for {
		done, err := check(time.Now(), r.c.marks())
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// waitWriters waits for the writers, reporting progress.
func (r *runner) waitWriters(ctx context.Context, w *writers, start time.Time) error {
	t := time.NewTicker(reportEvery)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return w.err
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			r.progress(fmt.Sprintf("catchup: streets wrote %s of %s (%.0f/s)", thousands(w.written.Load()), thousands(r.s.Entries), rate(w.written.Load(), now.Sub(start))))
		}
	}
}

// report sends a progress line at most every reportEvery.
func (r *runner) report(now time.Time, mode string, start time.Time, w *writers, city uint64) {
	if r.lastReport.IsZero() {
		r.lastReport = start
	}
	if now.Sub(r.lastReport) < reportEvery {
		return
	}
	r.lastReport = now
	line := fmt.Sprintf("%s: city holds %s (%.0f/s)", mode, thousands(city), rate(city, now.Sub(start)))
	if w != nil {
		line = fmt.Sprintf("%s: streets wrote %s of %s; city holds %s (%.0f/s)", mode, thousands(w.written.Load()), thousands(r.s.Entries), thousands(city), rate(city, now.Sub(start)))
	}
	r.progress(line)
}

// covered reports whether the city's marks reach every head.
func covered(marks map[area.Code]storage.Watermark, heads map[area.Code]uint64) bool {
	for o, h := range heads {
		if marks[o].Seq < h {
			return false
		}
	}
	return true
}

// held sums what the city holds of the streets' origins beyond base
// (every origin of marks when base is nil).
func held(marks map[area.Code]storage.Watermark, base map[area.Code]uint64) uint64 {
	var n uint64
	for o, w := range marks {
		if base == nil {
			if o.Level() == area.LevelStreet {
				n += w.Seq
			}
			continue
		}
		if b, ok := base[o]; ok && w.Seq > b {
			n += w.Seq - b
		}
	}
	return n
}

// writers are the streets writing their main records, one goroutine each.
type writers struct {
	done    chan struct{} // closed when every writer has returned
	cancel  context.CancelFunc
	written atomic.Int64

	// Set before done is closed.
	elapsed time.Duration
	err     error
}

// write starts one writer per street.
func (r *runner) write(ctx context.Context) *writers {
	ctx, cancel := context.WithCancel(ctx)
	w := &writers{done: make(chan struct{}), cancel: cancel}
	start := time.Now()
	go func() {
		defer close(w.done)
		errs := make([]error, len(r.shares))
		var wg sync.WaitGroup
		for i, sh := range r.shares {
			n := r.c.streets[i].n
			wg.Go(func() { errs[i] = writeBatches(ctx, n, sh.main, r.s.BatchSize, &w.written) })
		}
		wg.Wait()
		w.elapsed, w.err = time.Since(start), errors.Join(errs...)
	}()
	return w
}

// finished reports whether every writer has returned.
func (w *writers) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// stop cancels the writers and waits for them.
func (w *writers) stop() {
	w.cancel()
	<-w.done
}

// writeBatches writes muts through n in batches, failing on the first
// refused record.
func writeBatches(ctx context.Context, n *node.Node, muts []storage.Mutation, batch int, count *atomic.Int64) error {
	for i := 0; i < len(muts); i += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		j := min(i+batch, len(muts))
		res, err := n.Write(ctx, muts[i:j])
		if err != nil {
			return fmt.Errorf("street %s: write: %w", n.Area(), err)
		}
		for k, x := range res {
			if x.Err != nil {
				return fmt.Errorf("street %s: record %s refused: %w", n.Area(), muts[i+k].ID, x.Err)
			}
		}
		count.Add(int64(j - i))
	}
	return nil
}

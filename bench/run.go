package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"fedsync/area"
	"fedsync/registry"
)

// Run runs the scenario: it prepares the records, measures the raw
// baseline, then runs each mode on a fresh set of nodes (the first one
// followed by the latency phase) and removes every file it made. progress,
// if not nil, receives one-line reports of what is happening; it is called
// from Run's goroutine only.
func Run(ctx context.Context, s Scenario, progress func(string)) (Result, error) {
	s = s.withDefaults()
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if progress == nil {
		progress = func(string) {}
	}
	if s.Logger == nil {
		s.Logger = discard()
	}
	topo := chooseTopology(s.Shape, s.Streets)
	res := Result{Scenario: s, Machine: readMachine(), City: topo.city, County: topo.county, Streets: topo.streets, Entries: s.Entries}
	if topo.note != "" {
		res.Notes = append(res.Notes, topo.note)
	}
	dir, err := os.MkdirTemp(s.DataDir, "fedsync-bench-")
	if err != nil {
		return res, fmt.Errorf("bench data dir: %w", err)
	}
	defer os.RemoveAll(dir)

	shares, err := prepare(s, topo, progress)
	if err != nil {
		return res, err
	}
	progress(fmt.Sprintf("raw baseline: %s records into one bare bbolt file, batches of %d", thousands(s.Entries), RawBatch))
	if res.Raw, err = runRaw(dir, shares, s.NoSync); err != nil {
		return res, err
	}
	os.Remove(filepath.Join(dir, "raw.db"))
	progress(fmt.Sprintf("raw baseline: %.0f records/s", res.Raw.RecordsPerSec))

	for i, mode := range s.modes() {
		r := &runner{s: s, topo: topo, shares: shares, load: bodyBytes(shares), progress: progress}
		ph, lat, err := r.run(ctx, filepath.Join(dir, mode), mode, i == 0)
		if err != nil {
			return res, fmt.Errorf("%s: %w", mode, err)
		}
		ph.RatioToRaw = ratio(ph.EntriesPerSec, res.Raw.RecordsPerSec)
		if mode == ModeLive {
			res.Live = ph
		} else {
			res.Catchup = ph
		}
		if lat != nil {
			res.Latency = lat
		}
	}
	res.Memory = readMemory(bodyBytes(shares))
	return res, nil
}

// prepare reads the JSONL file, if any, and encodes every street's records.
func prepare(s Scenario, topo topology, progress func(string)) ([]share, error) {
	var pool []registry.Org
	if s.JSONL != "" {
		f, err := os.Open(s.JSONL)
		if err != nil {
			return nil, fmt.Errorf("jsonl: %w", err)
		}
		pool, err = LoadJSONL(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("jsonl %s: %w", s.JSONL, err)
		}
	}
	src := "generated"
	if pool != nil {
		src = fmt.Sprintf("from %s (%d records)", s.JSONL, len(pool))
	}
	where := fmt.Sprintf("%d streets of %s", len(topo.streets), area.Name(topo.city))
	if topo.county != "" {
		where = fmt.Sprintf("%d streets of %s, %s", len(topo.streets), area.Name(topo.county), area.Name(topo.city))
	}
	progress(fmt.Sprintf("preparing %s org records, %s, for %s", thousands(s.Entries), src, where))
	return buildShares(topo.streets, s.Entries, s.latencyWrites(), pool)
}

// ratio returns a/b (0 when b is 0).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// thousands formats n with thousands separators.
func thousands[N int | int64 | uint64](n N) string {
	s := fmt.Sprint(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

package sim

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

func TestPlan(t *testing.T) {
	if got := NodeCount(); got != 1508 {
		t.Errorf("NodeCount = %d, want 1508 (1 + 14 + 100 + 1393)", got)
	}
	p := Plan(1510)
	if p[0].Area != Liaoning || p[1].Area.Level() != area.LevelCity || p[1507].Area.Level() != area.LevelStreet {
		t.Errorf("plan not top-down: %v %v %v", p[0], p[1], p[1507])
	}
	if p[1508].Area != Liaoning || p[1508].Name != "210000000000-2" {
		t.Errorf("server 1509 = %+v, want the province's second server", p[1508])
	}
}

// TestConverges50 runs 50 servers (the province, 14 cities, 35 counties)
// and checks that the joins and a failure converge; the figures are only
// logged. Under the race detector memberlist runs ~15 times slower and 50
// servers saturate two cores (probes time out, servers flap), so it runs 16.
func TestConverges50(t *testing.T) {
	n := 50
	if raceEnabled {
		n = 16
		t.Logf("race detector on: %d servers instead of 50", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	res, err := Run(ctx, n, Options{
		Scale: 10, JoinInterval: 20 * time.Millisecond, Window: time.Second,
		PhaseTimeout: 40 * time.Second, Seed: 1,
	})
	t.Logf("simulated: %v", res)
	t.Logf("real time: %v", res.Real())
	if err != nil {
		t.Fatal(err)
	}
	if res.BytesPerServer <= 0 || res.Failure.All < res.Failure.First || res.Join.All <= 0 || res.QueryAnswers != n-1 {
		t.Errorf("implausible figures: %v", res)
	}
}

// TestSyncPasses checks that the anti-entropy passes complete a pool (the
// bootstrap wait finds every server seeing all at once) and that a run
// settling by rate goes through every phase.
func TestSyncPasses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	res, err := Run(ctx, 12, Options{
		Scale: 10, JoinInterval: 10 * time.Millisecond, Window: 500 * time.Millisecond,
		Settle: 3 * time.Second, SettleStep: 500 * time.Millisecond,
		PhaseTimeout: 30 * time.Second, Seed: 2, Sync: true,
	})
	t.Logf("simulated: %v", res)
	if err != nil {
		t.Fatal(err)
	}
	if res.SyncPhase <= 0 || res.Join.All <= 0 || res.Failure.All <= 0 || res.QueryAnswers != 11 {
		t.Errorf("implausible figures: %v", res)
	}
}

// TestSyncCompletesPool: with gossip slowed a hundredfold (a gossip round
// every 50 s, push/pull every 100 min), only the joins' own state exchanges
// and the sync passes can spread membership. With the passes every server
// sees all the others at once; without them the bootstrap does not
// converge in 3 s.
func TestSyncCompletesPool(t *testing.T) {
	for _, sync := range []bool{true, false} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := Run(ctx, 12, Options{
			Scale: 0.01, JoinInterval: 10 * time.Millisecond, Window: 10 * time.Millisecond,
			Settle: 10 * time.Millisecond, PhaseTimeout: 3 * time.Second, Seed: 3, Sync: sync,
		})
		cancel()
		t.Logf("sync=%v: %v (%v)", sync, res.Bootstrap, err)
		bootstrapped := err == nil || !strings.Contains(err.Error(), "servers seeing all alive")
		if bootstrapped != sync {
			t.Errorf("sync=%v: bootstrap converged=%v (%v), want %v", sync, bootstrapped, err, sync)
		}
	}
}

func TestDrained(t *testing.T) {
	for _, tc := range []struct {
		rates []float64
		at    int // index of the first rate judged drained; -1: never
	}{
		{[]float64{4800, 4850, 4700, 1200, 130, 120}, 5}, // a drain, the fall, then flat
		{[]float64{4800, 4800, 4800, 4800}, -1},          // still draining
		{[]float64{4800, 2000, 900, 400, 390}, 4},        // falls for a while
		{[]float64{100, 100, 100}, -1},                   // flat from the start: wait the bound
	} {
		first, prev, got := tc.rates[0], -1.0, -1
		for i, r := range tc.rates {
			if drained(first, prev, r) {
				got = i
				break
			}
			prev = r
		}
		if got != tc.at {
			t.Errorf("rates %v: drained at %d, want %d", tc.rates, got, tc.at)
		}
	}
}

// BenchmarkProvince runs the whole province once: the province's server and
// every city, county and street server (1,508):
//
//	go test -run XXX -bench BenchmarkProvince -benchtime 1x -timeout 3h ./federation/sim/
//
// Environment: FEDSYNC_SIM_N (servers, default 1508), FEDSYNC_SIM_SCALE
// (default 2), FEDSYNC_SIM_JOIN_INTERVAL (wall time between joins, default
// 1 s of real time, i.e. 1s/scale), FEDSYNC_SIM_WINDOW (default one
// push/pull period), FEDSYNC_SIM_PHASE_TIMEOUT (wall time each phase may
// take to converge, default 10m), FEDSYNC_SIM_SYNC (1: end the bootstrap
// with two anti-entropy passes, see Options.Sync; default 1 above 400
// servers), FEDSYNC_SIM_SETTLE (the most to wait before counting bytes) and
// FEDSYNC_SIM_SETTLE_STEP (sample the packet rate this often and stop
// settling once it no longer falls), FEDSYNC_SIM_LOG (a file for the pools'
// warnings). The garbage collector runs only near an 8 GiB heap
// (FEDSYNC_SIM_MEMLIMIT_GB): memberlist allocates a 64 KiB LZW table per
// packet, and with the default GOGC the collector, scanning the ~2 GiB of
// member state of 1,508 servers, costs more than the simulation itself.
func BenchmarkProvince(b *testing.B) {
	n := envInt("FEDSYNC_SIM_N", NodeCount())
	start := time.Now()
	progress := func(format string, args ...any) { // live, unlike b.Logf
		fmt.Fprintf(os.Stderr, "%8s  %s\n", time.Since(start).Round(time.Second), fmt.Sprintf(format, args...))
	}
	opts := Options{Scale: envFloat("FEDSYNC_SIM_SCALE", 2), Seed: 1, Progress: progress}
	opts.JoinInterval = envDuration("FEDSYNC_SIM_JOIN_INTERVAL", 0)
	opts.Window = envDuration("FEDSYNC_SIM_WINDOW", 0)
	opts.PhaseTimeout = envDuration("FEDSYNC_SIM_PHASE_TIMEOUT", 0)
	opts.Settle = envDuration("FEDSYNC_SIM_SETTLE", 0)
	opts.SettleStep = envDuration("FEDSYNC_SIM_SETTLE_STEP", 0)
	if path := os.Getenv("FEDSYNC_SIM_LOG"); path != "" { // the pools' warnings
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		opts.Logger = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	opts.Sync = envInt("FEDSYNC_SIM_SYNC", map[bool]int{true: 1}[n > 400]) == 1
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(envFloat("FEDSYNC_SIM_MEMLIMIT_GB", 8) * (1 << 30))))
	for b.Loop() {
		res, err := Run(context.Background(), n, opts)
		progress("simulated: %v", res)
		r := res.Real()
		progress("real time: %v", r)
		b.ReportMetric(r.Join.All.Seconds(), "join-s")
		b.ReportMetric(r.Failure.All.Seconds(), "fail-s")
		b.ReportMetric(r.BytesPerServer, "B/s/server")
		b.ReportMetric(r.Query.Seconds(), "query-s")
		if err != nil {
			b.Fatal(err)
		}
	}
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func envFloat(k string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(k), 64); err == nil {
		return v
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

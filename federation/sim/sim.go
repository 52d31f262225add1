// Package sim measures the federation's gossip pool at province scale in one
// process: n federation.Pools (one per street, county and city of Liaoning,
// and the province) over an in-memory Network that counts bytes. It
// measures how long a join and a failure take to reach every server, and
// what gossip costs each server at steady state.
//
// # Time scaling
//
// The pools run federation.DefaultTimings divided by Options.Scale: every
// interval and timeout is Scale times shorter, counts (gossip fan-out,
// retransmissions, suspicion multipliers) are unchanged. The protocol then
// does in one second what it does in Scale seconds with the real timings,
// so durations measured here are multiplied by Scale, and byte rates
// divided by Scale, to give real-time figures (Result.Real). This holds
// while the process keeps up: message handling must stay well under the
// scaled probe timeout. Result.CPU and Result.FalseFailures show whether
// it did (false failures mean scaled probe timeouts expired from CPU
// starvation, not from the network). Stream timeouts (joins, push/pull)
// are not scaled: they only bound failures, and a loaded machine must not
// turn a slow join into a failed one.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"fedsync/federation"
)

// Options tune a run. Zero values take the defaults.
type Options struct {
	// Scale divides every protocol timing (see the package doc). Default 10.
	Scale float64
	// JoinInterval is the wall time between two servers starting during the
	// staggered bootstrap. Default one second of real time (1 s / Scale). A
	// join makes the joiner re-gossip every member it learned, so bootstrap
	// costs O(n²) messages; joining faster than the process can handle them
	// only starves the failure detector.
	JoinInterval time.Duration
	// Window is the steady-state window over which bytes are counted, in
	// wall time. Default: one push/pull period at n servers (memberlist's
	// PushPullInterval scaled by ceil(log2(n/32))+1, then divided by Scale),
	// so that every server does about one full-state exchange in it.
	Window time.Duration
	// Settle bounds the wall time waited after bootstrap before counting
	// bytes, for the joiners' re-gossip to drain (a joiner re-broadcasts
	// every member it learned, RetransmitMult·ceil(log10(n+1)) times each).
	// Default: the time that takes at GossipNodes packets of ~5 messages per
	// GossipInterval, at least 2 s. With SettleStep set, the wait ends
	// earlier, once the packet bytes sent in one step have fallen below
	// half those of the first step and are no longer 10 % below those of
	// the step before.
	Settle time.Duration
	// SettleStep, when set, is the wall time over which the packet rate is
	// sampled while settling (see Settle).
	SettleStep time.Duration
	// Sync makes the bootstrap end with two anti-entropy passes: every
	// server does a full-state exchange (memberlist's push/pull, what a join
	// does) with the first server, all of them once and then all again, so
	// that the first server holds the union and every server then receives
	// it. Without it, at ~1,500 servers the last members a server lacks
	// reach it only by periodic push/pull (minutes of real time per round);
	// with it, the pool is complete a few seconds after the joins and the
	// join and failure figures are measured on a settled pool. The bootstrap
	// spread is then counted from the end of the passes.
	Sync bool
	// PhaseTimeout bounds each wait for convergence, in wall time. Default
	// 10 min.
	PhaseTimeout time.Duration
	// Seed makes the choice of join targets and of the victim repeatable.
	Seed uint64
	// Logger receives the pools' logs. Default: discarded.
	Logger *slog.Logger
	// Progress, when set, receives a line per phase and every 100 joins.
	Progress func(format string, args ...any)
}

func (o Options) withDefaults(n int) Options {
	if o.Scale <= 0 {
		o.Scale = 10
	}
	if o.JoinInterval <= 0 {
		o.JoinInterval = time.Duration(float64(time.Second) / o.Scale)
	}
	if o.Window <= 0 {
		o.Window = time.Duration(float64(pushPullPeriod(federation.DefaultTimings().PushPullInterval, n)) / o.Scale)
	}
	if o.Settle <= 0 {
		o.Settle = max(2*time.Second, drainTime(federation.DefaultTimings().Scaled(o.Scale), n))
	}
	if o.PhaseTimeout <= 0 {
		o.PhaseTimeout = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
	return o
}

// drainTime estimates how long a joiner takes to gossip the n alive
// messages it learned: each is sent RetransmitMult·ceil(log10(n+1)) times,
// about five to a packet, GossipNodes packets per GossipInterval.
func drainTime(t federation.Timings, n int) time.Duration {
	sends := float64(n) * float64(t.RetransmitMult) * math.Ceil(math.Log10(float64(n+1)))
	rounds := sends / (5 * float64(t.GossipNodes))
	return time.Duration(rounds * float64(t.GossipInterval))
}

// pushPullPeriod is memberlist's pushPullScale: the interval grows by one
// step per doubling of the pool above 32 members.
func pushPullPeriod(base time.Duration, n int) time.Duration {
	if n <= 32 {
		return base
	}
	return time.Duration(math.Ceil(math.Log2(float64(n))-math.Log2(32))+1) * base
}

// observer follows what one pool has seen, from its events.
type observer struct {
	up       atomic.Int64 // members alive (or leaving) in the pool's view, itself included
	joinSeen atomic.Int64 // unix ns when it saw the watched joiner come up
	deadSeen atomic.Int64 // unix ns when it saw the victim declared dead
}

// simulation is one run.
type simulation struct {
	opts       Options
	plan       []Server
	key        string
	net        *Network
	rng        *rand.Rand
	obs        []observer
	pools      []*federation.Pool // by plan index; nil until started
	trans      []*Transport
	joiner     atomic.Value // string: the name whose join is timed
	victim     atomic.Value // string: the name whose failure is timed
	falseFails atomic.Int64 // failures reported of servers not killed
	retries    atomic.Int64 // joins retried
}

// Run starts n servers (n ≥ 3) and measures them (see Result). On a phase
// that does not converge within Options.PhaseTimeout, or when ctx ends, it
// returns the figures measured so far and an error.
func Run(ctx context.Context, n int, opts Options) (Result, error) {
	if n < 3 {
		return Result{}, fmt.Errorf("sim: need at least 3 servers, got %d", n)
	}
	opts = opts.withDefaults(n)
	key, err := federation.GenerateKey()
	if err != nil {
		return Result{}, err
	}
	s := &simulation{
		opts: opts, plan: Plan(n), key: key, net: &Network{},
		rng: rand.New(rand.NewPCG(opts.Seed, 0x5eed)), obs: make([]observer, n),
		pools: make([]*federation.Pool, n), trans: make([]*Transport, n),
	}
	s.joiner.Store("")
	s.victim.Store("")
	defer s.shutdownAll()
	res := Result{N: n, Scale: opts.Scale}
	cpu0 := cpuTime()
	err = s.run(ctx, &res)
	res.TotalCPU = cpuTime() - cpu0
	runtime.GC() // count live memory only
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapMB = float64(ms.HeapInuse) / (1 << 20)
	res.FalseFailures, res.JoinRetries = s.falseFails.Load(), s.retries.Load()
	for _, t := range s.trans {
		if t != nil {
			res.Dropped += t.Dropped()
			res.Packets += t.Packets()
		}
	}
	return res, err
}

func (s *simulation) run(ctx context.Context, res *Result) error {
	n := len(s.plan)
	if err := s.bootstrap(ctx, res); err != nil {
		return err
	}
	s.opts.Progress("bootstrap: %d servers see all alive (first/half/p99/all) %v after the last join", n-1, res.Bootstrap)
	if err := s.steady(ctx, res); err != nil {
		return err
	}
	s.opts.Progress("steady state: %.0f bytes/s per server (max %.0f), cpu %.2f", res.BytesPerServer, res.BytesPerServerMax, res.CPU)
	if err := s.lastJoin(ctx, res); err != nil {
		return err
	}
	s.opts.Progress("join of server %d seen (first/half/p99/all) after %v", n, res.Join)
	if err := s.failure(ctx, res); err != nil {
		return err
	}
	s.opts.Progress("failure seen (first/half/p99/all) after %v", res.Failure)
	if err := s.query(ctx, res); err != nil {
		return err
	}
	s.opts.Progress("query answered by %d servers in %v (%d silent)", res.QueryAnswers, res.Query, res.QueryNoAnswer)
	return nil
}

// query times a gossip query (federation.Pool.Query) from the first server
// until every alive server has answered (the pools have no handler: each
// answers with an error, which is an answer).
func (s *simulation) query(ctx context.Context, res *Result) error {
	timeout := min(s.opts.PhaseTimeout, 10*time.Minute)
	start := time.Now()
	qr, err := s.pools[0].Query(ctx, "sim", []byte("ping"), timeout)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	res.Query, res.QueryAnswers, res.QueryNoAnswer = time.Since(start), len(qr.Answers), len(qr.NoAnswer)
	if len(qr.NoAnswer) > 0 {
		return fmt.Errorf("%w within %v: query: %d of %d servers silent", errTimeout, timeout, len(qr.NoAnswer), len(qr.Answers)+len(qr.NoAnswer))
	}
	return nil
}

// start creates the pool of plan[i] and joins it through a random started
// server (none for the first).
func (s *simulation) start(i int) error {
	t := s.net.NewTransport()
	s.trans[i] = t
	srv := s.plan[i]
	host := t.addr.IP.String()
	cfg := federation.DefaultConfig()
	cfg.Name, cfg.Transport, cfg.Logger = srv.Name, t, s.opts.Logger
	cfg.Meta = federation.Meta{
		Name: srv.Name, Area: srv.Area, Level: srv.Area.Level(),
		APIAddr: host + ":8080", SyncAddr: host + ":8081", RaftAddr: host + ":8082",
		RaftRole: federation.RoleLeader, Version: "sim",
	}
	cfg.Keyring.Primary = s.key
	cfg.Timings = federation.DefaultTimings().Scaled(s.opts.Scale)
	cfg.Timings.TCPTimeout = federation.DefaultTimings().TCPTimeout // bounds failures only; see the package doc
	cfg.OnEvent = s.onEvent(i)
	p, err := federation.New(cfg)
	if err != nil {
		return fmt.Errorf("sim: start %s: %w", srv.Name, err)
	}
	s.pools[i] = p
	if i == 0 {
		return nil
	}
	for range joinTries {
		target := s.pools[s.rng.IntN(i)]
		if _, err = p.Join([]string{target.LocalAddr()}); err == nil {
			return nil
		}
		s.retries.Add(1)
		s.opts.Logger.Warn("sim: join failed, retrying", "server", srv.Name, "target", target.Local().Name, "err", err)
	}
	return fmt.Errorf("sim: %s could not join in %d tries: %w", srv.Name, joinTries, err)
}

// joinTries bounds the attempts of one server to join, each through a
// random started server.
const joinTries = 5

func (s *simulation) onEvent(i int) func(federation.Event) {
	o := &s.obs[i]
	return func(e federation.Event) {
		was, is := e.Prev.Up(), e.Member.Status.Up()
		switch {
		case is && !was:
			o.up.Add(1)
		case was && !is:
			o.up.Add(-1)
		}
		now := time.Now().UnixNano()
		switch {
		case e.Kind == federation.EventJoin && e.Member.Name == s.joiner.Load().(string):
			o.joinSeen.CompareAndSwap(0, now)
		case e.Kind == federation.EventFailed && e.Member.Name == s.victim.Load().(string):
			o.deadSeen.CompareAndSwap(0, now)
		case e.Kind == federation.EventFailed:
			s.falseFails.Add(1)
		}
	}
}

// bootstrap starts the first n-1 servers, JoinInterval apart, and waits
// until each sees all n-1 alive.
func (s *simulation) bootstrap(ctx context.Context, res *Result) error {
	m := len(s.plan) - 1
	start := time.Now()
	tick := time.NewTicker(s.opts.JoinInterval)
	defer tick.Stop()
	for i := 0; i < m; i++ {
		if err := s.start(i); err != nil {
			return err
		}
		if err := s.overloaded(); err != nil {
			return fmt.Errorf("after %d servers: %w", i+1, err)
		}
		if i%100 == 99 {
			s.opts.Progress("%d servers started; cpu %v, false failures %d", i+1, cpuTime().Round(time.Second), s.falseFails.Load())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	res.JoinPhase = time.Since(start)
	if s.opts.Sync {
		t0 := time.Now()
		for pass := 1; pass <= 2; pass++ {
			if err := s.syncPass(ctx, m); err != nil {
				return fmt.Errorf("sync pass %d: %w", pass, err)
			}
			s.opts.Progress("sync pass %d done after %v; cpu %v, false failures %d", pass, time.Since(t0).Round(time.Millisecond), cpuTime().Round(time.Second), s.falseFails.Load())
		}
		res.SyncPhase = time.Since(t0)
	}
	var err error
	res.Bootstrap, err = s.spread(ctx, "servers seeing all alive", time.Now(), m, m, func(o *observer) bool {
		return o.up.Load() == int64(m)
	})
	return err
}

// syncPass has servers 1..m-1 exchange their full state with server 0,
// four at a time. A server whose exchanges keep failing (the first server
// is busy with the others' states) is retried with a pause, up to
// syncTries times; one that still fails is counted, not fatal: the
// convergence wait that follows tells whether the pool is complete.
func (s *simulation) syncPass(ctx context.Context, m int) error {
	hub := []string{s.pools[0].LocalAddr()}
	var (
		wg     sync.WaitGroup
		next   atomic.Int64
		failed atomic.Int64
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i >= m {
					return
				}
				var err error
				for try := range syncTries {
					if _, err = s.pools[i].Join(hub); err == nil {
						break
					}
					s.retries.Add(1)
					if sleep(ctx, time.Duration(try+1)*200*time.Millisecond) != nil {
						return
					}
				}
				if err != nil {
					failed.Add(1)
					s.opts.Logger.Warn("sim: full-state exchange failed", "server", s.plan[i].Name, "err", err)
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		s.opts.Progress("sync: %d servers could not exchange state with the first", f)
	}
	return ctx.Err()
}

// syncTries bounds the full-state exchanges one server tries in a pass.
const syncTries = 10

// packetBytes sums the packet bytes sent by servers [0, m).
func (s *simulation) packetBytes(m int) int64 {
	var t int64
	for i := range m {
		t += s.trans[i].SentInPackets()
	}
	return t
}

// settle waits Settle, or with SettleStep until the packet rate stops
// falling, and returns the time waited.
func (s *simulation) settle(ctx context.Context, m int) (time.Duration, error) {
	if s.opts.SettleStep <= 0 {
		s.opts.Progress("settling %v before counting bytes", s.opts.Settle)
		return s.opts.Settle, sleep(ctx, s.opts.Settle)
	}
	s.opts.Progress("settling (at most %v) until the packet rate stops falling, sampled every %v", s.opts.Settle, s.opts.SettleStep)
	t0 := time.Now()
	first, prev, last := -1.0, -1.0, s.packetBytes(m)
	for time.Since(t0) < s.opts.Settle {
		if err := sleep(ctx, s.opts.SettleStep); err != nil {
			return time.Since(t0), err
		}
		now := s.packetBytes(m)
		rate := float64(now-last) / float64(m) / s.opts.SettleStep.Seconds()
		last = now
		s.opts.Progress("settling: %.0f packet bytes/s per server (%.0f real); cpu %v, false failures %d", rate, rate/s.opts.Scale, cpuTime().Round(time.Second), s.falseFails.Load())
		if first < 0 {
			first = rate
		}
		if drained(first, prev, rate) {
			break
		}
		prev = rate
	}
	return time.Since(t0), nil
}

// drained reports whether the broadcast queues look empty, from the packet
// rate of the first step, of the step before (< 0: none) and of this one.
// The queues drain at a steady rate (full packets every gossip round)
// until they are empty, so a rate that stays flat says nothing: the drain
// is over once the rate has fallen below half the first and stopped
// falling (less than 10 % below the step before).
func drained(first, prev, rate float64) bool {
	return prev >= 0 && rate < first/2 && rate >= 0.9*prev
}

// steady settles, then counts the bytes sent over Window.
func (s *simulation) steady(ctx context.Context, res *Result) error {
	m := len(s.plan) - 1
	var err error
	if res.Settle, err = s.settle(ctx, m); err != nil {
		return err
	}
	before, beforePkt := make([]int64, m), make([]int64, m)
	for i := range before {
		before[i], beforePkt[i] = s.trans[i].Sent(), s.trans[i].SentInPackets()
	}
	cpu0, t0 := cpuTime(), time.Now()
	if err := sleep(ctx, s.opts.Window); err != nil {
		return err
	}
	wall := time.Since(t0)
	res.Window, res.CPU = wall, (cpuTime()-cpu0).Seconds()/wall.Seconds()
	var total, pkt int64
	for i := range before {
		d := s.trans[i].Sent() - before[i]
		total, pkt = total+d, pkt+s.trans[i].SentInPackets()-beforePkt[i]
		res.BytesPerServerMax = math.Max(res.BytesPerServerMax, float64(d)/wall.Seconds())
	}
	res.BytesPerServer = float64(total) / float64(m) / wall.Seconds()
	if total > 0 {
		res.PacketShare = float64(pkt) / float64(total)
	}
	return nil
}

// lastJoin starts the n-th server and times its join.
func (s *simulation) lastJoin(ctx context.Context, res *Result) error {
	last := len(s.plan) - 1
	s.joiner.Store(s.plan[last].Name)
	start := time.Now()
	if err := s.start(last); err != nil {
		return err
	}
	var err error
	res.Join, err = s.spread(ctx, "servers seeing the new one", start, last, last, func(o *observer) bool {
		return o.joinSeen.Load() != 0
	})
	return err
}

// failure shuts a random server down without leave and times its
// detection.
func (s *simulation) failure(ctx context.Context, res *Result) error {
	n := len(s.plan)
	v := 1 + s.rng.IntN(n-2) // not the first server, not the last joiner
	s.victim.Store(s.plan[v].Name)
	start := time.Now()
	_ = s.pools[v].Shutdown()
	var err error
	res.Failure, err = s.spread(ctx, "servers reporting the victim dead", start, n, n-1, func(o *observer) bool {
		return o.deadSeen.Load() != 0
	})
	return err
}

// Sentinel errors of Run.
var (
	// errTimeout is wrapped by the error of a phase that did not converge.
	errTimeout = errors.New("sim: did not converge")
	// ErrOverloaded is returned when the process cannot keep up: more
	// false failures than 10 per server means probes time out from CPU
	// starvation, each one adds suspect, dead and refute messages, and the
	// run would only collapse further. Use fewer servers, a smaller Scale or
	// a longer JoinInterval.
	ErrOverloaded = errors.New("sim: overloaded (servers declared dead from CPU starvation)")
)

// overloaded returns ErrOverloaded, with figures, once false failures pass
// 10 per server.
func (s *simulation) overloaded() error {
	if f := s.falseFails.Load(); f > 10*int64(len(s.plan)) {
		return fmt.Errorf("%w: %d false failures, process cpu %v", ErrOverloaded, f, cpuTime().Round(time.Second))
	}
	return nil
}

// spread polls observers [0, to) every 5 ms until want of them satisfy f
// (the victim, shut down, never does), for at most PhaseTimeout, and
// returns when the first, half, 99 % and all of want did, from start.
func (s *simulation) spread(ctx context.Context, what string, start time.Time, to, want int, f func(*observer) bool) (Spread, error) {
	var sp Spread
	marks := []struct {
		at  int
		dst *time.Duration
	}{{1, &sp.First}, {(want + 1) / 2, &sp.Half}, {int(math.Ceil(0.99 * float64(want))), &sp.P99}, {want, &sp.All}}
	deadline := time.Now().Add(s.opts.PhaseTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0
		for i := range to {
			if f(&s.obs[i]) {
				done++
			}
		}
		for _, m := range marks {
			if done >= m.at && *m.dst == 0 {
				*m.dst = time.Since(start)
			}
		}
		if done >= want {
			return sp, nil
		}
		if err := s.overloaded(); err != nil {
			return sp, fmt.Errorf("%s: %d of %d: %w", what, done, want, err)
		}
		if time.Now().After(deadline) {
			return sp, fmt.Errorf("%w within %v: %s: %d of %d", errTimeout, s.opts.PhaseTimeout, what, done, want)
		}
		select {
		case <-ctx.Done():
			return sp, ctx.Err()
		case <-tick.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// shutdownAll stops every pool, several at a time.
func (s *simulation) shutdownAll() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range s.pools {
		if p == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			_ = p.Shutdown()
			<-sem
		}()
	}
	wg.Wait()
}

package sim

import (
	"fmt"
	"time"
)

// Spread says when a change had reached the first server, half of them,
// 99 % and all of them, counted from the change.
type Spread struct {
	First, Half, P99, All time.Duration
}

func (sp Spread) scaled(f float64) Spread {
	d := func(v time.Duration) time.Duration { return time.Duration(float64(v) * f) }
	return Spread{d(sp.First), d(sp.Half), d(sp.P99), d(sp.All)}
}

// String renders "first/half/p99/all".
func (sp Spread) String() string {
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return r(sp.First) + "/" + r(sp.Half) + "/" + r(sp.P99) + "/" + r(sp.All)
}

// Result holds the figures of a run, in simulation (scaled) time; Real
// converts them.
type Result struct {
	N     int     // servers at the end of the join phase
	Scale float64 // timings were divided by this

	JoinPhase                   time.Duration // starting and joining the first n-1 servers, staggered
	SyncPhase                   time.Duration // the two anti-entropy passes (Options.Sync), zero without
	Bootstrap                   Spread        // from the last of those joins: servers seeing all n-1 alive
	Join                        Spread        // from the n-th server's Join: servers seeing it alive
	Failure                     Spread        // from a server's shutdown (no leave): servers reporting it dead
	Query                       time.Duration // from the first server's Pool.Query until every alive server answered
	QueryAnswers, QueryNoAnswer int           // answers, and alive servers silent until the timeout

	Settle            time.Duration // waited after bootstrap before the window
	Window            time.Duration // steady-state window for the byte counts
	BytesPerServer    float64       // mean bytes sent per server per second in the window
	BytesPerServerMax float64       // the busiest server's bytes per second
	PacketShare       float64       // the share of those bytes sent in packets (probes, gossip); the rest is push/pull
	CPU               float64       // process CPU seconds per wall second in the window (2.0 = two cores busy)

	TotalCPU time.Duration // process CPU time over the whole run
	HeapMB   float64       // live heap at the end (after a GC), MiB

	FalseFailures int64 // failures reported of servers that were not killed, over the run
	JoinRetries   int64 // joins that failed and were tried again through another server
	Packets       int64 // packets sent, over the run
	Dropped       int64 // packets dropped on full queues, over the run
}

// Real returns r in real time: durations × Scale, byte rates ÷ Scale.
func (r Result) Real() Result {
	f := r.Scale
	d := func(v time.Duration) time.Duration { return time.Duration(float64(v) * f) }
	r.JoinPhase, r.SyncPhase, r.Settle, r.Window = d(r.JoinPhase), d(r.SyncPhase), d(r.Settle), d(r.Window)
	r.Bootstrap, r.Join, r.Failure = r.Bootstrap.scaled(f), r.Join.scaled(f), r.Failure.scaled(f)
	r.Query = d(r.Query)
	r.BytesPerServer, r.BytesPerServerMax = r.BytesPerServer/f, r.BytesPerServerMax/f
	r.Scale = 1
	return r
}

// String renders the figures on one line; spreads are first/half/p99/all.
func (r Result) String() string {
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("n=%d scale=%g join-phase=%s sync=%s bootstrap=%v join=%v failure=%v query=%s (%d answers, %d silent) "+
		"bytes/s/server=%.0f (max %.0f, %.0f%% in packets) over %s after %s, cpu=%.2f total-cpu=%s heap=%.0fMiB "+
		"false-failures=%d join-retries=%d packets=%d dropped=%d",
		r.N, r.Scale, ms(r.JoinPhase), ms(r.SyncPhase), r.Bootstrap, r.Join, r.Failure, ms(r.Query), r.QueryAnswers, r.QueryNoAnswer,
		r.BytesPerServer, r.BytesPerServerMax, 100*r.PacketShare, ms(r.Window), ms(r.Settle), r.CPU, r.TotalCPU.Round(time.Second), r.HeapMB,
		r.FalseFailures, r.JoinRetries, r.Packets, r.Dropped)
}

package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/bench"
)

// benchFlags are the flags of `fedsync bench`.
type benchFlags struct {
	s          bench.Scenario
	cpuProfile string
	quiet      bool
	verbose    bool
}

const benchLong = `Measure replication at the scale of a city: street nodes write org records
and replicate them upward over the real sync link (zstd batches on loopback
TCP) until the city (沈阳市, 210100000000) holds every entry. Every node runs
in this one process, each with its own data directory, raft group and
addresses on 127.0.0.1; the directories are removed afterwards.

Topology (--shape): flat puts --streets real streets of Shenyang directly
under the city; tree puts them all under one county (the first with enough
streets, e.g. 沈北新区 for 16) under the city. The --entries records are
generated (realistic, about 300 bytes of JSON each) or read from --jsonl, and
spread evenly over the streets; each street writes its share in batches of
--batch records (one raft entry and one fsync per batch).

Modes (--mode): live runs every node and clocks from the first street write
until the city holds every entry. catchup keeps the city (and county) down
while the streets write everything, then starts them and clocks from the
city's start. both runs live, then catchup, each on fresh nodes.

The figures:
  entries at the city   log entries the city applied while the clock ran
                        (catch-up also counts the communities each street
                        seeded on its first start)
  elapsed, entries/s    the clock, and entries applied at the city per second
  × raw bbolt           entries/s over the raw baseline's records/s
  peak entries/s        the fastest the city's watermarks rose over any 1s
                        window: what the city applies while links are up and
                        entries wait (the clock also holds start-up, redial
                        waits and the streets' own writing)
  streets wrote         how long the streets took to write, all at once, and
                        their records/s together
  city started          catch-up: when the city's Start returned (store, raft
                        election, listeners), from the moment it was begun
  first entry           catch-up: when the city first held any entry
  every street delivering
                        catch-up: when every street's first entry had arrived
                        (the senders redial with jittered backoff, up to 30s,
                        while their parent is down)
  from first entry      catch-up: entries/s from the first entry to the end
  wire bytes/entry      encoded batch bytes sent per entry, per hop, from the
                        senders' counters, and the compression ratio (raw
                        payload / wire bytes)
  latency p50/p99/max   light steady load after the main phase: single-record
                        writes at --latency-rate per second across the streets
                        for --latency-duration; for each, from the entry's
                        origin time to the first poll (every 5ms) at which the
                        city's watermark of its street covered it
  raw bbolt             the same record bodies written into one bare bbolt
                        file in transactions of 1,000 (fsync unless --no-sync):
                        the ceiling one store file sets on this machine
  memory                VmRSS when the city had caught up (and of it, pages of
                        the mapped bbolt files), and the peak (VmHWM); one
                        process holds every node and the pre-encoded records,
                        so this is the sum of them all

Progress goes to stderr; the table (or -o json) to stdout. The machine should
be otherwise quiet: every figure depends on its CPUs and disk. --cpuprofile
writes a CPU profile of the whole run for ` + "`go tool pprof`" + `.`

const benchExample = `  fedsync bench --entries 20000 --streets 4
  fedsync bench --entries 1000000 --shape flat --mode both
  fedsync bench --entries 1000000 --shape tree --mode catchup -o json > tree.json
  fedsync bench --jsonl orgs.jsonl --entries 200000 --no-sync --cpuprofile cpu.out`

func newBenchCmd(a *app) *cobra.Command {
	f := benchFlags{s: bench.DefaultScenario()}
	f.s.Mode = bench.ModeBoth
	cmd := &cobra.Command{
		Use:     "bench",
		Short:   "Measure upward replication of a city's streets, in this process",
		GroupID: "reports",
		Long:    benchLong,
		Example: benchExample,
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runBench(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.s.Streets, "streets", f.s.Streets, "number of street `N`odes")
	fl.StringVar(&f.s.Shape, "shape", f.s.Shape, "topology: flat (streets → city) or tree (streets → county → city)")
	fl.IntVar(&f.s.Entries, "entries", f.s.Entries, "org records `N` written in total across the streets")
	fl.StringVar(&f.s.Mode, "mode", f.s.Mode, "live, catchup or both")
	fl.IntVar(&f.s.BatchSize, "batch", f.s.BatchSize, "records `N` per local write (one raft entry, one fsync)")
	fl.StringVar(&f.s.JSONL, "jsonl", "", "`FILE` of org records, one JSON object per line, instead of generated ones")
	fl.BoolVar(&f.s.NoSync, "no-sync", false, "turn off fsync in every node and the raw baseline (measures CPU, not the disk)")
	fl.StringVar(&f.s.DataDir, "data-dir", "", "`DIR` for the nodes' temporary data directories (default: the system's temp dir)")
	fl.IntVar(&f.s.LatencyRate, "latency-rate", f.s.LatencyRate, "single-record writes per second `N` of the latency phase")
	fl.DurationVar(&f.s.LatencyDuration, "latency-duration", f.s.LatencyDuration, "length of the latency phase (negative: skip it)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE`")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the nodes' warnings and errors to stderr")
	return cmd
}

func (a *app) runBench(cmd *cobra.Command, f benchFlags) error {
	if err := f.s.Validate(); err != nil {
		return usagef("%v", err)
	}
	if f.verbose {
		f.s.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	progress := func(line string) {
		if !f.quiet {
			fmt.Fprintf(a.stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), line)
		}
	}
	res, err := bench.Run(cmd.Context(), f.s, progress)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if a.json() {
		return printJSON(a.stdout, res)
	}
	return printBench(a.stdout, res)
}

// startCPUProfile starts writing a CPU profile to path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); fh.Close() }, nil
}

// printBench writes the readable form of a result.
func printBench(w io.Writer, r bench.Result) error {
	s := r.Scenario
	where := fmt.Sprintf("%d streets → %s", len(r.Streets), area.Name(r.City))
	if r.County != "" {
		where = fmt.Sprintf("%d streets → %s → %s", len(r.Streets), area.Name(r.County), area.Name(r.City))
	}
	fsyncNote := "fsync on"
	if s.NoSync {
		fsyncNote = "fsync OFF"
	}
	fmt.Fprintf(w, "fedsync bench: %s (%s), %s org records in batches of %s, %s\n", where, s.Shape, thousands(int64(r.Entries)), thousands(int64(s.BatchSize)), fsyncNote)
	m := r.Machine
	fmt.Fprintf(w, "machine: %d CPUs (%s), %s memory, %s\n", m.CPUs, m.CPUModel, bytesIEC(m.MemBytes), m.GoVersion)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
	if err := phaseTable(r).write(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := linkTable(r).write(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return otherTable(r).write(w)
}

// phaseTable has a column per mode run.
func phaseTable(r bench.Result) *table {
	var phases []*bench.Phase
	header := []string{""}
	for _, p := range []*bench.Phase{r.Live, r.Catchup} {
		if p != nil {
			phases = append(phases, p)
			header = append(header, map[string]string{bench.ModeLive: "LIVE", bench.ModeCatchup: "CATCH-UP"}[p.Mode])
		}
	}
	t := newTable(header...).alignRight(1, 2)
	row := func(label string, f func(*bench.Phase) string) {
		cells := []string{label}
		for _, p := range phases {
			cells = append(cells, f(p))
		}
		t.add(cells...)
	}
	row("entries at the city", func(p *bench.Phase) string { return thousands(int64(p.Entries)) })
	row("elapsed", func(p *bench.Phase) string { return dur(p.Elapsed) })
	row("entries/s at the city", func(p *bench.Phase) string { return thousands(int64(p.EntriesPerSec)) })
	row("× raw bbolt", func(p *bench.Phase) string { return fmt.Sprintf("%.2f", p.RatioToRaw) })
	row("peak entries/s (1s window)", func(p *bench.Phase) string { return thousands(int64(p.PeakPerSec)) })
	row("streets wrote in", func(p *bench.Phase) string { return dur(p.WriteElapsed) })
	row("streets' records/s", func(p *bench.Phase) string { return thousands(int64(p.WritesPerSec)) })
	row("city started", func(p *bench.Phase) string { return durOrDash(p.CityStart) })
	row("first entry at the city", func(p *bench.Phase) string { return durOrDash(p.FirstEntry) })
	row("every street delivering", func(p *bench.Phase) string { return durOrDash(p.AllDelivering) })
	row("entries/s from first entry", func(p *bench.Phase) string {
		if p.FromFirstPerSec == 0 {
			return "–"
		}
		return thousands(int64(p.FromFirstPerSec))
	})
	row("RSS when caught up", func(p *bench.Phase) string { return bytesIEC(p.Memory.RSSBytes) })
	row("  of it mapped files", func(p *bench.Phase) string { return bytesIEC(p.Memory.FileBytes) })
	return t
}

// linkTable has a row per mode and hop.
func linkTable(r bench.Result) *table {
	t := newTable("WIRE", "HOP", "BATCHES", "ENTRIES", "BYTES/ENTRY", "RAW/WIRE", "RECONNECTS").alignRight(2, 3, 4, 5, 6)
	for _, p := range []*bench.Phase{r.Live, r.Catchup} {
		if p == nil {
			continue
		}
		for _, l := range p.Links {
			t.add(p.Mode, l.Hop, thousands(int64(l.Batches)), thousands(int64(l.Entries)),
				fmt.Sprintf("%.1f", l.BytesPerEntry), fmt.Sprintf("%.2f", l.Ratio), thousands(int64(l.Reconnects)))
		}
	}
	return t
}

// otherTable has the latency, raw baseline and memory.
func otherTable(r bench.Result) *table {
	t := newTable()
	if l := r.Latency; l != nil {
		t.add("latency", fmt.Sprintf("p50 %s  p99 %s  max %s  (%s writes, %d/s for %s; local write p50 %s; polled every %s)",
			dur(l.P50), dur(l.P99), dur(l.Max), thousands(int64(l.Writes)), l.Rate, l.Duration, dur(l.WriteP50), l.Poll))
	}
	fs := "fsync"
	if !r.Raw.Sync {
		fs = "no fsync"
	}
	t.add("raw bbolt", fmt.Sprintf("%s records/s (%s records, %s, in %s; %s)", thousands(int64(r.Raw.RecordsPerSec)),
		thousands(int64(r.Raw.Records)), bytesIEC(r.Raw.Bytes), dur(r.Raw.Elapsed), fs))
	t.add("memory", fmt.Sprintf("peak RSS %s (%s); the records to write take %s",
		bytesIEC(r.Memory.PeakRSSBytes), r.Memory.Note, bytesIEC(r.Memory.LoadBytes)))
	return t
}

// dur rounds d for display.
func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.String()
}

func durOrDash(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return dur(d)
}

// bytesIEC formats n bytes as KiB, MiB or GiB.
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}

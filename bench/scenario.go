package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"fedsync/area"
)

// Shapes of the topology.
const (
	// ShapeFlat puts every street directly under the city.
	ShapeFlat = "flat"
	// ShapeTree puts every street under one county, under the city.
	ShapeTree = "tree"
)

// Modes of a run.
const (
	// ModeLive writes with every node up.
	ModeLive = "live"
	// ModeCatchup writes with the city (and county) down, then starts them.
	ModeCatchup = "catchup"
	// ModeBoth runs live, then catchup, each on a fresh set of nodes.
	ModeBoth = "both"
)

// City is the top node of every scenario: 沈阳市 (Shenyang).
var City = area.MustParse("210100000000")

// Scenario describes one benchmark run. Zero fields take the defaults of
// DefaultScenario in Run.
type Scenario struct {
	// Streets is the number of street nodes. Default 16. The streets are
	// real streets of Shenyang; for ShapeTree they all lie in one county,
	// so a request beyond the largest county's streets is cut to it (Run
	// notes it in Result.Notes).
	Streets int `json:"streets"`
	// Shape is ShapeFlat or ShapeTree. Default flat.
	Shape string `json:"shape"`
	// Entries is the number of org records written, in total across the
	// streets (spread evenly). Default 1,000,000.
	Entries int `json:"entries"`
	// Mode is ModeLive, ModeCatchup or ModeBoth. Default live.
	Mode string `json:"mode"`
	// BatchSize is the number of records per node.Write (one raft entry,
	// one fsync). Default 1,000.
	BatchSize int `json:"batch_size"`
	// DataDir is where the nodes' data directories and the raw baseline's
	// file go; a fresh directory under it is made and removed after the
	// run. Default: the system's temporary directory.
	DataDir string `json:"data_dir"`
	// NoSync turns off fsync in every node and in the raw baseline. Loses
	// data on power failure; the figures then measure CPU, not the disk.
	NoSync bool `json:"no_sync"`
	// JSONL is an optional file of org records in the API's JSON form, one
	// per line, used instead of generated records (see LoadJSONL).
	JSONL string `json:"jsonl,omitempty"`

	// LatencyRate is the total rate of single-record writes, across the
	// streets, of the latency phase. Default 200 per second.
	LatencyRate int `json:"latency_rate"`
	// LatencyDuration is how long the latency phase writes. Default 10s;
	// negative skips the phase.
	LatencyDuration time.Duration `json:"latency_duration"`
	// Poll is how often the city's watermarks are read. Default 5ms.
	Poll time.Duration `json:"poll"`
	// Timeout bounds each waiting step (the city catching up, a node
	// starting). Default 30 minutes.
	Timeout time.Duration `json:"timeout"`

	// Logger receives the nodes' logs. Default: discarded.
	Logger *slog.Logger `json:"-"`
}

// DefaultScenario returns the defaults: 16 streets, flat, 1,000,000
// entries, live, batches of 1,000, fsync on.
func DefaultScenario() Scenario {
	return Scenario{
		Streets:         16,
		Shape:           ShapeFlat,
		Entries:         1_000_000,
		Mode:            ModeLive,
		BatchSize:       1000,
		LatencyRate:     200,
		LatencyDuration: 10 * time.Second,
		Poll:            5 * time.Millisecond,
		Timeout:         30 * time.Minute,
	}
}

// withDefaults returns s with every zero field set to its default.
func (s Scenario) withDefaults() Scenario {
	d := DefaultScenario()
	for _, f := range []struct{ v, d *int }{
		{&s.Streets, &d.Streets}, {&s.Entries, &d.Entries},
		{&s.BatchSize, &d.BatchSize}, {&s.LatencyRate, &d.LatencyRate},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	for _, f := range []struct{ v, d *time.Duration }{
		{&s.LatencyDuration, &d.LatencyDuration}, {&s.Poll, &d.Poll}, {&s.Timeout, &d.Timeout},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	if s.Shape == "" {
		s.Shape = d.Shape
	}
	if s.Mode == "" {
		s.Mode = d.Mode
	}
	return s
}

// ErrScenario is returned by Validate and Run when a Scenario field is
// invalid; the message names the field.
var ErrScenario = errors.New("invalid bench scenario")

// Validate checks s after defaults are applied and names every bad field.
func (s Scenario) Validate() error {
	s = s.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrScenario, fmt.Sprintf(format, args...)))
	}
	if s.Streets < 1 {
		bad("Streets %d: need at least 1", s.Streets)
	} else if n := len(cityStreets()); s.Streets > n {
		bad("Streets %d: %s has %d streets with communities", s.Streets, area.Name(City), n)
	}
	if s.Shape != ShapeFlat && s.Shape != ShapeTree {
		bad("Shape %q: want %s or %s", s.Shape, ShapeFlat, ShapeTree)
	}
	if s.Mode != ModeLive && s.Mode != ModeCatchup && s.Mode != ModeBoth {
		bad("Mode %q: want %s, %s or %s", s.Mode, ModeLive, ModeCatchup, ModeBoth)
	}
	if s.Entries < s.Streets {
		bad("Entries %d: need at least one per street (%d)", s.Entries, s.Streets)
	}
	if s.BatchSize < 1 {
		bad("BatchSize %d: need at least 1", s.BatchSize)
	}
	if s.LatencyRate < 1 {
		bad("LatencyRate %d: need at least 1 write per second", s.LatencyRate)
	}
	if s.Poll <= 0 || s.Timeout <= 0 {
		bad("Poll %v and Timeout %v must be positive", s.Poll, s.Timeout)
	}
	return errors.Join(errs...)
}

// modes returns the modes s runs, in order.
func (s Scenario) modes() []string {
	if s.Mode == ModeBoth {
		return []string{ModeLive, ModeCatchup}
	}
	return []string{s.Mode}
}

// latencyWrites is the number of single-record writes of the latency phase
// (0 when it is skipped).
func (s Scenario) latencyWrites() int {
	if s.LatencyDuration < 0 {
		return 0
	}
	return max(1, int(s.LatencyDuration.Seconds()*float64(s.LatencyRate)))
}

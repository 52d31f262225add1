package bench

import (
	"slices"
	"time"

	"fedsync/area"
)

// Result is every figure of a run. Durations are in nanoseconds in JSON.
type Result struct {
	Scenario Scenario    `json:"scenario"`
	Machine  Machine     `json:"machine"`
	City     area.Code   `json:"city"`
	County   area.Code   `json:"county,omitempty"` // ShapeTree only
	Streets  []area.Code `json:"streets"`
	Notes    []string    `json:"notes,omitempty"`

	// Entries is the number of org records the streets wrote in each
	// mode's main phase (Scenario.Entries).
	Entries int `json:"entries"`

	Live    *Phase   `json:"live,omitempty"`
	Catchup *Phase   `json:"catchup,omitempty"`
	Latency *Latency `json:"latency,omitempty"`
	Raw     Raw      `json:"raw"`
	Memory  Memory   `json:"memory"`
}

// Phase is the outcome of one mode's main phase.
type Phase struct {
	Mode string `json:"mode"`
	// Entries is the number of log entries the city applied while the
	// clock ran: the org records, and in catch-up also the communities
	// each street seeded on its first start.
	Entries uint64 `json:"entries"`
	// CityOrgs is the number of org records the city counts in its area
	// once it caught up: Result.Entries when nothing was lost.
	CityOrgs int64 `json:"city_orgs"`
	// Elapsed is the clock: live, from the first street write until the
	// city held every entry; catch-up, from the city's start until then.
	Elapsed       time.Duration `json:"elapsed_ns"`
	EntriesPerSec float64       `json:"entries_per_sec"`
	// RatioToRaw is EntriesPerSec over the raw baseline's records/s.
	RatioToRaw float64 `json:"ratio_to_raw"`
	// FromFirstPerSec is, in catch-up, Entries over the time from the
	// first entry's arrival to the end.
	FromFirstPerSec float64 `json:"from_first_entry_per_sec,omitempty"`
	// PeakPerSec is the highest rate at which the city's watermarks rose
	// over any window of PeakWindow (or the whole clock, if shorter) while
	// the clock ran: what the city applies when links are up and entries
	// wait.
	PeakPerSec float64 `json:"peak_per_sec"`

	// WriteElapsed is how long the streets took to write their records
	// (all streets at once, each in batches of Scenario.BatchSize), and
	// WritesPerSec the records written per second over it, all streets
	// together.
	WriteElapsed time.Duration `json:"write_elapsed_ns"`
	WritesPerSec float64       `json:"writes_per_sec"`

	// Catch-up only, each measured from the city's start: when its Start
	// returned (raft up, leader elected, listening), when the first entry
	// was seen at the city, and when every street's first entry had been
	// seen (every origin delivering).
	CityStart     time.Duration `json:"city_start_ns,omitempty"`
	FirstEntry    time.Duration `json:"first_entry_ns,omitempty"`
	AllDelivering time.Duration `json:"all_delivering_ns,omitempty"`

	// Links are the senders' counters by hop (fedsync_sync_sender_* from
	// each sending node's /metrics), read when the city had caught up; they
	// include the seeded communities.
	Links []Link `json:"links"`
	// Memory is read when the city had caught up.
	Memory Memory `json:"memory"`
}

// Link sums the counters of the senders of one hop of the topology.
type Link struct {
	Hop           string  `json:"hop"` // "street → city", "street → county", "county → city"
	Senders       int     `json:"senders"`
	Batches       uint64  `json:"batches"`
	Entries       uint64  `json:"entries"`
	RawBytes      uint64  `json:"raw_bytes"`  // uncompressed payload
	WireBytes     uint64  `json:"wire_bytes"` // encoded batches as sent
	BytesPerEntry float64 `json:"wire_bytes_per_entry"`
	Ratio         float64 `json:"compression_ratio"` // RawBytes / WireBytes
	Reconnects    uint64  `json:"reconnects"`
}

// Latency is the propagation latency under a light steady load: single
// record writes at Rate per second across the streets for Duration; for
// each, the time from its origin time (the time the street stamped on its
// entry) to the first poll at which the city's watermark of that street
// covered its seq. Polling every Poll rounds each sample up by up to Poll.
type Latency struct {
	Rate     int           `json:"rate"`
	Duration time.Duration `json:"duration_ns"`
	Poll     time.Duration `json:"poll_ns"`
	Writes   int           `json:"writes"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	// WriteP50 is the median time of the local write itself (raft apply
	// and fsync at the street), part of every sample.
	WriteP50 time.Duration `json:"write_p50_ns"`
}

// PeakWindow is the window of Phase.PeakPerSec.
const PeakWindow = time.Second

// point is what the city held at one poll.
type point struct {
	at   time.Time
	held uint64
}

// peakRate returns the highest rate over the windows that start at a point
// and end at the first point at least w later; when the points span less
// than w, the window is their span.
func peakRate(ps []point, w time.Duration) float64 {
	if len(ps) < 2 {
		return 0
	}
	w = min(w, ps[len(ps)-1].at.Sub(ps[0].at))
	best, j := 0.0, 0
	for i := range ps {
		for j < len(ps) && ps[j].at.Sub(ps[i].at) < w {
			j++
		}
		if j == len(ps) {
			break
		}
		if ps[j].held >= ps[i].held {
			best = max(best, rate(ps[j].held-ps[i].held, ps[j].at.Sub(ps[i].at)))
		}
	}
	return best
}

// percentile returns the p-th percentile (0 < p <= 100, nearest rank) of
// ds, which it sorts.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(p/100*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

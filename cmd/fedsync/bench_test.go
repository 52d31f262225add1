package main

import (
	"encoding/json"
	"strings"
	"testing"

	"fedsync/bench"
)

// tinyBench is the command line of a run small enough for every test run.
func tinyBench(t *testing.T, shape string) []string {
	return []string{"bench", "--streets", "2", "--entries", "2000", "--batch", "250", "--shape", shape, "--mode", "both",
		"--latency-rate", "40", "--latency-duration", "500ms", "--data-dir", t.TempDir()}
}

// TestBenchJSON runs both modes of the tree and checks, from -o json, that
// the city held every record; it asserts no time.
func TestBenchJSON(t *testing.T) {
	r := runCLI(t, "", append(tinyBench(t, bench.ShapeTree), "-o", "json", "-q")...)
	if r.code != exitOK {
		t.Fatalf("bench: %v", r)
	}
	var res bench.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.stdout)
	}
	if res.County == "" || len(res.Streets) != 2 || res.Entries != 2000 {
		t.Fatalf("topology: county %q streets %v entries %d", res.County, res.Streets, res.Entries)
	}
	for _, p := range []*bench.Phase{res.Live, res.Catchup} {
		if p == nil || p.CityOrgs != 2000 || p.EntriesPerSec <= 0 || len(p.Links) != 2 || p.Links[1].BytesPerEntry <= 0 {
			t.Errorf("phase: %+v", p)
		}
	}
	if res.Latency == nil || res.Latency.P50 <= 0 || res.Raw.RecordsPerSec <= 0 || res.Memory.PeakRSSBytes <= 0 {
		t.Errorf("latency %+v raw %+v memory %+v", res.Latency, res.Raw, res.Memory)
	}
	if r.stderr != "" {
		t.Errorf("-q: stderr %q, want none", r.stderr)
	}
}

// TestBenchTable runs both modes of the flat shape and checks the table
// and the progress lines.
func TestBenchTable(t *testing.T) {
	r := runCLI(t, "", tinyBench(t, bench.ShapeFlat)...)
	if r.code != exitOK {
		t.Fatalf("bench: %v", r)
	}
	for _, want := range []string{"2 streets → 沈阳市 (flat)", "LIVE", "CATCH-UP", "entries/s at the city", "street → city", "latency", "raw bbolt", "one process"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "starting the city") {
		t.Errorf("stderr lacks the progress of catch-up:\n%s", r.stderr)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--shape", "ring"},
		{"bench", "--mode", "sometimes"},
		{"bench", "--streets", "-1"},
		{"bench", "--streets", "4", "--entries", "3"},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitError || !strings.Contains(r.stderr, "invalid bench scenario") || !strings.Contains(r.stderr, "bench --help") {
			t.Errorf("%v: %v", args, r)
		}
	}
}

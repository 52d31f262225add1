package bench

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

// tiny is a scenario small enough for every test run.
func tiny(shape string) Scenario {
	s := DefaultScenario()
	s.Streets, s.Shape, s.Entries, s.Mode = 2, shape, 2000, ModeBoth
	s.BatchSize = 250
	s.LatencyRate, s.LatencyDuration = 40, 500*time.Millisecond
	s.Timeout = 2 * time.Minute
	return s
}

// TestRunTiny checks, for both shapes and both modes, that the city ends
// up holding every entry and that every figure is there. It asserts no
// time: the figures need only be positive.
func TestRunTiny(t *testing.T) {
	for _, shape := range []string{ShapeFlat, ShapeTree} {
		t.Run(shape, func(t *testing.T) {
			s := tiny(shape)
			s.DataDir = t.TempDir()
			var lines []string
			res, err := Run(context.Background(), s, func(l string) { lines = append(lines, l) })
			if err != nil {
				t.Fatalf("Run: %v\nprogress:\n%s", err, strings.Join(lines, "\n"))
			}
			if testing.Verbose() {
				b, _ := json.MarshalIndent(res, "", "  ")
				t.Logf("%s", b)
			}
			checkTopology(t, res, shape)
			seeded := 0
			for _, st := range res.Streets {
				seeded += len(area.Children(st))
			}
			for _, ph := range []*Phase{res.Live, res.Catchup} {
				if ph == nil {
					t.Fatal("a phase is missing")
				}
				want := uint64(s.Entries)
				if ph.Mode == ModeCatchup {
					want += uint64(seeded) // the city was down while the streets seeded their communities
				}
				if ph.Entries != want || ph.CityOrgs != int64(s.Entries) {
					t.Errorf("%s: city applied %d entries and counts %d orgs, want %d and %d", ph.Mode, ph.Entries, ph.CityOrgs, want, s.Entries)
				}
				checkPhase(t, ph, shape)
			}
			checkFigures(t, res)
		})
	}
}

func checkTopology(t *testing.T, res Result, shape string) {
	t.Helper()
	if len(res.Streets) != 2 || res.City != City {
		t.Fatalf("topology: city %s streets %v, want %s and 2 streets", res.City, res.Streets, City)
	}
	for _, st := range res.Streets {
		if st.Level() != area.LevelStreet || !City.Contains(st) {
			t.Errorf("street %s is not a street of %s", st, City)
		}
		if shape == ShapeTree && st.Parent() != res.County {
			t.Errorf("tree: street %s is not in county %s", st, res.County)
		}
	}
	if (shape == ShapeTree) != (res.County != "") {
		t.Errorf("%s: county %q", shape, res.County)
	}
}

func checkPhase(t *testing.T, ph *Phase, shape string) {
	t.Helper()
	if ph.Elapsed <= 0 || ph.EntriesPerSec <= 0 || ph.PeakPerSec <= 0 || ph.RatioToRaw <= 0 || ph.WriteElapsed <= 0 || ph.WritesPerSec <= 0 {
		t.Errorf("%s: figures not positive: %+v", ph.Mode, ph)
	}
	if ph.Mode == ModeCatchup && (ph.CityStart <= 0 || ph.FromFirstPerSec <= 0 || ph.FirstEntry <= 0 || ph.AllDelivering < ph.FirstEntry || ph.Elapsed < ph.AllDelivering) {
		t.Errorf("catchup moments out of order: start %v first %v all %v done %v", ph.CityStart, ph.FirstEntry, ph.AllDelivering, ph.Elapsed)
	}
	hops := map[string]int{ShapeFlat: 1, ShapeTree: 2}[shape]
	if len(ph.Links) != hops {
		t.Fatalf("%s: %d hops, want %d", ph.Mode, len(ph.Links), hops)
	}
	for _, l := range ph.Links {
		if l.Senders == 0 || l.Entries < uint64(ph.CityOrgs) || l.WireBytes == 0 || l.BytesPerEntry <= 0 || l.Ratio <= 0 {
			t.Errorf("%s %s: %+v", ph.Mode, l.Hop, l)
		}
	}
	if ph.Memory.RSSBytes <= 0 {
		t.Errorf("%s: rss %d", ph.Mode, ph.Memory.RSSBytes)
	}
}

func checkFigures(t *testing.T, res Result) {
	t.Helper()
	if res.Raw.Records != res.Entries || res.Raw.RecordsPerSec <= 0 {
		t.Errorf("raw: %+v", res.Raw)
	}
	l := res.Latency
	if l == nil || l.Writes != res.Scenario.latencyWrites() || l.P50 <= 0 || l.P99 < l.P50 || l.Max < l.P99 || l.WriteP50 <= 0 {
		t.Errorf("latency: %+v", l)
	}
	if res.Memory.PeakRSSBytes < res.Memory.RSSBytes || res.Memory.LoadBytes <= 0 {
		t.Errorf("memory: %+v", res.Memory)
	}
}

func TestChooseTopology(t *testing.T) {
	tr := chooseTopology(ShapeTree, 16)
	if len(tr.streets) != 16 || tr.note != "" {
		t.Fatalf("tree 16: %d streets, note %q", len(tr.streets), tr.note)
	}
	for _, s := range tr.streets {
		if s.Parent() != tr.county {
			t.Errorf("street %s outside county %s", s, tr.county)
		}
	}
	big := chooseTopology(ShapeTree, 100)
	if big.note == "" || len(big.streets) == 0 || len(big.streets) >= 100 {
		t.Errorf("tree 100: %d streets, note %q", len(big.streets), big.note)
	}
	if fl := chooseTopology(ShapeFlat, 40); len(fl.streets) != 40 || fl.county != "" {
		t.Errorf("flat 40: %d streets county %q", len(fl.streets), fl.county)
	}
}

func TestShareSizes(t *testing.T) {
	got := shareSizes(10, 3)
	if got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Errorf("shareSizes(10, 3) = %v, want [4 3 3]", got)
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {99, 10}, {100, 10}, {10, 1}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestLoadJSONL(t *testing.T) {
	in := `{"id":"a1","community":"210102001001","name":"读书会","category":"文体活动类","tier":"guided","founded":"2021-04-01","members":20,"charter":true,"party_building":false,"brand":false,"status":"active"}

{"kind":"org","origin":"210102001000","id":"a2","seq":3,"updated":"2024-01-01T00:00:00Z","record":{"id":"a2","community":"210102001001","name":"舞蹈队","category":"culture","tier":"filed","founded":"2020-01-01","members":12,"charter":false,"party_building":false,"brand":false,"status":"active"}}
`
	pool, err := LoadJSONL(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) != 2 || pool[1].ID != "a2" {
		t.Fatalf("pool: %+v", pool)
	}
	streets := chooseTopology(ShapeFlat, 2).streets
	shares, err := buildShares(streets, 5, 2, pool)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, sh := range shares {
		for _, m := range append(sh.main, sh.extra...) {
			if ids[string(sh.street)+m.ID] {
				t.Errorf("id %s repeats in %s", m.ID, sh.street)
			}
			ids[string(sh.street)+m.ID] = true
		}
	}
	if len(ids) != 7 || len(shares[0].main) != 3 || len(shares[1].extra) != 1 {
		t.Errorf("%d ids; shares %d+%d, %d+%d", len(ids), len(shares[0].main), len(shares[0].extra), len(shares[1].main), len(shares[1].extra))
	}
	if _, err := LoadJSONL(strings.NewReader(`{"id":"x","bogus":1}`)); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("unknown field: got %v, want an error naming line 1", err)
	}
}

func TestPeakRate(t *testing.T) {
	t0 := time.Unix(0, 0)
	ps := []point{{t0, 0}, {t0.Add(500 * time.Millisecond), 10}, {t0.Add(time.Second), 100}, {t0.Add(2 * time.Second), 110}, {t0.Add(2500 * time.Millisecond), 400}}
	// From each point, the shortest window of at least 1s: 0→1s 100/s,
	// 0.5→2s 66/s, 1→2s 10/s; from 2s on none is long enough.
	if got := peakRate(ps, time.Second); got != 100 {
		t.Errorf("peakRate = %v, want 100", got)
	}
	if got := peakRate(ps[:2], time.Second); got != 20 {
		t.Errorf("peakRate over half a second = %v, want 20 (the whole span)", got)
	}
	if got := peakRate(ps[:1], time.Second); got != 0 {
		t.Errorf("peakRate of one point = %v, want 0", got)
	}
}

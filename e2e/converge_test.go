package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// convergePoll is the interval of the convergence wait.
const convergePoll = 100 * time.Millisecond

// summaryYear is the year the summaries are compared for (a programme
// year, so that a run across New Year compares like with like).
const summaryYear = 2023

// digest is one item of GET /v1/sync/digests.
type digest struct {
	Origin  string `json:"origin"`
	Seq     uint64 `json:"seq"`
	Head    string `json:"head"`
	Records int64  `json:"records"`
	Digest  string `json:"digest"`
}

// lag says what the city or a county lacks of the nodes below it: for
// every street and county whose own log has entries, its seq at itself,
// at its county (streets) and at the city; and every sender that still
// counts a backlog (the acks have not all come back). It returns "" when
// every watermark matches and no backlog is left.
func (f *federation) lag() string {
	f.t.Helper()
	city := f.city.status()
	var b strings.Builder
	for i, c := range f.counties {
		cst := c.status()
		if own := cst.seqOf(c.area); own != city.seqOf(c.area) {
			fmt.Fprintf(&b, "county %s: own seq %d, city has %d; ", c.area, own, city.seqOf(c.area))
		}
		noteBacklog(&b, "county", cst)
		for _, s := range f.county[i] {
			sst := s.status()
			own := sst.seqOf(s.area)
			if own == 0 {
				fmt.Fprintf(&b, "street %s: no entries of its own; ", s.area)
			}
			if at, up := cst.seqOf(s.area), city.seqOf(s.area); at != own || up != own {
				fmt.Fprintf(&b, "street %s: own seq %d, county has %d, city has %d; ", s.area, own, at, up)
			}
			noteBacklog(&b, "street", sst)
		}
	}
	return b.String()
}

// noteBacklog notes a server whose upstream is missing or counts a
// backlog.
func noteBacklog(b *strings.Builder, level string, st status) {
	switch {
	case st.Upstream == nil:
		fmt.Fprintf(b, "%s %s: no upstream in its status; ", level, st.Area)
	case st.Upstream.Totals.Backlog != 0:
		fmt.Fprintf(b, "%s %s: upstream backlog %d; ", level, st.Area, st.Upstream.Totals.Backlog)
	}
}

// waitConverged polls the watermarks until the city and the counties hold
// every street's log up to the street's own seq and no sender counts a
// backlog (lag), then checks the replicas
// (checkReplicas) and returns how long the wait took. The streets must be
// quiet: nothing may write while it waits.
func (f *federation) waitConverged() time.Duration {
	f.t.Helper()
	start := time.Now()
	deadline := start.Add(f.knobs.Converge)
	for {
		l := f.lag()
		if l == "" {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("not converged after %v: %s\nupstream of the counties: %s", f.knobs.Converge, l, f.upstreams(f.counties))
		}
		time.Sleep(convergePoll)
	}
	took := time.Since(start)
	f.checkReplicas()
	return took
}

// upstreams describes the upstream links of servers, for failures.
func (f *federation) upstreams(servers []*server) string {
	var b strings.Builder
	for _, s := range servers {
		up := s.status().Upstream
		if up == nil {
			fmt.Fprintf(&b, "\n  %s: no upstream", s.area)
			continue
		}
		fmt.Fprintf(&b, "\n  %s: connected %v, backlog %d, last error %q", s.area, up.Connected, up.Totals.Backlog, up.LastError)
	}
	return b.String()
}

// checkReplicas compares, once the watermarks match, every street's own
// digests and summary with its county's and the city's, every county's
// summary with the city's, and runs `fedsync verify` on every node.
func (f *federation) checkReplicas() {
	f.t.Helper()
	for i, c := range f.counties {
		for _, s := range f.county[i] {
			path := "/v1/sync/digests?area=" + s.area
			want := s.digests(path)
			if len(want) != 1 || want[0].Origin != s.area || want[0].Records == 0 {
				f.t.Errorf("%s at the street itself: got %+v, want one digest of its own origin with records", path, want)
			}
			for _, up := range []*server{c, f.city} {
				if got := up.digests(path); !reflect.DeepEqual(got, want) {
					f.t.Errorf("%s at %s: got %+v, want the street's own %+v", path, up.area, got, want)
				}
			}
			f.sameSummary(s, s, c, f.city)
		}
		f.sameSummary(c, c, f.city)
	}
	for _, s := range f.all() {
		if r := s.cli("verify"); r.code != 0 {
			f.t.Errorf("fedsync verify at %s exited %d, want 0:\n%s", s.area, r.code, r)
		}
	}
}

// sameSummary requires GET /v1/areas/{of}/summary to answer the same at
// every server of others as at own, apart from freshness (which names when
// each server heard from the origins).
func (f *federation) sameSummary(of, own *server, others ...*server) {
	f.t.Helper()
	path := fmt.Sprintf("/v1/areas/%s/summary?year=%d", of.area, summaryYear)
	want := own.summary(path)
	for _, o := range others {
		if got := o.summary(path); !reflect.DeepEqual(got, want) {
			f.t.Errorf("%s at %s differs from %s's own:\n got %v\nwant %v", path, o.area, own.area, got, want)
		}
	}
}

// orgTotal returns the number of orgs of area (every status) that server
// s reports in its summary of area.
func (s *server) orgTotal(area string) int64 {
	s.t.Helper()
	var sum struct {
		Orgs struct {
			ByStatus map[string]int64 `json:"by_status"`
		} `json:"orgs"`
	}
	s.getJSON(fmt.Sprintf("/v1/areas/%s/summary?year=%d", area, summaryYear), &sum)
	var n int64
	for _, v := range sum.Orgs.ByStatus {
		n += v
	}
	return n
}

// summary returns a summary answer without its freshness.
func (s *server) summary(path string) map[string]any {
	s.t.Helper()
	var m map[string]any
	s.getJSON(path, &m)
	delete(m, "freshness")
	return m
}

// digests returns a GET /v1/sync/digests answer.
func (s *server) digests(path string) []digest {
	s.t.Helper()
	var ds []digest
	s.getJSON(path, &ds)
	return ds
}

// checkOrgs requires every street, and the city's view of it, to hold
// want[street] orgs.
func (f *federation) checkOrgs(want map[string]int64) {
	f.t.Helper()
	for _, s := range f.streets {
		if got := s.count("org"); got != want[s.area] {
			f.t.Errorf("street %s holds %d orgs, want %d (seeded and written by the test)", s.area, got, want[s.area])
		}
		if got := f.city.orgTotal(s.area); got != want[s.area] {
			f.t.Errorf("the city's summary of %s counts %d orgs, want %d", s.area, got, want[s.area])
		}
	}
}

// mustJSON encodes v for a log line.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

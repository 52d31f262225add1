package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/node"
)

// Areas of the federation tests: two districts of Shenyang with two
// streets each, under the city.
const (
	fedCity    = "210100000000" // 沈阳市
	fedHeping  = "210102000000" // 和平区
	fedShenhe  = "210103000000" // 沈河区
	fedRaftTTL = 200 * time.Millisecond
)

// fedHepingStreets are the streets of 和平区 the tests run.
var fedHepingStreets = []string{"210102001000", "210102002000"} // 浑河湾街道, 新华街道

// federation is the process tree street → county → city, each node one
// agent process. Every county reaches the city through its own proxy, so
// a test can cut one county's link.
type federation struct {
	t        *testing.T
	knobs    fedKnobs
	city     *server
	counties []*server
	proxies  []*proxy    // proxies[i] forwards counties[i] to the city
	streets  []*server   // in county order
	county   [][]*server // county[i] are the streets of counties[i]
}

// newFederation prepares the city, the counties 和平区 and 沈河区 (two
// streets each: fedHepingStreets, and the first two children of 沈河区 in
// the division data) and one proxy per county, with their configs written
// directly (node.WriteConfig). Nothing runs yet: see start.
func newFederation(t *testing.T, k fedKnobs) *federation {
	t.Helper()
	f := &federation{t: t, knobs: k}
	f.city = newFedServer(t, k, fedCity, nil)
	shenhe := area.Children(fedShenhe)
	if len(shenhe) < 2 {
		t.Fatalf("division data lists %d streets under %s, want at least 2", len(shenhe), fedShenhe)
	}
	plan := []struct {
		county  string
		streets []string
	}{
		{fedHeping, fedHepingStreets},
		{fedShenhe, []string{string(shenhe[0].Code), string(shenhe[1].Code)}},
	}
	for _, p := range plan {
		px := newProxy(t, f.city.syncAddr)
		c := newFedServer(t, k, p.county, []string{px.Addr()})
		var below []*server
		for _, code := range p.streets {
			below = append(below, newFedServer(t, k, code, []string{c.syncAddr}))
		}
		f.counties, f.proxies = append(f.counties, c), append(f.proxies, px)
		f.county = append(f.county, below)
		f.streets = append(f.streets, below...)
	}
	return f
}

// newFedServer prepares a server of code whose config (written with
// node.WriteConfig) points at parent, on free loopback ports.
func newFedServer(t *testing.T, k fedKnobs, code string, parent []string) *server {
	t.Helper()
	s := newServerDirs(t, code)
	if err := os.MkdirAll(s.dataDir, 0o750); err != nil {
		t.Fatalf("create data dir: %v", err)
	}
	c := node.DefaultConfig()
	c.Area, c.Name, c.DataDir = area.Code(code), code+"-e2e", s.dataDir
	c.HTTPAddr, c.RaftAddr, c.SyncAddr, c.Parent = s.httpAddr, s.raftAddr, s.syncAddr, parent
	c.RaftTimeout = node.Duration{Duration: fedRaftTTL}
	c.UnsafeNoSync = !k.Fsync
	c.Limits.RatePerSecond = 0 // the tests poll hard; the rate limit has its own tests
	c.TLS = issueCert(t, code, c.Name)
	c.Privacy.UnsafeDevKey = true
	if err := c.Validate(); err != nil {
		t.Fatalf("config of %s: %v", code, err)
	}
	if err := node.WriteConfig(s.config, c); err != nil {
		t.Fatalf("config of %s: %v", code, err)
	}
	return s
}

// all returns every server, city first.
func (f *federation) all() []*server {
	return append(append([]*server{f.city}, f.counties...), f.streets...)
}

// start launches every agent at once and waits until each answers
// /healthz.
func (f *federation) start() {
	f.t.Helper()
	begin := time.Now()
	for _, s := range f.all() {
		s.launch()
	}
	for _, s := range f.all() {
		s.waitHealthy()
		s.ensureToken()
	}
	f.t.Logf("%d agents healthy after %v", len(f.all()), since(begin))
}

// seed imports knobs.Seed orgs into every street with `fedsync import`
// of a roster written for it, the streets in parallel.
func (f *federation) seed() {
	f.t.Helper()
	if f.knobs.Seed == 0 {
		return
	}
	begin := time.Now()
	dir := f.t.TempDir()
	var procs []*process
	for _, s := range f.streets {
		file := writeStreetCSV(f.t, dir, s.area, f.knobs.Seed)
		procs = append(procs, s.cliBackground("import", file, "--kind", "org", "--quiet", "-o", "json"))
	}
	for _, p := range procs {
		r := p.wait(f.t, cliTimeout)
		if r.code != 0 {
			f.t.Fatalf("seed import failed:\n%s", r)
		}
		if rep := parseImport(f.t, r); rep.Created != f.knobs.Seed {
			f.t.Fatalf("seed import created %d orgs, want %d: %+v", rep.Created, f.knobs.Seed, rep)
		}
	}
	f.t.Logf("seeded %d orgs into each of %d streets in %v", f.knobs.Seed, len(f.streets), since(begin))
}

// writeStreetCSV writes a roster of n valid orgs of street whose ids name
// the street, so that ids are unique across the federation.
func writeStreetCSV(t *testing.T, dir, street string, n int) string {
	t.Helper()
	comms := area.Children(area.Code(street))
	if len(comms) == 0 {
		t.Fatalf("no communities under %s in the division data", street)
	}
	rows := [][]string{orgHeader}
	for i := range n {
		row := orgRow(i, comms)
		row[0] = fmt.Sprintf("seed-%s-%06d", street, i)
		rows = append(rows, row)
	}
	return writeCSV(t, filepath.Join(dir, "seed-"+street+".csv"), rows)
}

// since is the time since t, rounded for logs.
func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// names lists the servers' areas with their division names.
func names(servers []*server) string {
	var b strings.Builder
	for i, s := range servers {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", s.area, area.Name(area.Code(s.area)))
	}
	return b.String()
}

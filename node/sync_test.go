package node

import (
	"context"
	"maps"
	"net"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// TestChainConverges runs street → county → city in one process over real
// loopback sockets and checks that the city ends up with the street's
// counters and that every store verifies.
func TestChainConverges(t *testing.T) {
	city := area.MustParse("210100000000")
	mk := func(a area.Code, name string, parent *Node) *Node {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name, cfg.SyncAddr = a, name, "127.0.0.1:0"
		if parent != nil {
			cfg.Parent = []string{parent.SyncAddr()}
		}
		return startNode(t, cfg)
	}
	top := mk(city, "city", nil)
	mid := mk(testCounty, "county", top)
	street := mk(testStreet, "street", mid)
	comms := area.Children(testStreet)
	for b := range 5 {
		var muts []storage.Mutation
		for i := range 100 {
			muts = append(muts, orgMut(t, b*100+i, comms[i%len(comms)].Code))
		}
		if _, err := street.Write(context.Background(), muts); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := street.store.AreaCounters(testStreet)
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, _ := top.store.AreaCounters(testStreet)
		if maps.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("city did not converge: street status %+v", street.SyncStatus())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, n := range []*Node{street, mid, top} {
		rep, err := n.Verify(context.Background())
		if err != nil || !rep.OK {
			t.Fatalf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}
	if st := street.SyncStatus(); st.Peer != "county" || !st.Connected {
		t.Fatalf("street's upstream: peer %q connected %v, want the county's server", st.Peer, st.Connected)
	}
	sum, err := top.Summary(testStreet, 2023)
	if err != nil || sum.Orgs.Total != 500 || len(sum.Freshness) == 0 {
		t.Fatalf("city summary of the street: %v total %d freshness %v", err, sum.Orgs.Total, sum.Freshness)
	}
}

func TestSyncMetricsExported(t *testing.T) {
	city := area.MustParse("210100000000")
	cfg := testConfig(t.TempDir())
	cfg.Area, cfg.Name = city, "city"
	top := startNode(t, cfg)
	scfg := testConfig(t.TempDir())
	scfg.Parent = []string{top.SyncAddr()}
	street := startNode(t, scfg)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mfs, err := street.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if len(mf.Metric) > 0 && mf.Metric[0].Counter != nil {
				got[mf.GetName()] = mf.Metric[0].Counter.GetValue()
			} else if len(mf.Metric) > 0 && mf.Metric[0].Gauge != nil {
				got[mf.GetName()] = mf.Metric[0].Gauge.GetValue()
			}
		}
		// The seeded communities must have been sent and acknowledged.
		if got["fedsync_sync_sender_entries_total"] > 0 && got["fedsync_sync_sender_backlog_entries"] == 0 && got["fedsync_sync_sender_parent_connected"] == 1 {
			if got["fedsync_sync_sender_compression_ratio"] <= 1 {
				t.Fatalf("compression ratio %v, want > 1", got["fedsync_sync_sender_compression_ratio"])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sender metrics never showed a delivered backlog: %v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitEqual waits until the parent's counters of area a equal the child's.
func waitEqual(t *testing.T, child, parent *Node, a area.Code) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		want, _ := child.store.AreaCounters(a)
		got, _ := parent.store.AreaCounters(a)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not converge with %s: sender %+v", parent.cfg.Name, child.cfg.Name, child.SyncStatus())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRebuiltParentGetsState: a county is rebuilt from nothing after the
// street has pruned its log; the street sends its state, then goes on with
// new entries.
func TestRebuiltParentGetsState(t *testing.T) {
	addr := freePort(t)
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name, ccfg.SyncAddr = testCounty, "county", addr
	county := startNode(t, ccfg)
	scfg := testConfig(t.TempDir())
	scfg.Parent = []string{addr}
	street := startNode(t, scfg)
	comms := area.Children(testStreet)
	write := func(from, n int) {
		var muts []storage.Mutation
		for i := from; i < from+n; i++ {
			muts = append(muts, orgMut(t, i, comms[i%len(comms)].Code))
		}
		if _, err := street.Write(context.Background(), muts); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 200)
	waitEqual(t, street, county, testStreet)
	wms, _ := street.store.Watermarks()
	if _, err := street.store.Prune(0, testStreet, wms[0].Seq); err != nil {
		t.Fatal(err)
	}
	county.Stop()

	ccfg.DataDir = t.TempDir()
	rebuilt := startNode(t, ccfg)
	waitEqual(t, street, rebuilt, testStreet)
	write(200, 50)
	waitEqual(t, street, rebuilt, testStreet)
	if st := street.up.Stats(); st.StatesSent == 0 {
		t.Fatalf("no state transfer sent: %+v", st)
	}
	a, _ := street.store.Digests(testStreet)
	b, _ := rebuilt.store.Digests(testStreet)
	if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
		t.Fatalf("digests differ:\nstreet %+v\ncounty %+v", a, b)
	}
	for _, n := range []*Node{street, rebuilt} {
		if rep, err := n.Verify(context.Background()); err != nil || !rep.OK {
			t.Fatalf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}
}

// TestQuietChildNotStale: a child with nothing to send pings, so its
// parent does not report it stale; once it stops, the parent does.
func TestQuietChildNotStale(t *testing.T) {
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = testCounty, "county"
	ccfg.StaleAfter = Duration{600 * time.Millisecond}
	county := startNode(t, ccfg)
	scfg := testConfig(t.TempDir())
	scfg.Parent, scfg.KeepAlive = []string{county.SyncAddr()}, Duration{100 * time.Millisecond}
	street := startNode(t, scfg)
	waitEqual(t, street, county, testStreet)
	quiet := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(quiet) {
		if st := county.Status(); len(st.Stale) != 0 {
			t.Fatalf("quiet but connected street reported stale: %+v", st.Stale)
		}
		time.Sleep(50 * time.Millisecond)
	}
	street.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for len(county.Status().Stale) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("stopped street never reported stale")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/federation"
	"fedsync/storage"
)

// gossipTestConfig is testConfig for a server of area a in a gossip pool
// with timings ten times faster than the WAN defaults (a crash is declared
// in a few seconds) and the given keyring file ("" = the development key).
func gossipTestConfig(t *testing.T, a area.Code, name, keyring string, join ...string) Config {
	t.Helper()
	c := testConfig(t.TempDir())
	c.Area, c.Name = a, name
	provisionTLS(&c) // a certificate of this area and name
	c.KeepAlive = Duration{200 * time.Millisecond}
	c.Gossip.Enabled = true
	c.Gossip.BindAddr = "127.0.0.1:0"
	c.Gossip.Join = join
	c.Gossip.KeyringFile = keyring
	c.Gossip.DevInsecureKey = keyring == ""
	c.Gossip.TimingScale = 10
	c.Gossip.BypassAfter = Duration{time.Second}
	return c
}

// keyringFile writes keys (primary first) to a new file.
func keyringFile(t *testing.T, keys ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keyring")
	if err := os.WriteFile(p, []byte(strings.Join(keys, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := federation.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func gossipAddr(n *Node) string { return n.Gossip().LocalAddr() }

// waitUntil polls cond until it holds, failing after 30 s with what().
func waitUntil(t *testing.T, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// memberStatus returns how n sees the member called name ("" if unknown).
func memberStatus(n *Node, name string) string {
	ms, _ := n.Members()
	for _, m := range ms {
		if m.Name == name {
			return m.Status
		}
	}
	return ""
}

// TestGossipDiscoversParent: a street with no configured parent finds its
// county through gossip and replicates; the city gets the street's data
// through the county; every member sees every other with its metadata.
func TestGossipDiscoversParent(t *testing.T) {
	city := startNode(t, gossipTestConfig(t, testCity, "city", ""))
	county := startNode(t, gossipTestConfig(t, testCounty, "county", "", gossipAddr(city)))
	street := startNode(t, gossipTestConfig(t, testStreet, "street", "", gossipAddr(county)))
	comms := area.Children(testStreet)
	var muts []storage.Mutation
	for i := range 50 {
		muts = append(muts, orgMut(t, i, comms[i%len(comms)].Code))
	}
	if _, err := street.Write(context.Background(), muts); err != nil {
		t.Fatal(err)
	}
	waitEqual(t, street, city, testStreet)
	if st := street.SyncStatus(); st.Peer != "county" || st.Parent != testCounty {
		t.Fatalf("street's upstream: %+v, want the county", st)
	}
	waitUntil(t, func() string { ms, _ := city.Members(); return fmt.Sprintf("city's members: %+v", ms) }, func() bool {
		ms, _ := city.Members()
		if len(ms) != 3 {
			return false
		}
		for _, m := range ms {
			if m.Status != "alive" || m.RaftRole != "leader" || m.Group == "" || m.APIAddr == "" {
				return false
			}
		}
		return true
	})
	ms, _ := city.Members()
	for _, m := range ms {
		if m.Name == "street" && (m.SyncAddr != "" || m.Level != "street" || m.Area != testStreet) {
			t.Errorf("street as listed: %+v", m)
		}
		if m.Name == "county" && m.SyncAddr != county.SyncAddr() {
			t.Errorf("county's sync addr %q, want %q", m.SyncAddr, county.SyncAddr())
		}
	}
}

// TestGossipRefusals: a server with a wrong key, and a server that claims
// an area already served by another raft group, are refused at Start; the
// pool is unchanged. A server without a key does not start.
func TestGossipRefusals(t *testing.T) {
	key := newKey(t)
	county := startNode(t, gossipTestConfig(t, testCounty, "county", keyringFile(t, key)))
	street := startNode(t, gossipTestConfig(t, testStreet, "street", keyringFile(t, key), gossipAddr(county)))
	waitUntil(t, func() string { return "street not alive on the county" }, func() bool { return memberStatus(county, "street") == "alive" })

	try := func(cfg Config) error {
		n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return err
		}
		err = n.Start(context.Background())
		n.Stop()
		return err
	}
	err := try(gossipTestConfig(t, testStreet2, "intruder", keyringFile(t, newKey(t)), gossipAddr(county)))
	if !errors.Is(err, federation.ErrKeyMismatch) {
		t.Fatalf("wrong key: %v, want ErrKeyMismatch", err)
	}
	nokey := gossipTestConfig(t, testStreet2, "nokey", "", gossipAddr(county))
	nokey.Gossip.DevInsecureKey = false
	if err := try(nokey); err == nil || !strings.Contains(err.Error(), "gossip.keyring_file") {
		t.Fatalf("no key: %v, want a gossip.keyring_file error", err)
	}
	// A second county node, bootstrapped on its own: another raft group.
	err = try(gossipTestConfig(t, testCounty, "county-rogue", keyringFile(t, key), gossipAddr(county)))
	if !errors.Is(err, federation.ErrConflict) || !strings.Contains(err.Error(), "one area, one raft group") {
		t.Fatalf("second group in the county: %v, want the group conflict", err)
	}
	time.Sleep(time.Second) // let any gossip about the refused servers spread
	for _, n := range []*Node{county, street} {
		ms, _ := n.Members()
		if len(ms) != 2 {
			t.Errorf("%s lists %d members after the refusals, want 2: %+v", n.cfg.Name, len(ms), ms)
		}
	}
}

var testStreet2 = area.Children(testCounty)[1].Code

// streetWriter writes orgs to a street node in batches until stopped.
type streetWriter struct {
	n      *Node
	comms  []area.Division
	next   atomic.Int64
	stop   chan struct{}
	done   sync.WaitGroup
	errors atomic.Int64
}

func startStreetWriter(t *testing.T, n *Node, base int) *streetWriter {
	w := &streetWriter{n: n, comms: area.Children(n.cfg.Area), stop: make(chan struct{})}
	w.next.Store(int64(base))
	w.done.Go(func() {
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(30 * time.Millisecond):
			}
			var muts []storage.Mutation
			for range 5 {
				i := int(w.next.Add(1))
				muts = append(muts, orgMut(t, i, w.comms[i%len(w.comms)].Code))
			}
			if _, err := n.Write(context.Background(), muts); err != nil {
				w.errors.Add(1)
			}
		}
	})
	return w
}

func (w *streetWriter) halt() { close(w.stop); w.done.Wait() }

// TestBypassAndCatchUp kills a county node entirely while its two streets
// write: the streets bypass to the city within bypass_after; the county is
// restarted: the streets go back to it, it catches up, and the city holds
// exactly the union of the streets (digests equal, summary counts exact).
func TestBypassAndCatchUp(t *testing.T) {
	city := startNode(t, gossipTestConfig(t, testCity, "city", ""))
	ccfg := gossipTestConfig(t, testCounty, "county", "", gossipAddr(city))
	county := startNode(t, ccfg)
	streets := []*Node{
		startNode(t, gossipTestConfig(t, testStreet, "street-1", "", gossipAddr(county))),
		startNode(t, gossipTestConfig(t, testStreet2, "street-2", "", gossipAddr(city))),
	}
	var writers []*streetWriter
	for i, s := range streets {
		writers = append(writers, startStreetWriter(t, s, i*1_000_000))
	}
	time.Sleep(300 * time.Millisecond)

	// Kill the county: the streets bypass to the city.
	ccfg.Gossip.BindAddr = gossipAddr(county) // restart on the same gossip address
	county.Stop()
	for _, s := range streets {
		waitUntil(t, func() string { return s.cfg.Name + " never bypassed to the city: " + statusString(s) }, func() bool {
			st := s.SyncStatus()
			return st.Connected && st.Parent == testCity && s.Bypassing() == testCity
		})
	}
	waitUntil(t, func() string { return "city never reported the county dead" }, func() bool { return memberStatus(city, "county") == "dead" })
	time.Sleep(300 * time.Millisecond)
	for _, w := range writers {
		w.halt()
	}
	for _, s := range streets {
		waitEqual(t, s, city, s.cfg.Area)
	}
	sum, err := city.Summary(testCounty, 2023)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Freshness {
		if f.Origin == testStreet && (!f.Bypass || f.Via != testStreet) {
			t.Fatalf("street freshness at the city during bypass: %+v, want bypass via the street", f)
		}
	}

	// Restart the county: the streets return to it and it catches up.
	writers = writers[:0]
	for i, s := range streets {
		writers = append(writers, startStreetWriter(t, s, i*1_000_000+500_000))
	}
	county = startNode(t, ccfg)
	for _, s := range streets {
		waitUntil(t, func() string { return s.cfg.Name + " never went back to the county: " + statusString(s) }, func() bool {
			st := s.SyncStatus()
			return st.Connected && st.Parent == testCounty && s.Bypassing() == ""
		})
	}
	waitUntil(t, func() string { return "city never saw the county alive again" }, func() bool { return memberStatus(city, "county") == "alive" })
	time.Sleep(300 * time.Millisecond)
	for _, w := range writers {
		w.halt()
	}
	var total int64
	for _, s := range streets {
		waitEqual(t, s, county, s.cfg.Area)
		waitEqual(t, s, city, s.cfg.Area)
		a, _ := s.store.Digests(s.cfg.Area)
		b, _ := city.store.Digests(s.cfg.Area)
		c, _ := county.store.Digests(s.cfg.Area)
		if len(a) != 1 || len(b) != 1 || a[0] != b[0] || a[0] != c[0] {
			t.Fatalf("%s digests differ:\nstreet %+v\ncity   %+v\ncounty %+v", s.cfg.Name, a, b, c)
		}
		ss, err := s.Summary(s.cfg.Area, 2023)
		if err != nil {
			t.Fatal(err)
		}
		total += int64(ss.Orgs.Total)
	}
	waitEqual(t, county, city, testCounty)
	sum, err = city.Summary(testCounty, 2023)
	if err != nil {
		t.Fatal(err)
	}
	if int64(sum.Orgs.Total) != total || total == 0 {
		t.Fatalf("city's count of the county: %d orgs, want the streets' %d", sum.Orgs.Total, total)
	}
	for _, n := range append([]*Node{city, county}, streets...) {
		if rep, err := n.Verify(context.Background()); err != nil || !rep.OK {
			t.Fatalf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}
}

func statusString(n *Node) string {
	st := n.SyncStatus()
	return "parent " + string(st.Parent) + " peer " + st.Peer + " bypass " + string(n.Bypassing()) + " err " + st.LastError
}

// TestKeyRotationWhileReplicating rotates the gossip key of a county and
// its street (install everywhere, use everywhere, remove the old key
// everywhere) while the street writes and replicates: nobody is ever
// declared dead, replication keeps flowing, the keyring files follow, and
// afterwards a server with only the old key is refused.
func TestKeyRotationWhileReplicating(t *testing.T) {
	oldKey, newKey := newKey(t), newKey(t)
	county := startNode(t, gossipTestConfig(t, testCounty, "county", keyringFile(t, oldKey)))
	street := startNode(t, gossipTestConfig(t, testStreet, "street", keyringFile(t, oldKey), gossipAddr(county)))
	nodes := []*Node{county, street}
	waitUntil(t, func() string { return "street never alive on the county" }, func() bool { return memberStatus(county, "street") == "alive" })
	w := startStreetWriter(t, street, 0)
	var dead atomic.Bool
	stopWatch := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if memberStatus(county, "street") != "alive" || memberStatus(street, "county") != "alive" {
				dead.Store(true)
			}
		}
	})
	if _, err := county.KeyringChange("remove", oldKey); !errors.Is(err, api.ErrMemberRefused) {
		t.Fatalf("removing the primary key: %v, want refused", err)
	}
	// Each round is one federation query asked of the county: it reaches the
	// street through gossip.
	ctx := context.Background()
	if _, err := county.FederationKeyringChange(ctx, "use", newKey); !errors.Is(err, api.ErrMemberRefused) || !strings.Contains(err.Error(), "not installed on county, street") {
		t.Fatalf("use before install: %v, want refused naming both servers", err)
	}
	for _, op := range []struct{ op, key string }{{"install", newKey}, {"use", newKey}, {"remove", oldKey}} {
		res, err := county.FederationKeyringChange(ctx, op.op, op.key)
		if err != nil {
			t.Fatalf("%s: %v", op.op, err)
		}
		if len(res.Servers) != 2 || len(res.NoAnswer) != 0 || res.Servers[0].Server != "county" {
			t.Fatalf("%s: answers %+v", op.op, res)
		}
		for _, a := range res.Servers {
			if a.Error != "" || a.Keyring == nil {
				t.Fatalf("%s on %s: %s", op.op, a.Server, a.Error)
			}
		}
		time.Sleep(time.Second) // a few probe rounds under the new keyring
	}
	if _, err := county.FederationKeyringChange(ctx, "remove", newKey); !errors.Is(err, api.ErrMemberRefused) || !strings.Contains(err.Error(), "still the primary key on county, street") {
		t.Fatalf("removing the new primary key: %v, want refused", err)
	}
	w.halt()
	close(stopWatch)
	watch.Wait()
	if dead.Load() {
		t.Fatal("a server was reported not alive during the rotation")
	}
	waitEqual(t, street, county, testStreet)
	if st := street.up.Stats(); st.Sessions != 1 {
		t.Errorf("street's sync sessions: %d, want 1 (the link never dropped)", st.Sessions)
	}
	for _, n := range nodes {
		kr, err := readKeyring(n.cfg.Gossip.KeyringFile)
		if err != nil || kr.Primary != newKey || len(kr.Others) != 0 {
			t.Errorf("%s keyring file after rotation: %+v %v, want only the new key", n.cfg.Name, kr, err)
		}
	}
	// The street may not change the county's keys: it does not push there,
	// and the county refuses a push from it.
	thirdKey, _ := federation.GenerateKey()
	res, err := street.FederationKeyringChange(ctx, "install", thirdKey)
	if err != nil || len(res.Servers) != 1 || res.Servers[0].Error != "" || len(res.Skipped) != 1 || !strings.HasPrefix(res.Skipped[0], "county (outside") {
		t.Fatalf("install asked by the street: %+v %v", res, err)
	}
	if _, err := county.answerQuery(street.Gossip().Local(), queryKindKeyring, []byte(`{"op":"install","key":"`+thirdKey+`"}`)); err == nil {
		t.Fatal("a keyring change carried by a gossip query was applied")
	}
	cm, _ := street.Gossip().Leader(testCounty)
	if _, err := street.pushKeyringTo(ctx, cm, "install", thirdKey); err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "must come from a server of that area or above") {
		t.Fatalf("a push from the street to the county: %v, want 403", err)
	}
	if kr, _ := readKeyring(county.cfg.Gossip.KeyringFile); len(kr.Others) != 0 {
		t.Errorf("the county's keyring file changed on the street's request: %+v", kr)
	}
	n, err := New(gossipTestConfig(t, testStreet2, "late", keyringFile(t, oldKey), gossipAddr(county)), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Start(context.Background())
	n.Stop()
	if !errors.Is(err, federation.ErrKeyMismatch) {
		t.Fatalf("join with the removed key: %v, want ErrKeyMismatch", err)
	}
}

// TestDeadAndRejoin: a killed server is reported dead by the others and
// alive again when it restarts; leave is reported as left and closes Done.
func TestDeadAndRejoin(t *testing.T) {
	county := startNode(t, gossipTestConfig(t, testCounty, "county", ""))
	scfg := gossipTestConfig(t, testStreet, "street", "", gossipAddr(county))
	street := startNode(t, scfg)
	waitUntil(t, func() string { return "street never alive" }, func() bool { return memberStatus(county, "street") == "alive" })
	scfg.Gossip.BindAddr = gossipAddr(street)
	street.Stop()
	waitUntil(t, func() string { return "killed street not dead: " + memberStatus(county, "street") }, func() bool { return memberStatus(county, "street") == "dead" })
	street = startNode(t, scfg)
	waitUntil(t, func() string { return "restarted street not alive: " + memberStatus(county, "street") }, func() bool { return memberStatus(county, "street") == "alive" })
	if err := county.ForceLeave("street"); !errors.Is(err, api.ErrMemberRefused) {
		t.Fatalf("force-leave of an alive member: %v, want refused", err)
	}
	if err := street.Leave(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-street.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed after Leave")
	}
	waitUntil(t, func() string { return "left street: " + memberStatus(county, "street") }, func() bool { return memberStatus(county, "street") == "left" })
}

// TestFederationForceLeave: a dead street is cleared from every alive
// server's list by one request to the city; a request from the other
// street (whose area does not contain it) is refused by every server.
func TestFederationForceLeave(t *testing.T) {
	city := startNode(t, gossipTestConfig(t, testCity, "city", ""))
	county := startNode(t, gossipTestConfig(t, testCounty, "county", "", gossipAddr(city)))
	street := startNode(t, gossipTestConfig(t, testStreet, "street", "", gossipAddr(city)))
	other := startNode(t, gossipTestConfig(t, testStreet2, "other", "", gossipAddr(city)))
	alive := []*Node{city, county, other}
	for _, n := range alive {
		waitUntil(t, func() string { return "street never alive on " + n.cfg.Name }, func() bool { return memberStatus(n, "street") == "alive" })
	}
	ctx := context.Background()
	if _, err := city.FederationForceLeave(ctx, "street"); !errors.Is(err, api.ErrMemberRefused) {
		t.Fatalf("force-leave of an alive member: %v, want refused", err)
	}
	if _, err := city.FederationForceLeave(ctx, "nosuch"); !errors.Is(err, api.ErrMemberNotFound) {
		t.Fatalf("force-leave of an unknown member: %v, want not found", err)
	}
	street.Stop()
	for _, n := range alive {
		waitUntil(t, func() string { return "street not dead on " + n.cfg.Name }, func() bool { return memberStatus(n, "street") == "dead" })
	}
	res, err := other.FederationForceLeave(ctx, "street")
	if err != nil || len(res.Servers) != 3 {
		t.Fatalf("force-leave asked by the other street: %+v %v", res, err)
	}
	for _, s := range res.Servers {
		if !strings.Contains(s.Error, "outside the area of the asking server other") {
			t.Errorf("%s answered %q / %q to the other street, want a refusal", s.Server, s.Result, s.Error)
		}
	}
	for _, n := range alive {
		if st := memberStatus(n, "street"); st != "dead" {
			t.Errorf("%s lists street as %q after a refused force-leave, want dead", n.cfg.Name, st)
		}
	}
	res, err = city.FederationForceLeave(ctx, "street")
	if err != nil || len(res.Servers) != 3 || len(res.NoAnswer) != 0 || res.Servers[0].Server != "city" {
		t.Fatalf("force-leave asked by the city: %+v %v", res, err)
	}
	for _, s := range res.Servers {
		if s.Result != "left" || s.Error != "" {
			t.Errorf("%s answered %q / %q, want left", s.Server, s.Result, s.Error)
		}
	}
	for _, n := range alive {
		if st := memberStatus(n, "street"); st != "" {
			t.Errorf("%s still lists street as %q", n.cfg.Name, st)
		}
	}
}

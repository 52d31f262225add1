package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/api"
	"fedsync/area"
	"fedsync/client"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/sender"
)

// waitFor polls cond until it holds, failing the test after 60 s with
// what it waited for and the last state.
func waitFor(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startGroup starts a node of len(names) servers in one area: the first
// bootstraps alone, the others start with bootstrap = false and are added
// with AddVoter on the first, as `fedsync operator raft add-voter` does.
// Its raft_timeout, 500ms, outlasts the mutual-TLS handshakes of new raft
// connections under the race detector (tens of ms each).
func startGroup(t testing.TB, a area.Code, names []string, parent []string) []*Node {
	return startGroupTimeout(t, a, names, parent, 500*time.Millisecond)
}

// startGroupTimeout is startGroup with the given raft_timeout.
func startGroupTimeout(t testing.TB, a area.Code, names []string, parent []string, raftTimeout time.Duration) []*Node {
	t.Helper()
	return startGroupOf(t, names, func(name string) Config {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name, cfg.Parent = a, name, parent
		cfg.RaftTimeout = Duration{raftTimeout}
		return cfg
	})
}

// startGroupOf starts one server per name with the config configFor
// returns; the first bootstraps alone, the others are added with AddVoter
// on the leader. It returns once every server knows the whole group.
func startGroupOf(t testing.TB, names []string, configFor func(name string) Config) []*Node {
	t.Helper()
	var out []*Node
	for i, name := range names {
		cfg := configFor(name)
		cfg.Bootstrap = i == 0
		n := startNode(t, cfg)
		if i > 0 {
			if ri := n.raftInfo(); ri.Member || ri.Waiting == "" {
				t.Fatalf("%s before add-voter: %+v, want waiting to join", name, ri)
			}
			self := n.selfAddrs()
			req := api.AddVoterRequest{Name: name, Raft: self.Raft, HTTP: self.HTTP, Sync: self.Sync}
			addVoter(t, append(out, n), req)
		}
		out = append(out, n)
	}
	for _, n := range out {
		waitFor(t, n.cfg.Name+" to know the whole group", func() (bool, string) {
			ri := n.raftInfo()
			book, _ := n.store.Servers()
			return ri.Member && ri.Voters == len(names) && ri.Leader != "" && len(book) == len(names), fmt.Sprintf("%+v book %+v", ri, book)
		})
	}
	return out
}

// addVoter adds a server through whichever server leads, retrying while
// leadership moves (a group that grows on a loaded machine may elect
// again).
func addVoter(t testing.TB, group []*Node, req api.AddVoterRequest) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := waitLeaderOf(t, group).AddVoter(context.Background(), req)
		if err == nil {
			return
		}
		if !isNotLeaderErr(err) || time.Now().After(deadline) {
			t.Fatalf("add voter %s: %v", req.Name, err)
		}
	}
}

// waitLeaderOf waits until a server of nodes leads and returns it.
func waitLeaderOf(t testing.TB, nodes []*Node) *Node {
	t.Helper()
	var l *Node
	waitFor(t, "a leader", func() (bool, string) {
		l = leaderOf(nodes)
		return l != nil, "none"
	})
	return l
}

func leaderOf(nodes []*Node) *Node {
	for _, n := range nodes {
		if n.raft != nil && n.raft.State().String() == "Leader" {
			return n
		}
	}
	return nil
}

// writer writes one org at a time to a street until stopped.
type writer struct {
	stop chan struct{}
	done chan struct{}
	ok   atomic.Int64
}

func startWriter(t testing.TB, street *Node) *writer {
	w := &writer{stop: make(chan struct{}), done: make(chan struct{})}
	comms := area.Children(street.cfg.Area)
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			m := orgMut(t, i, comms[i%len(comms)].Code)
			if res, err := street.Write(context.Background(), []storage.Mutation{m}); err == nil && res[0].Err == nil {
				w.ok.Add(1)
			}
		}
	}()
	return w
}

func (w *writer) halt() { close(w.stop); <-w.done }

func ackedSum(st *sender.Status) uint64 {
	var n uint64
	for _, o := range st.Origins {
		n += o.Acked
	}
	return n
}

func digestsOf(n *Node, a area.Code) []storage.OriginDigest {
	d, _ := n.store.Digests(a)
	return d
}

// TestCountyOfThreeFailsOver: a county of three servers under continuous
// writes from two streets loses its leader (stopped without leaving the
// group); the others elect a new one, the streets' senders follow it, and
// the city converges with nothing lost or counted twice.
func TestCountyOfThreeFailsOver(t *testing.T) {
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = area.MustParse("210100000000"), "city"
	city := startNode(t, ccfg)
	county := startGroup(t, testCounty, []string{"county-a", "county-b", "county-c"}, []string{city.SyncAddr()})
	var syncAddrs []string
	for _, n := range county {
		syncAddrs = append(syncAddrs, n.SyncAddr())
	}
	// The streets list the county's servers with a follower first: the
	// follower refuses them with a leader hint.
	slices.Reverse(syncAddrs)
	streetCodes := []area.Code{testStreet, area.Children(testCounty)[1].Code}
	var streets []*Node
	var writers []*writer
	for i, code := range streetCodes {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name, cfg.Parent = code, fmt.Sprintf("street-%d", i), syncAddrs
		s := startNode(t, cfg)
		streets = append(streets, s)
		writers = append(writers, startWriter(t, s))
	}
	old := waitLeaderOf(t, county)
	for _, s := range streets {
		waitFor(t, s.cfg.Name+" linked to the county's leader", func() (bool, string) {
			st := s.SyncStatus()
			return st.Connected && st.Peer == old.cfg.Name && ackedSum(st) > 0, fmt.Sprintf("%+v", st)
		})
	}

	old.Stop() // not a graceful leave: the group still lists it
	var next *Node
	waitFor(t, "a new county leader", func() (bool, string) {
		next = leaderOf(county)
		return next != nil && next != old, "no leader"
	})
	for _, s := range streets {
		acked := ackedSum(s.SyncStatus())
		waitFor(t, s.cfg.Name+" to follow the new leader", func() (bool, string) {
			st := s.SyncStatus()
			return st.Connected && st.Peer == next.cfg.Name && ackedSum(st) > acked, fmt.Sprintf("%+v", st)
		})
	}
	for _, w := range writers {
		w.halt()
		if w.ok.Load() == 0 {
			t.Fatal("the writer wrote nothing")
		}
	}
	for _, s := range streets {
		want := digestsOf(s, s.cfg.Area)
		for _, n := range []*Node{next, city} {
			waitFor(t, n.cfg.Name+" to hold "+s.cfg.Name+"'s records", func() (bool, string) {
				got := digestsOf(n, s.cfg.Area)
				return slices.Equal(got, want), fmt.Sprintf("got %+v want %+v", got, want)
			})
		}
	}
	for _, n := range append([]*Node{city, next}, streets...) {
		if rep, err := n.Verify(context.Background()); err != nil || !rep.OK {
			t.Fatalf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}
	checkRemovalRules(t, county, old)
}

// checkRemovalRules: with one of three servers dead, removing a live one
// (2 remain, quorum 2, 1 live) or the leader is refused and changes
// nothing; removing the dead one is allowed. Each call goes to whichever
// server leads at the time (on a loaded machine the two may trade
// leadership).
func checkRemovalRules(t *testing.T, county []*Node, dead *Node) {
	t.Helper()
	var alive []*Node
	for _, n := range county {
		if n != dead {
			alive = append(alive, n)
		}
	}
	ctx := context.Background()
	onLeader := func(fn func(l *Node) error) (*Node, error) {
		for {
			l := waitLeaderOf(t, alive)
			err := fn(l)
			if err == nil || !isNotLeaderErr(err) {
				return l, err
			}
		}
	}
	before, _ := waitLeaderOf(t, alive).configuration()
	l, err := onLeader(func(l *Node) error {
		var other *Node
		for _, n := range alive {
			if n != l {
				other = n
			}
		}
		return l.RemovePeer(ctx, other.cfg.Name, false)
	})
	if !errors.Is(err, api.ErrOperatorRefused) || !strings.Contains(err.Error(), "only 1 of them are live") {
		t.Fatalf("remove a live peer with one dead: got %v, want a quorum refusal", err)
	}
	t.Logf("refusal: %v", err)
	if _, err := onLeader(func(l *Node) error { return l.RemovePeer(ctx, l.cfg.Name, false) }); !errors.Is(err, api.ErrOperatorRefused) {
		t.Fatalf("remove the leader: got %v, want a refusal", err)
	}
	if _, err := onLeader(func(l *Node) error { return l.RemovePeer(ctx, "no-such-server", false) }); !errors.Is(err, api.ErrUnknownPeer) {
		t.Fatalf("remove an unknown server: got %v, want ErrUnknownPeer", err)
	}
	after, _ := l.configuration()
	if !slices.Equal(before, after) {
		t.Fatalf("configuration changed by refused removals:\nbefore %+v\nafter  %+v", before, after)
	}
	l, err = onLeader(func(l *Node) error { return l.RemovePeer(ctx, dead.cfg.Name, false) })
	if err != nil {
		t.Fatalf("remove the dead peer: %v", err)
	}
	if _, ok := l.member(dead.cfg.Name); ok {
		t.Fatal("dead peer still in the configuration")
	}
	if _, ok := l.lookupAddrs(dead.cfg.Name); ok {
		t.Fatal("dead peer still in the address book")
	}
}

func isNotLeaderErr(err error) bool {
	return errors.Is(err, ErrNotLeader) || errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost)
}

// TestFollowerForwardsWrites: a write sent to a follower's API is applied
// by the leader, and every server then holds it; reads on the follower are
// served locally.
func TestFollowerForwardsWrites(t *testing.T) {
	county := startGroup(t, testCounty, []string{"county-a", "county-b", "county-c"}, nil)
	leader := waitLeaderOf(t, county)
	var follower *Node
	for _, n := range county {
		if n != leader {
			follower = n
		}
	}
	anon, err := client.New(follower.HTTPURL(), client.WithHTTPClient(testHTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	var tc *api.TokenCreated
	err = retryUnavailable(func() (err error) {
		tc, err = anon.Bootstrap(context.Background()) // forwarded: tokens are written through raft
		return err
	})
	if err != nil {
		t.Fatalf("bootstrap the node's admin token through a follower: %v", err)
	}
	for _, n := range county {
		waitFor(t, n.cfg.Name+" to hold the admin token", func() (bool, string) {
			_, err := n.TokenBySecret(tc.Secret)
			return err == nil, fmt.Sprint(err)
		})
	}
	c, err := client.New(follower.HTTPURL(), client.WithToken(tc.Secret), client.WithHTTPClient(testHTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := registry.Encode(registry.Platform{ID: "p1", AreaCode: testCounty, Name: "社会组织孵化基地", Type: registry.PlatformIncubator, Founded: "2022-05-01"})
	var st *storage.Stored
	var created bool
	tries := 0
	err = retryUnavailable(func() (err error) {
		tries++
		st, created, err = c.Create(context.Background(), registry.KindPlatform, json.RawMessage(body))
		var ae *client.APIError
		if tries > 1 && errors.As(err, &ae) && ae.Status == http.StatusConflict {
			// An attempt answered 503 after all committed it ("leadership
			// lost while committing"): the record is there.
			st, err = c.Get(context.Background(), registry.KindPlatform, "", "p1")
			created = err == nil
		}
		return err
	})
	if err != nil || !created || st.ID != "p1" {
		t.Fatalf("create through the follower: %v created=%v %+v", err, created, st)
	}
	if l := waitLeaderOf(t, county); l != follower {
		if _, err := l.Get(registry.KindPlatform, "", "p1"); err != nil {
			t.Fatalf("the leader does not hold the forwarded write: %v", err)
		}
	}
	for _, n := range county {
		waitFor(t, n.cfg.Name+" to apply the forwarded write", func() (bool, string) {
			_, err := n.Get(registry.KindPlatform, "", "p1")
			return err == nil, fmt.Sprint(err)
		})
	}
	if _, err := c.Get(context.Background(), registry.KindPlatform, "", "p1"); err != nil {
		t.Fatalf("read on the follower: %v", err)
	}
}

// retryUnavailable retries fn while the node answers 503 (an election in
// progress on a loaded machine: the API says "retry later"), for up to 30s.
func retryUnavailable(fn func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := fn()
		var ae *client.APIError
		if err == nil || !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

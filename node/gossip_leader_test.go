package node

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/federation"
)

// startGossipGroup is startGroup for servers in a gossip pool: a node of
// len(names) servers in area a, each joining the pool at join; the first
// bootstraps alone, the others are added with AddVoter on the leader.
// Every server binds port 0: one not yet in the group gossips the address
// its raft layer bound (Node.raftAddr).
func startGossipGroup(t *testing.T, a area.Code, names []string, join string) []*Node {
	t.Helper()
	return startGroupOf(t, names, func(name string) Config {
		cfg := gossipTestConfig(t, a, name, "", join)
		cfg.RaftTimeout = Duration{500 * time.Millisecond}
		return cfg
	})
}

// originSeq is n's watermark of origin o (0 when it holds nothing of o).
func originSeq(n *Node, o area.Code) uint64 {
	wms, _ := n.store.Watermarks()
	for _, w := range wms {
		if w.Origin == o {
			return w.Seq
		}
	}
	return 0
}

// TestStreetsFollowParentLeaderViaGossip: two streets with no configured
// parent find their county, a raft group of three, only through gossip.
// The county's leader is stopped without leaving the pool while the
// streets write; the streets' senders reach the new leader with no config
// change (entries written after the kill arrive there), the county ends
// with exactly the streets' records, and the streets' gossip view names
// the new leader as the county's raft leader.
func TestStreetsFollowParentLeaderViaGossip(t *testing.T) {
	city := startNode(t, gossipTestConfig(t, testCity, "city", ""))
	county := startGossipGroup(t, testCounty, []string{"county-a", "county-b", "county-c"}, gossipAddr(city))
	var streets []*Node
	var writers []*streetWriter
	for i, code := range []area.Code{testStreet, testStreet2} {
		cfg := gossipTestConfig(t, code, fmt.Sprintf("street-%d", i+1), "", gossipAddr(city))
		if len(cfg.Parent) != 0 {
			t.Fatalf("street config lists parent addresses %v; the test needs none", cfg.Parent)
		}
		s := startNode(t, cfg)
		streets = append(streets, s)
		writers = append(writers, startStreetWriter(t, s, i*1_000_000))
	}
	defer func() { // on an early failure; halting twice is avoided below
		for _, w := range writers {
			if w != nil {
				w.halt()
			}
		}
	}()

	// The streets reach the county's leader and it holds their new entries.
	old := waitLeaderOf(t, county)
	for _, s := range streets {
		seeded := originSeq(s, s.cfg.Area)
		waitFor(t, s.cfg.Name+" to write", func() (bool, string) {
			seq := originSeq(s, s.cfg.Area)
			return seq > seeded, fmt.Sprintf("seq %d, seeded %d", seq, seeded)
		})
		mark := originSeq(s, s.cfg.Area)
		waitFor(t, old.cfg.Name+" to hold "+s.cfg.Name+"'s entries", func() (bool, string) {
			st := s.SyncStatus()
			got := originSeq(old, s.cfg.Area)
			return st.Connected && st.Peer == old.cfg.Name && got >= mark, fmt.Sprintf("county seq %d, want >= %d; %s: %+v", got, mark, s.cfg.Name, st)
		})
	}

	old.Stop() // no gossip leave, no raft removal: the pool declares it dead
	var alive []*Node
	for _, n := range county {
		if n != old {
			alive = append(alive, n)
		}
	}
	waitFor(t, "a new county leader", func() (bool, string) {
		return leaderOf(alive) != nil, "none"
	})
	// Leadership may move between the two survivors on a loaded machine:
	// every check below is against whichever leads at the time.
	for _, s := range streets {
		mark := originSeq(s, s.cfg.Area) // written after the kill: above mark
		waitFor(t, s.cfg.Name+"'s new entries to reach the new county leader", func() (bool, string) {
			l := leaderOf(alive)
			if l == nil {
				return false, "no leader"
			}
			st := s.SyncStatus()
			got := originSeq(l, s.cfg.Area)
			return st.Connected && st.Peer == l.cfg.Name && st.Parent == testCounty && s.Bypassing() == "" && got > mark,
				fmt.Sprintf("leader %s seq %d, want > %d; %s bypass %q: %+v", l.cfg.Name, got, mark, s.cfg.Name, s.Bypassing(), st)
		})
	}
	for i, w := range writers {
		w.halt()
		writers[i] = nil
	}

	for _, s := range streets {
		if len(s.Config().Parent) != 0 {
			t.Fatalf("%s's config gained parent addresses: %v", s.cfg.Name, s.Config().Parent)
		}
		want := digestsOf(s, s.cfg.Area)
		if len(want) != 1 || want[0].Records == 0 {
			t.Fatalf("%s's own digest: %+v, want one origin with records", s.cfg.Name, want)
		}
		for _, n := range append(slices.Clip(alive), city) {
			waitFor(t, n.cfg.Name+"'s digest of "+s.cfg.Name+" to equal the street's", func() (bool, string) {
				got := digestsOf(n, s.cfg.Area)
				return slices.Equal(got, want), fmt.Sprintf("got %+v want %+v", got, want)
			})
		}
	}
	for _, n := range append(append(slices.Clip(alive), city), streets...) {
		if rep, err := n.Verify(context.Background()); err != nil || !rep.OK {
			t.Fatalf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}

	for _, s := range streets {
		waitUntil(t, func() string {
			ms, _ := s.Members()
			return fmt.Sprintf("%s's gossip view: %+v", s.cfg.Name, ms)
		}, func() bool {
			l := leaderOf(alive)
			m, ok := s.Gossip().Leader(testCounty)
			return l != nil && ok && m.Name == l.cfg.Name && m.RaftRole == federation.RoleLeader &&
				m.SyncAddr == l.SyncAddr() && memberStatus(s, old.cfg.Name) == "dead"
		})
	}
}

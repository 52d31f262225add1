package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/node"
)

// TestCountyOfThreeSurvivesKill9 runs 和平区 as three agent processes,
// one raft group bootstrapped from a static peer list (bootstrap_expect
// 3), below the city and above two streets whose parent lists all three.
// While the streets write, the county's leader is killed with SIGKILL: the
// other two elect a leader, the streets' senders follow it, the city
// converges (digests and summaries equal street, county and city) and
// `fedsync verify` passes on every live server. The time from the kill to
// the first street entry the new leader applies is logged.
func TestCountyOfThreeSurvivesKill9(t *testing.T) {
	t.Parallel()
	k := loadFedKnobs(t)
	k.WriteFor = max(k.WriteFor, 8*time.Second)
	city := newFedServer(t, k, fedCity, nil)
	county := newCountyGroup(t, k, fedHeping, 3, []string{city.syncAddr})
	var parents []string
	for _, c := range county {
		parents = append(parents, c.syncAddr)
	}
	var streets []*server
	for _, code := range fedHepingStreets {
		streets = append(streets, newFedServer(t, k, code, parents))
	}
	all := append(append([]*server{city}, county...), streets...)
	for _, s := range all {
		s.launch()
	}
	for _, s := range all {
		s.waitHealthy()
	}
	waitFor(t, "the county's servers to elect a leader", k.Converge, func() bool {
		for _, c := range county {
			if self := c.raftSelf(); self.Raft == nil || self.Raft.State != "Leader" {
				continue
			}
			return true
		}
		return false
	})
	// Tokens are the node's, written through raft: one bootstrap (on a
	// follower it is forwarded to the leader) serves the three servers.
	if !county[0].ensureToken() {
		t.Fatal("no admin token for the county")
	}
	for _, c := range county[1:] {
		c.token = county[0].token
	}
	for _, s := range append([]*server{city}, streets...) {
		if !s.ensureToken() {
			t.Fatalf("no admin token for %s", s.area)
		}
	}
	old := waitGroupLeader(t, county, nil, k.Converge)
	w := startWriter(streets, k, 7)
	defer w.stop()
	waitWriting(t, w, k)
	for _, s := range streets {
		waitUpstream(t, s, "linked to the county's leader", k.Converge, func(up *upstream) bool { return up.Connected })
	}
	atKill := old.status().seqOf(streets[0].area)
	old.kill()
	killed := time.Now()
	t.Logf("killed the county's leader %s at street seq %d (%d entries written so far)", old.raftAddr, atKill, w.entries.Load())

	next := waitGroupLeader(t, county, old, k.Converge)
	waitFor(t, "the new leader to apply a new street entry", k.Converge, func() bool {
		return next.status().seqOf(streets[0].area) > atKill
	})
	t.Logf("kill -9 to the new leader's first new street entry: %v (as observed, polling every %v)", since(killed), convergePoll)
	ws := w.wait(t)
	f := &federation{t: t, knobs: k, city: city, counties: []*server{next}, county: [][]*server{streets}, streets: streets}
	took := f.waitConverged()
	t.Logf("writer: %s; converged %v after the writer stopped, %v after the kill", mustJSON(ws), took.Round(time.Millisecond), since(killed))
	for _, c := range county {
		if c == old || c == next {
			continue
		}
		if r := c.cli("verify"); r.code != 0 {
			t.Errorf("fedsync verify at the follower %s exited %d:\n%s", c.raftAddr, r.code, r)
		}
	}
	want := map[string]int64{} // nothing seeded: the writer's orgs only
	addLive(want, w, streets)
	f.checkOrgs(want)
	old.start() // the killed server rejoins as a follower and catches up
	waitFor(t, "the restarted server to catch up", k.Converge, func() bool {
		return old.status().seqOf(streets[0].area) == next.status().seqOf(streets[0].area)
	})
}

// newCountyGroup prepares n servers of code as one raft group with a
// static peer list, each sending to parent.
func newCountyGroup(t *testing.T, k fedKnobs, code string, n int, parent []string) []*server {
	t.Helper()
	var out []*server
	var peers []string
	for i := range n {
		s := newFedServer(t, k, code, parent)
		out = append(out, s)
		peers = append(peers, fmt.Sprintf("%s-%d=%s", code, i+1, s.raftAddr))
	}
	for i, s := range out {
		name := fmt.Sprintf("%s-%d", code, i+1)
		tc := issueCert(t, code, name) // each server of the group its own certificate
		editConfig(t, s.config, func(c *node.Config) {
			c.Name, c.TLS = name, tc
			c.Raft.BootstrapExpect, c.Raft.Peers = n, peers
		})
	}
	return out
}

// raftStatus reads a server's status with its raft section.
func (s *server) raftStatus() api.Status {
	s.t.Helper()
	var st api.Status
	s.getJSON("/v1/status", &st)
	return st
}

// raftSelf reads GET /v1/operator/raft/self, which needs no token.
func (s *server) raftSelf() api.RaftSelf {
	s.t.Helper()
	var self api.RaftSelf
	resp, err := httpClient.Get(apiURL(s.httpAddr) + "/v1/operator/raft/self")
	if err != nil {
		return self
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&self)
	return self
}

// waitGroupLeader waits until a server of group other than not leads and
// every live server agrees, and returns it.
func waitGroupLeader(t *testing.T, group []*server, not *server, timeout time.Duration) *server {
	t.Helper()
	var leader *server
	waitFor(t, "a leader of the group", timeout, func() bool {
		leader = nil
		names := map[string]bool{}
		for _, s := range group {
			if s == not {
				continue
			}
			st := s.raftStatus()
			names[st.Leader] = true
			if st.RaftState == "Leader" {
				leader = s
			}
		}
		return leader != nil && len(names) == 1
	})
	return leader
}

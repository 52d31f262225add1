package node

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/api"
)

// raftGroup is this server's view of its node's raft group beyond what
// raft itself keeps: the address it advertises, which peers the leader
// cannot reach, and the goroutines that keep the address book current.
type raftGroup struct {
	advertise string // the raft address the others dial; set by setupRaft

	mu      sync.Mutex
	failing map[raft.ServerID]time.Time // guarded by mu: peers whose heartbeats fail (leader's view), since when

	wg sync.WaitGroup // the observer's goroutine
}

// advertiseLayer is a raft stream layer that advertises another address
// than the one it listens on (raft.advertise).
type advertiseLayer struct {
	raft.StreamLayer
	addr net.Addr
}

func (l *advertiseLayer) Addr() net.Addr { return l.addr }

// advertised wraps layer so that it advertises adv; an empty adv keeps the
// listener's own address (with the port it was given when raft_addr asked
// for port 0).
func advertised(layer raft.StreamLayer, adv string) (raft.StreamLayer, error) {
	if adv == "" {
		if err := dialable(layer.Addr().String()); err != nil {
			return nil, fmt.Errorf("raft_addr: %w; set raft.advertise", err)
		}
		return layer, nil
	}
	a, err := net.ResolveTCPAddr("tcp", adv)
	if err != nil {
		return nil, fmt.Errorf("raft.advertise %s: %w", adv, err)
	}
	return &advertiseLayer{StreamLayer: layer, addr: a}, nil
}

// bootstrap writes the first raft configuration of a fresh server with
// Bootstrap set: itself alone, or the static group of raft.peers (every
// peer bootstraps with the same list). A server with raft state, or with
// Bootstrap off, starts as it is and waits to be added.
func (n *Node) bootstrap(rc *raft.Config, logs raft.LogStore, snaps raft.SnapshotStore, trans raft.Transport) error {
	if !n.cfg.Bootstrap {
		return nil
	}
	stable, _ := logs.(raft.StableStore)
	has, err := raft.HasExistingState(logs, stable, snaps)
	if err != nil {
		return fmt.Errorf("raft state: %w", err)
	}
	if has {
		return nil
	}
	conf := raft.Configuration{Servers: []raft.Server{{ID: rc.LocalID, Address: trans.LocalAddr(), Suffrage: raft.Voter}}}
	if n.cfg.Raft.BootstrapExpect > 1 {
		peers, err := n.cfg.Raft.ParsePeers()
		if err != nil {
			return err
		}
		conf.Servers = conf.Servers[:0]
		for _, p := range peers {
			conf.Servers = append(conf.Servers, raft.Server{ID: raft.ServerID(p.Name), Address: raft.ServerAddress(p.Address), Suffrage: raft.Voter})
		}
	}
	if err := raft.BootstrapCluster(rc, logs, stable, snaps, trans, conf); err != nil {
		return fmt.Errorf("bootstrap raft: %w", err)
	}
	return nil
}

// awaitGroup is Start's wait for raft. A server bootstrapped alone waits
// (30 s at most) for its own election and seeds a street's communities
// before serving, as it always has. A server of a group of several does not
// wait: it may have to wait for its peers or to be added, and its status
// says so; the leader seeds (onLeadership).
func (n *Node) awaitGroup(ctx context.Context) error {
	if n.cfg.multiServer() {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.waitLeader(wctx); err != nil {
		return err
	}
	return n.seed(ctx)
}

// observeRaft follows raft's heartbeat observations (sent on the leader)
// so that remove-peer knows which peers are live, until the node stops.
func (n *Node) observeRaft() {
	ch := make(chan raft.Observation, 64)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation, raft.PeerObservation:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(obs)
	ctx, cancel := context.WithCancel(context.Background())
	n.grp.failing = map[raft.ServerID]time.Time{}
	n.grp.wg.Add(1)
	go func() {
		defer n.grp.wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case o := <-ch:
				n.grp.observe(o)
			}
		}
	}()
	n.closers = append(n.closers, func() error {
		n.raft.DeregisterObserver(obs)
		cancel()
		n.grp.wg.Wait()
		return nil
	})
}

func (g *raftGroup) observe(o raft.Observation) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch d := o.Data.(type) {
	case raft.FailedHeartbeatObservation:
		if _, ok := g.failing[d.PeerID]; !ok {
			g.failing[d.PeerID] = time.Now()
		}
	case raft.ResumedHeartbeatObservation:
		delete(g.failing, d.PeerID)
	case raft.PeerObservation:
		delete(g.failing, d.Peer.ID)
	case raft.LeaderObservation:
		clear(g.failing) // a new leader's heartbeats start afresh
	}
}

// unreachable reports whether the leader's heartbeats to id are failing.
func (g *raftGroup) unreachable(id raft.ServerID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.failing[id]
	return ok
}

// startLeaderDuties runs, until the node stops, the leader's duties on
// every gain of leadership and, on a follower, the upkeep of its own
// address-book entry.
func (n *Node) startLeaderDuties() error {
	if !n.cfg.multiServer() && n.raft.State() == raft.Leader {
		// A server alone does them before Start returns, so that its raft
		// log is quiet once it serves (the loop below then finds them done).
		if err := n.leaderDuties(context.Background()); err != nil {
			n.log.Warn("leader duties failed; retrying", "err", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		n.onEachLeadership(ctx)
	}()
	go func() {
		defer wg.Done()
		n.keepListed(ctx)
	}()
	n.closers = append(n.closers, func() error {
		cancel()
		wg.Wait()
		return nil
	})
	return nil
}

// onEachLeadership runs the leader's duties once each time this server
// gains leadership, until ctx ends.
func (n *Node) onEachLeadership(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	led := false
	for {
		leader := n.raft.State() == raft.Leader
		if leader && !led {
			n.onLeadership(ctx) // returns when done, or leadership or ctx ends
		}
		led = leader
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// raftInfo describes this server's place in its raft group for status.
func (n *Node) raftInfo() *api.RaftInfo {
	if n.raft == nil {
		return nil
	}
	_, leader := n.raft.LeaderWithID()
	self := n.selfAddrs()
	ri := &api.RaftInfo{State: n.raft.State().String(), Leader: string(leader), Term: n.raft.CurrentTerm(),
		LastIndex: n.raft.LastIndex(), AppliedIndex: n.raft.AppliedIndex(), CommitIndex: n.raft.CommitIndex(),
		Advertise: self.Raft, HTTP: self.HTTP, Sync: self.Sync}
	if lc := n.raft.LastContact(); !lc.IsZero() {
		ri.LastContact = lc.UTC()
	}
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				ri.Voters++
			}
			if s.ID == raft.ServerID(n.cfg.Name) {
				ri.Member = true
			}
		}
	}
	switch {
	case !ri.Member:
		ri.Waiting = fmt.Sprintf("waiting to join: add it from a server of the group with `fedsync operator raft add-voter --server-http %s`", self.HTTP)
	case leader == "":
		ri.Waiting = "waiting for a leader: a majority of the group's voters must be up"
	}
	return ri
}

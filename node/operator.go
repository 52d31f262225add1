package node

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/raft"

	"fedsync/api"
	"fedsync/storage"
)

var _ api.OperatorBackend = (*Node)(nil)

// configuration returns the group's current raft configuration.
func (n *Node) configuration() ([]raft.Server, error) {
	if n.raft == nil {
		return nil, ErrStopped
	}
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("raft configuration: %w", err)
	}
	return f.Configuration().Servers, nil
}

// member returns the group's server named name.
func (n *Node) member(name string) (raft.Server, bool) {
	servers, _ := n.configuration()
	for _, s := range servers {
		if s.ID == raft.ServerID(name) {
			return s, true
		}
	}
	return raft.Server{}, false
}

// checkAddrs validates a server description from outside.
func checkAddrs(name, raftAddr, httpAddr, syncAddr string) error {
	if name == "" || len(name) > 128 || strings.ContainsAny(name, " \t\r\n/") {
		return fmt.Errorf("%w: name %q must be 1-128 characters without spaces or slashes", api.ErrBadPeer, name)
	}
	if err := dialable(raftAddr); err != nil {
		return fmt.Errorf("%w: raft address: %v", api.ErrBadPeer, err)
	}
	for what, a := range map[string]string{"http": httpAddr, "sync": syncAddr} {
		if a == "" {
			continue
		}
		if err := dialable(a); err != nil {
			return fmt.Errorf("%w: %s address: %v", api.ErrBadPeer, what, err)
		}
	}
	return nil
}

// RaftPeers implements api.OperatorBackend: every server of the
// configuration with its addresses, the leader's view of its liveness,
// and what it reports of itself (asked over its API, in parallel).
func (n *Node) RaftPeers(ctx context.Context) ([]api.RaftPeer, error) {
	servers, err := n.configuration()
	if err != nil {
		return nil, err
	}
	_, leader := n.raft.LeaderWithID()
	book := map[string]storage.ServerAddrs{}
	if all, err := n.store.Servers(); err == nil {
		for _, a := range all {
			book[a.Name] = a
		}
	}
	out := make([]api.RaftPeer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		a := book[string(s.ID)]
		p := api.RaftPeer{Name: string(s.ID), Address: string(s.Address), Voter: s.Suffrage == raft.Voter,
			Leader: s.ID == leader, HTTP: a.HTTP, Sync: a.Sync, Live: !n.grp.unreachable(s.ID)}
		out[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.askPeer(ctx, &out[i])
		}()
	}
	wg.Wait()
	return out, nil
}

// askPeer fills what a peer reports of itself.
func (n *Node) askPeer(ctx context.Context, p *api.RaftPeer) {
	var ri *api.RaftInfo
	if p.Name == n.cfg.Name {
		ri = n.raftInfo()
	} else if p.HTTP == "" {
		p.Error = "not in the address book yet"
		return
	} else {
		var st api.Status
		if err := n.peerCall(ctx, "GET", p.HTTP, "/v1/status", nil, &st); err != nil {
			p.Error = err.Error()
			return
		}
		ri = st.Raft
	}
	if ri != nil {
		p.LastIndex, p.LastContact, p.State = ri.LastIndex, ri.LastContact, ri.State
	}
}

// AddVoter implements api.OperatorBackend (leader only; followers
// forward): the server joins the group as a voter, and the address book
// lists it. For a server that is already a voter at that raft address
// (a static group's member) only the address book changes.
func (n *Node) AddVoter(_ context.Context, req api.AddVoterRequest) error {
	if err := checkAddrs(req.Name, req.Raft, req.HTTP, req.Sync); err != nil {
		return err
	}
	if n.raft.State() != raft.Leader {
		return fmt.Errorf("add voter %s: %w", req.Name, ErrNotLeader)
	}
	if s, ok := n.member(req.Name); ok {
		if string(s.Address) != req.Raft {
			return fmt.Errorf("%w: add voter: %s is already in the group at %s; remove it first to move it to %s", api.ErrOperatorRefused, req.Name, s.Address, req.Raft)
		}
		if s.Suffrage == raft.Voter { // already a voter: only its addresses change
			return n.putAddrs(storage.ServerAddrs{Name: req.Name, Raft: req.Raft, HTTP: req.HTTP, Sync: req.Sync})
		}
	}
	servers, _ := n.configuration()
	for _, s := range servers {
		if string(s.Address) == req.Raft && string(s.ID) != req.Name {
			return fmt.Errorf("%w: add voter: %s is the raft address of %s", api.ErrOperatorRefused, req.Raft, s.ID)
		}
	}
	f := n.raft.AddVoter(raft.ServerID(req.Name), raft.ServerAddress(req.Raft), 0, n.cfg.ApplyTimeout.Duration)
	if err := f.Error(); err != nil {
		return fmt.Errorf("add voter %s at %s: %w", req.Name, req.Raft, err)
	}
	n.log.Info("added a voter to the raft group", "peer", req.Name, "raft", req.Raft)
	return n.putAddrs(storage.ServerAddrs{Name: req.Name, Raft: req.Raft, HTTP: req.HTTP, Sync: req.Sync})
}

// RemovePeer implements api.OperatorBackend (leader only; followers
// forward). Without force it refuses to remove the leader itself and to
// leave fewer live voters than the remaining configuration's
// quorum. The address book forgets the server.
func (n *Node) RemovePeer(ctx context.Context, name string, force bool) error {
	if n.raft.State() != raft.Leader {
		return fmt.Errorf("remove peer %s: %w", name, ErrNotLeader)
	}
	target, ok := n.member(name)
	if !ok {
		return fmt.Errorf("%w: %s", api.ErrUnknownPeer, name)
	}
	if !force {
		if err := n.removalSafe(ctx, target); err != nil {
			return err
		}
	}
	f := n.raft.RemoveServer(target.ID, 0, n.cfg.ApplyTimeout.Duration)
	if err := f.Error(); err != nil {
		return fmt.Errorf("remove peer %s: %w", name, err)
	}
	n.log.Warn("removed a server from the raft group", "peer", name, "forced", force)
	if target.ID == raft.ServerID(n.cfg.Name) {
		return nil // no longer leader: the new leader keeps the book
	}
	return n.deleteAddrs(name)
}

// removalSafe refuses removing target when it is the leader, or when the
// voters that remain would have fewer live members than their quorum.
func (n *Node) removalSafe(ctx context.Context, target raft.Server) error {
	if target.ID == raft.ServerID(n.cfg.Name) {
		return fmt.Errorf("%w: %s is the leader; pass --force to remove it anyway (it commits its removal and steps down, and the others elect a new leader)", api.ErrOperatorRefused, target.ID)
	}
	servers, err := n.configuration()
	if err != nil {
		return err
	}
	var remain []raft.Server
	for _, s := range servers {
		if s.ID != target.ID && s.Suffrage == raft.Voter {
			remain = append(remain, s)
		}
	}
	live := make([]bool, len(remain))
	var wg sync.WaitGroup
	for i, s := range remain {
		wg.Add(1)
		go func() {
			defer wg.Done()
			live[i] = n.peerLive(ctx, s)
		}()
	}
	wg.Wait()
	var up int
	var dead []string
	for i, s := range remain {
		if live[i] {
			up++
		} else {
			dead = append(dead, string(s.ID))
		}
	}
	if quorum := len(remain)/2 + 1; up < quorum {
		return fmt.Errorf("%w: removing %s leaves %d voters, whose quorum is %d, but only %d of them are live (unreachable: %s); bring them back, remove an unreachable one instead, or pass --force",
			api.ErrOperatorRefused, target.ID, len(remain), quorum, up, strings.Join(dead, ", "))
	}
	return nil
}

// peerLive reports whether a member is live: this server itself; else the
// leader's heartbeats to it do not fail and, when the address book has its
// API, it answers there as a member of the group. (The heartbeat view
// starts afresh with each leader, so a peer that died just before an
// election looks live to it until its first failed heartbeat; its API
// does not.)
func (n *Node) peerLive(ctx context.Context, s raft.Server) bool {
	if s.ID == raft.ServerID(n.cfg.Name) {
		return true
	}
	if n.grp.unreachable(s.ID) {
		return false
	}
	a, ok := n.lookupAddrs(string(s.ID))
	if !ok || a.HTTP == "" {
		return true
	}
	var self api.RaftSelf
	if err := n.peerCall(ctx, "GET", a.HTTP, "/v1/operator/raft/self", nil, &self); err != nil {
		return false
	}
	return self.Server == string(s.ID) && self.Raft != nil && self.Raft.Member
}

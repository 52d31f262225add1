package node

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/area"
	"fedsync/federation"
)

// groupFileName is the file in the data dir that remembers the node's raft
// group id (16 hex digits), once known.
const groupFileName = "raft-group"

// gossipState is the node's membership in the federation's gossip pool
// (nil while gossip is off or not started yet).
type gossipState struct {
	pool *federation.Pool
	cfg  GossipConfig

	keyMu sync.Mutex // serialises keyring changes and their file writes

	metaMu sync.Mutex      // guards meta
	meta   federation.Meta // what this server gossips now

	bypass *bypass // the sender's view of the parent; nil for the province

	left atomic.Bool // Leave was called (fedsync leave)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// gossipHolder is the Node's field for gossip: the running state, and the
// channel Done returns.
type gossipHolder struct {
	atomic.Pointer[gossipState]
	doneOnce sync.Once
	done     chan struct{}
}

func (h *gossipHolder) doneCh() chan struct{} {
	h.doneOnce.Do(func() { h.done = make(chan struct{}) })
	return h.done
}

// Gossip returns the node's gossip pool, nil when gossip is off.
func (n *Node) Gossip() *federation.Pool {
	if g := n.gossip.Load(); g != nil {
		return g.pool
	}
	return nil
}

// Done is closed when the server has left the gossip pool on request
// (`fedsync leave`): the agent then stops. Never closed with gossip off.
func (n *Node) Done() <-chan struct{} { return n.gossip.doneCh() }

// startGossip joins the pool, last in Start: the metadata carries the
// addresses bound by then, and the raft group is known on a leader. A
// refusal by the pool (another raft group in this area, a key that no
// member shares) fails Start; an unreachable pool is retried in the
// background.
func (n *Node) startGossip(ctx context.Context) error {
	gc := n.cfg.Gossip
	if !gc.Enabled {
		return nil
	}
	group, err := n.loadGroup()
	if err != nil {
		return err
	}
	if group.IsZero() && n.raft.State() == raft.Leader {
		if group, err = n.deriveGroup(); err != nil {
			return err
		}
	}
	fc, err := n.poolConfig(gc, group)
	if err != nil {
		return err
	}
	g := &gossipState{cfg: gc, meta: fc.Meta}
	if n.cfg.Area.Level() > area.LevelProvince {
		g.bypass = newBypass(gc.BypassAfter.Duration)
	}
	fc.OnEvent = n.gossipEvent
	fc.ConflictChecker = groupConflict
	fc.OnQuery = n.answerQuery
	pool, err := federation.New(fc)
	if err != nil {
		return fmt.Errorf("gossip: %w", err)
	}
	g.pool = pool
	if len(gc.Join) > 0 {
		if _, err := pool.Join(gc.Join); err != nil {
			if errors.Is(err, federation.ErrKeyMismatch) || errors.Is(err, federation.ErrConflict) {
				pool.Shutdown()
				return fmt.Errorf("gossip: %w", err)
			}
			n.log.Warn("gossip: no join address answered; retrying in the background", "join", gc.Join, "err", err)
		}
	}
	rctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	n.gossip.Store(g)
	g.wg.Go(func() { n.watchRaftRole(rctx, g) })
	g.wg.Go(func() { n.rejoinLoop(rctx, g) })
	if g.bypass != nil {
		g.wg.Go(func() { n.watchParent(rctx, g) })
	}
	n.closers = append(n.closers, func() error {
		cancel()
		g.wg.Wait()
		return pool.Shutdown()
	})
	n.log.Info("joined gossip pool", "gossip", pool.LocalAddr(), "members", len(pool.Members()), "group", group)
	return nil
}

// poolConfig builds the federation config from the [gossip] section.
func (n *Node) poolConfig(gc GossipConfig, group federation.GroupID) (federation.Config, error) {
	fc := federation.DefaultConfig()
	fc.Name = n.cfg.Name
	host, port, _ := splitIPPort(gc.BindAddr) // validated
	fc.BindAddr, fc.BindPort = host, port
	if gc.AdvertiseAddr != "" {
		fc.AdvertiseAddr, fc.AdvertisePort, _ = splitIPPort(gc.AdvertiseAddr)
	}
	fc.Timings = gc.timings()
	if min := fc.Timings.ProbeInterval * 6; fc.ReconnectInterval > min && gc.TimingScale > 1 {
		fc.ReconnectInterval = min
	}
	fc.Logger = n.log
	if gc.KeyringFile != "" {
		kr, err := readKeyring(gc.KeyringFile)
		if err != nil {
			return fc, err
		}
		fc.Keyring = kr
	} else {
		n.log.Warn("gossip runs with the public development key (dev_insecure_key): anyone can read and join this pool")
		fc.Keyring = federation.KeyringConfig{Primary: devInsecureKey()}
	}
	fc.Meta = federation.Meta{
		Name: n.cfg.Name, Area: n.cfg.Area, Level: n.cfg.Area.Level(),
		APIAddr:  first(n.cfg.Raft.HTTPAdvertise, gossipAdvertised(n.HTTPAddr(), gc)),
		SyncAddr: first(n.cfg.Raft.SyncAdvertise, gossipAdvertised(n.SyncAddr(), gc)),
		RaftAddr: first(n.cfg.Raft.Advertise, gossipAdvertised(n.raftAddr(), gc)), RaftRole: roleOf(n.raft.State()),
		Version: metaVersion(), Group: group,
	}
	return fc, nil
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// gossipAdvertised replaces an unspecified host (0.0.0.0, ::) in a bound address
// with the gossip advertise or bind IP, so that other servers can dial it.
func gossipAdvertised(addr string, gc GossipConfig) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr // "" for a street's sync address
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return addr
	}
	for _, a := range []string{gc.AdvertiseAddr, gc.BindAddr} {
		if h, _, err := net.SplitHostPort(a); err == nil {
			if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
				return net.JoinHostPort(h, port)
			}
		}
	}
	return addr
}

// raftAddr returns this server's raft address: from raft's configuration
// once the server is in it, else the address its raft layer advertises (the
// bound one, or [raft] advertise) — a server waiting to be added to a group
// is not in the configuration yet, and a configured port 0 is not an
// address — else the configured one.
func (n *Node) raftAddr() string {
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == n.cfg.Name {
				return string(s.Address)
			}
		}
	}
	if n.grp.advertise != "" {
		return n.grp.advertise
	}
	return n.cfg.RaftAddr
}

// metaVersion is Version as a gossip token: at most 32 printable bytes
// without spaces.
func metaVersion() string {
	v := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, Version)
	if v == "" {
		v = "dev"
	}
	for len(v) > federation.MaxVersionLen {
		v = v[:len(v)-1]
	}
	return v
}

func roleOf(s raft.RaftState) federation.RaftRole {
	switch s {
	case raft.Leader:
		return federation.RoleLeader
	case raft.Follower:
		return federation.RoleFollower
	}
	return federation.RoleUnknown
}

// groupConflict is the pool's ConflictChecker: one area is one node, one
// raft group. A server whose group is known and differs from the known group
// of a live server of the same area is refused. Servers whose group is not
// known yet (joining an existing group) are not judged.
func groupConflict(c federation.Member, sameArea []federation.Member) error {
	if c.Group.IsZero() {
		return nil
	}
	for _, m := range sameArea {
		if !m.Group.IsZero() && m.Group != c.Group {
			return fmt.Errorf("one area, one raft group: server %q claims area %s with raft group %s, but server %q already serves it with group %s (add the server to that group instead of bootstrapping a new one)",
				c.Name, c.Area, c.Group, m.Name, m.Group)
		}
	}
	return nil
}

// loadGroup reads the remembered raft group id (zero when none yet).
func (n *Node) loadGroup() (federation.GroupID, error) {
	b, err := os.ReadFile(filepath.Join(n.cfg.DataDir, groupFileName))
	if errors.Is(err, os.ErrNotExist) {
		return federation.GroupID{}, nil
	}
	if err != nil {
		return federation.GroupID{}, fmt.Errorf("raft group id: %w", err)
	}
	g, err := federation.ParseGroupID(strings.TrimSpace(string(b)))
	if err != nil {
		return g, fmt.Errorf("raft group id in %s: %w", groupFileName, err)
	}
	return g, nil
}

// saveGroup remembers the raft group id in the data dir.
func (n *Node) saveGroup(g federation.GroupID) error {
	path := filepath.Join(n.cfg.DataDir, groupFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(g.String()+"\n"), 0o640); err != nil {
		return fmt.Errorf("save raft group id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save raft group id: %w", err)
	}
	return nil
}

// deriveGroup names the raft group on its leader when no id is
// remembered: SHA-256 of the area and the sorted server ids of the current
// raft configuration, first 8 bytes. Every server of a group bootstrapped
// together derives the same id; two servers that each bootstrapped a group
// of their own in one area derive different ones. The id is saved and never
// recomputed, so later membership changes keep it.
func (n *Node) deriveGroup() (federation.GroupID, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return federation.GroupID{}, fmt.Errorf("raft group id: %w", err)
	}
	var ids []string
	for _, s := range f.Configuration().Servers {
		ids = append(ids, string(s.ID))
	}
	slices.Sort(ids)
	h := sha256.Sum256([]byte("fedsync raft group\x00" + string(n.cfg.Area) + "\x00" + strings.Join(ids, "\x00")))
	var g federation.GroupID
	copy(g[:], h[:8])
	return g, n.saveGroup(g)
}

// watchRaftRole keeps the gossiped raft role and group current: it looks
// at raft's state every 200 ms and gossips a change. A follower whose group
// is not known yet adopts the group of its leader as gossiped.
func (n *Node) watchRaftRole(ctx context.Context, g *gossipState) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if g.left.Load() {
			return
		}
		g.metaMu.Lock()
		m := g.meta
		g.metaMu.Unlock()
		next := m
		next.RaftRole = roleOf(n.raft.State())
		if next.Group.IsZero() {
			next.Group = n.learnGroup(g, next.RaftRole)
		}
		if next == m {
			continue
		}
		if err := g.pool.UpdateMeta(next); err != nil && !errors.Is(err, federation.ErrBroadcastTimeout) {
			n.log.Warn("gossip: metadata update refused", "err", err)
			continue
		}
		g.metaMu.Lock()
		g.meta = next
		g.metaMu.Unlock()
		if next.RaftRole != m.RaftRole {
			n.log.Info("gossiped raft role", "role", next.RaftRole)
		}
	}
}

// learnGroup finds this server's raft group when it does not know it: a
// leader derives it, a follower adopts its leader's. Zero when neither
// works yet.
func (n *Node) learnGroup(g *gossipState, role federation.RaftRole) federation.GroupID {
	var grp federation.GroupID
	var err error
	switch role {
	case federation.RoleLeader:
		grp, err = n.deriveGroup()
	case federation.RoleFollower:
		_, id := n.raft.LeaderWithID()
		for _, m := range g.pool.Servers(n.cfg.Area) {
			if m.Name == string(id) && !m.Group.IsZero() {
				grp, err = m.Group, n.saveGroup(m.Group)
			}
		}
	}
	if err != nil {
		n.log.Warn("gossip: raft group id", "err", err)
		return federation.GroupID{}
	}
	return grp
}

// rejoinLoop retries the configured join addresses while this server knows
// no other member (it started before them, or they were all down).
func (n *Node) rejoinLoop(ctx context.Context, g *gossipState) {
	if len(g.cfg.Join) == 0 {
		return
	}
	every := max(g.cfg.timings().ProbeInterval, 200*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if g.left.Load() || upMembers(g.pool) > 1 {
			continue
		}
		if _, err := g.pool.Join(g.cfg.Join); err != nil {
			n.log.Debug("gossip: join retry failed", "err", err)
		}
	}
}

func upMembers(p *federation.Pool) int {
	c := 0
	for _, m := range p.Members() {
		if m.Status.Up() {
			c++
		}
	}
	return c
}

// gossipEvent logs membership changes and wakes the bypass check.
func (n *Node) gossipEvent(e federation.Event) {
	switch e.Kind {
	case federation.EventRefused:
		n.log.Warn("gossip: refused a server", "member", e.Member.Name, "err", e.Err)
	case federation.EventFailed, federation.EventLeft:
		n.log.Info("gossip: member "+e.Kind.String(), "member", e.Member.Name, "area", e.Member.Area)
	case federation.EventJoin:
		n.log.Debug("gossip: member joined", "member", e.Member.Name, "area", e.Member.Area)
	}
	if g := n.gossip.Load(); g != nil && g.bypass != nil {
		g.bypass.wake()
	}
}

// leaveGossip leaves the pool gracefully and signals Done.
func (n *Node) leaveGossip(timeout time.Duration) error {
	g := n.gossip.Load()
	if g == nil {
		return errGossipOff
	}
	if g.left.Swap(true) {
		return nil
	}
	err := g.pool.Leave(timeout)
	close(n.gossip.doneCh())
	if err != nil {
		return fmt.Errorf("leave gossip: %w", err)
	}
	return nil
}

var errGossipOff = errors.New("gossip is not enabled on this server ([gossip] enabled = false)")

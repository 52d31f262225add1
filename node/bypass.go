package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"fedsync/area"
	"fedsync/federation"
	"fedsync/sync/link"
	"fedsync/sync/proto"
)

// bypass is the upward sender's view of its parent area through gossip
// (DESIGN §6). While a server of the parent area is alive the sender dials
// the parent (its leader first). Once none has been alive for `after`, it
// dials the nearest ancestor with a live server instead; as soon as a
// server of the parent is alive again, the link to the ancestor is closed
// and the sender's next dial goes to the parent, which catches up from this
// node's log (its Welcome marks say where it stands). The ancestor skips
// what it already received by bypass (storage.ApplyRemote: entries at or
// below an origin's watermark are duplicates), so nothing is counted twice.
type bypass struct {
	after time.Duration
	wakeC chan struct{} // capacity 1

	mu         sync.Mutex
	parentSeen time.Time             // when a server of the parent area was last seen alive
	via        area.Code             // the ancestor bypassed to, "" when not bypassing
	conns      map[net.Conn]struct{} // open links to an ancestor
}

func newBypass(after time.Duration) *bypass {
	return &bypass{after: after, wakeC: make(chan struct{}, 1), parentSeen: time.Now(), conns: map[net.Conn]struct{}{}}
}

// wake makes watchParent look now (a member joined or failed).
func (b *bypass) wake() {
	select {
	case b.wakeC <- struct{}{}:
	default:
	}
}

// due reports whether the parent has been missing long enough to bypass it.
func (b *bypass) due(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Sub(b.parentSeen) >= b.after
}

// seen records a live parent server and closes the links to an ancestor.
func (b *bypass) seen(now time.Time) (closed int, was area.Code) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.parentSeen = now
	for c := range b.conns {
		c.Close()
		closed++
	}
	clear(b.conns)
	was, b.via = b.via, ""
	return closed, was
}

// track registers a link to ancestor anc; the returned conn unregisters
// itself when closed.
func (b *bypass) track(c net.Conn, anc area.Code) net.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns[c] = struct{}{}
	b.via = anc
	return &trackedConn{Conn: c, b: b}
}

// Via returns the ancestor the sender bypasses to, "" when it sends to its
// parent.
func (b *bypass) Via() area.Code {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.via
}

type trackedConn struct {
	net.Conn
	b    *bypass
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.b.mu.Lock()
		delete(c.b.conns, c.Conn)
		c.b.mu.Unlock()
	})
	return c.Conn.Close()
}

// watchParent follows the parent area's liveness in gossip: every tick
// (and on every membership event) it notes a live parent server, which
// ends a bypass.
func (n *Node) watchParent(ctx context.Context, g *gossipState) {
	every := min(max(g.bypass.after/8, 50*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	parent := n.cfg.Area.Parent()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-g.bypass.wakeC:
		}
		if len(syncServers(g.pool.Servers(parent))) == 0 {
			continue
		}
		if closed, was := g.bypass.seen(time.Now()); closed > 0 || was != "" {
			n.log.Info("parent is back; leaving bypass", "parent", parent, "ancestor", was, "links_closed", closed)
		}
	}
}

// upstreamTarget is one address the sender may dial.
type upstreamTarget struct {
	addr   string
	area   area.Code // "" for a configured parent address
	bypass bool      // an ancestor above the parent
}

// upstreamTargets lists, in order: the parent area's live servers from
// gossip (leader first), the configured parent addresses, and — once the
// parent has been missing for bypass_after — the nearest live ancestor's
// servers (leader first).
func (n *Node) upstreamTargets(now time.Time) []upstreamTarget {
	var out []upstreamTarget
	g := n.gossip.Load()
	parent := n.cfg.Area.Parent()
	if g != nil && g.bypass != nil {
		ps := syncServers(g.pool.Servers(parent))
		for _, m := range ps {
			out = append(out, upstreamTarget{addr: m.SyncAddr, area: parent})
		}
		if len(ps) > 0 {
			g.bypass.seen(now)
		}
	}
	for _, a := range n.cfg.Parent {
		out = append(out, upstreamTarget{addr: a})
	}
	if g != nil && g.bypass != nil && g.bypass.due(now) {
		anc, ms := g.pool.NearestLiveAncestor(parent)
		for _, m := range syncServers(ms) {
			out = append(out, upstreamTarget{addr: m.SyncAddr, area: anc, bypass: true})
		}
	}
	return out
}

// syncServers orders alive members that serve a sync link leader first,
// then by name, dropping those without a sync address.
func syncServers(ms []federation.Member) []federation.Member {
	var lead, rest []federation.Member
	for _, m := range ms {
		switch {
		case m.SyncAddr == "":
		case m.RaftRole == federation.RoleLeader:
			lead = append(lead, m)
		default:
			rest = append(rest, m)
		}
	}
	return append(lead, rest...)
}

// upstreamDialer is the sender's proto.Dialer with gossip on. It
// resolves the targets afresh on every Dial (so a new parent leader, a
// returned parent or a bypass is followed without operator action), then
// tries them in order, each with the whole handshake: a follower's refusal
// (ErrNotLeader) moves on to the next target, and a leader hint in the
// refusal is followed once, as parentDialer does.
type upstreamDialer struct {
	n   *Node
	tls *tls.Config // mutual TLS of the link (parentTLS); nil: plain text
}

var _ proto.Dialer = (*upstreamDialer)(nil)

// Dial implements proto.Dialer.
func (d *upstreamDialer) Dial(ctx context.Context, h proto.Hello) (proto.Session, error) {
	n := d.n
	targets := n.upstreamTargets(time.Now())
	if len(targets) == 0 {
		return nil, fmt.Errorf("no upstream known: no live server of parent area %s in gossip and no configured parent", n.cfg.Area.Parent())
	}
	sess, _, err := dialInOrder(ctx, targets, func(t upstreamTarget) string { return t.addr },
		func(t upstreamTarget, hint string) upstreamTarget { t.addr = hint; return t },
		func(t upstreamTarget) (proto.Session, error) { return n.dialTarget(ctx, t, h, d.tls) })
	if err != nil {
		return nil, fmt.Errorf("dial the upstream servers: %w", err)
	}
	return sess, nil
}

// dialTarget opens one link; a link to an ancestor is tracked so that the
// parent's return closes it.
func (n *Node) dialTarget(ctx context.Context, t upstreamTarget, h proto.Hello, tcfg *tls.Config) (proto.Session, error) {
	dial := tcpDial(t.addr, 5*time.Second, tcfg)
	ld := &link.Dialer{DialConn: func(ctx context.Context) (net.Conn, error) {
		conn, err := dial(ctx)
		if err != nil || !t.bypass {
			return conn, err
		}
		return n.gossip.Load().bypass.track(conn, t.area), nil
	}}
	sess, err := ld.Dial(ctx, h)
	if err == nil && t.bypass {
		n.log.Warn("parent area has no live server; bypassing to an ancestor", "parent", n.cfg.Area.Parent(), "ancestor", t.area, "addr", t.addr)
	}
	return sess, err
}

// Bypassing returns the ancestor area the upward sender bypasses the parent
// to, "" when it does not.
func (n *Node) Bypassing() area.Code {
	if g := n.gossip.Load(); g != nil && g.bypass != nil {
		return g.bypass.Via()
	}
	return ""
}

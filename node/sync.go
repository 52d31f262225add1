package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/link"
	"fedsync/sync/sender"
)

var _ api.SyncBackend = (*Node)(nil)

// setupSender prepares the upward sender when the node has a parent. It is
// created before raft starts so that the FSM can wake it.
func (n *Node) setupSender() error {
	if len(n.cfg.Parent) == 0 && (!n.cfg.Gossip.Enabled || n.cfg.Area.Level() == area.LevelProvince) {
		return nil
	}
	scfg := sender.DefaultConfig()
	scfg.Area, scfg.Server = n.cfg.Area, n.cfg.Name
	scfg.Source = n.store
	scfg.KeepAlive = n.cfg.KeepAlive.Duration
	pd := newParentDialer(n.cfg.Parent, 5*time.Second)
	var err error
	if pd.tls, err = n.parentTLS(); err != nil {
		return err
	}
	scfg.Dialer = pd
	if n.cfg.Gossip.Enabled {
		scfg.Dialer = &upstreamDialer{n: n, tls: pd.tls} // gossip discovery and bypass (bypass.go)
	}
	scfg.Logger = n.log
	s, err := sender.New(scfg)
	if err != nil {
		return fmt.Errorf("upward sender: %w", err)
	}
	n.up = s
	n.sender = s
	return nil
}

// startSync serves the sync link for children on SyncAddr (a node with
// children: county and above) and runs the upward sender. Both stop when
// the node stops.
func (n *Node) startSync() error {
	ctx, cancel := context.WithCancel(context.Background())
	if n.cfg.Area.Level() < area.LevelStreet {
		ln, err := net.Listen("tcp", n.cfg.SyncAddr)
		if err != nil {
			cancel()
			return fmt.Errorf("sync_addr %s: %w", n.cfg.SyncAddr, err)
		}
		n.syncLn = ln
		lcfg := link.DefaultServerConfig()
		lcfg.Logger = n.log
		if err := n.secureLinks(&lcfg); err != nil {
			cancel()
			ln.Close()
			return err
		}
		srv := link.NewServer(lcfg, n)
		n.syncWG.Add(1)
		go func() {
			defer n.syncWG.Done()
			if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, net.ErrClosed) {
				n.log.Error("sync link server stopped", "err", err)
			}
		}()
	}
	if n.up != nil {
		n.syncWG.Add(1)
		go func() {
			defer n.syncWG.Done()
			n.whileLeader(ctx, n.runUpward)
		}()
	}
	n.closers = append(n.closers, func() error {
		cancel()
		if n.syncLn != nil {
			n.syncLn.Close()
		}
		n.syncWG.Wait()
		return nil
	})
	return nil
}

// SyncAddr returns the address the sync link listens on ("" before Start,
// and for a street node, which has no children).
func (n *Node) SyncAddr() string {
	if n.syncLn == nil {
		return ""
	}
	return n.syncLn.Addr().String()
}

// SyncStatus returns the upward sender's state; nil when the node has no
// parent.
func (n *Node) SyncStatus() *sender.Status {
	if n.up == nil {
		return nil
	}
	st := n.up.Status()
	return &st
}

// stale returns the origins below this node not heard from for longer than
// the configured StaleAfter: neither an entry of theirs arrived, nor did the
// child through which they come send anything (an idle child pings).
func (n *Node) stale(wms []storage.Watermark) []storage.Watermark {
	var out []storage.Watermark
	limit := time.Now().Add(-n.cfg.StaleAfter.Duration).UnixNano()
	for _, w := range wms {
		if w.Origin == n.cfg.Area || w.HeardFrom >= limit {
			continue
		}
		if seen, ok := n.linkSeen.Load(w.Origin.AtLevel(n.cfg.Area.Level() + 1)); ok && seen.(int64) >= limit {
			continue
		}
		out = append(out, w)
	}
	return out
}

// Digests implements api.SyncBackend.
func (n *Node) Digests(a area.Code) ([]storage.OriginDigest, error) { return n.store.Digests(a) }

// ChainAt implements api.SyncBackend.
func (n *Node) ChainAt(origin area.Code, seq uint64) ([32]byte, error) {
	return n.store.ChainAt(origin, seq)
}

// runUpward runs the sender and the retention loop until ctx ends.
func (n *Node) runUpward(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.runRetention(ctx)
	}()
	if err := n.up.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		n.log.Error("upward sender stopped", "err", err)
	}
	<-done
}

// whileLeader runs fn while this server is its node's raft leader: only
// the leader sends upward (followers' logs are the same, and two senders
// would only duplicate traffic). fn's context ends when leadership is lost
// or ctx ends.
func (n *Node) whileLeader(ctx context.Context, fn func(context.Context)) {
	var run *leaderRun
	defer func() { run.halt() }()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		leader := n.raft.State() == raft.Leader
		switch {
		case leader && run == nil:
			run = startLeaderRun(ctx, fn)
		case !leader && run != nil:
			n.log.Info("lost raft leadership; upward sending stops on this server")
			run.halt()
			run = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leaderRun is one run of a leader-only function.
type leaderRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startLeaderRun(ctx context.Context, fn func(context.Context)) *leaderRun {
	lctx, cancel := context.WithCancel(ctx)
	r := &leaderRun{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		fn(lctx)
	}()
	return r
}

// halt stops the run and waits for it; a nil run is a no-op.
func (r *leaderRun) halt() {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
}

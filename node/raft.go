package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/raftstore"
)

// setupRaft opens the raft log, snapshots and transport in the data dir
// and starts raft. A fresh server with Bootstrap set bootstraps a one-voter
// group of itself (or the static group of raft.peers), so a single-server
// node takes the same write path as a five-server one; see raftgroup.go.
func (n *Node) setupRaft() error {
	logs, err := raftstore.Open(filepath.Join(n.cfg.DataDir, "raft.db"), raftstore.Options{NoSync: n.cfg.UnsafeNoSync})
	if errors.Is(err, raftstore.ErrLocked) {
		return fmt.Errorf("%w: %s", ErrDataDirLocked, n.cfg.DataDir)
	}
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	n.closers = append(n.closers, logs.Close)
	snaps, err := raft.NewFileSnapshotStoreWithLogger(filepath.Join(n.cfg.DataDir, "snapshots"), 2, newHCLogger(n.log, "raft-snapshots"))
	if err != nil {
		return fmt.Errorf("open raft snapshots: %w", err)
	}
	ln, err := net.Listen("tcp", n.cfg.RaftAddr)
	if err != nil {
		return fmt.Errorf("raft_addr %s: %w", n.cfg.RaftAddr, err)
	}
	layer, err := n.raftLayer(ln)
	if err == nil {
		layer, err = advertised(layer, n.cfg.Raft.Advertise)
	}
	if err != nil {
		ln.Close()
		return err
	}
	n.grp.advertise = layer.Addr().String()
	trans := raft.NewNetworkTransportWithLogger(layer, 3, 10*time.Second, newHCLogger(n.log, "raft-net"))
	n.closers = append(n.closers, trans.Close)

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.Name)
	rc.Logger = newHCLogger(n.log, "raft")
	rc.HeartbeatTimeout = n.cfg.RaftTimeout.Duration
	rc.ElectionTimeout = n.cfg.RaftTimeout.Duration
	rc.LeaderLeaseTimeout = n.cfg.RaftTimeout.Duration / 2
	rc.SnapshotInterval = n.cfg.SnapshotInterval.Duration
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.NoSnapshotRestoreOnStart = true // the store file is newer than any snapshot; see fsm
	if err := raft.ValidateConfig(rc); err != nil {
		return fmt.Errorf("raft config: %w", err)
	}
	if err := n.bootstrap(rc, logs, snaps, trans); err != nil {
		return err
	}
	r, err := raft.NewRaft(rc, n.fsm, logs, logs, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	n.observeRaft()
	n.closers = append(n.closers, func() error { return r.Shutdown().Error() })
	return nil
}

// waitLeader blocks until this server knows a leader or ctx ends.
func (n *Node) waitLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if addr, _ := n.raft.LeaderWithID(); addr != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for raft leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// tcpLayer is raft's StreamLayer over a plain TCP listener, used with
// insecure_plaintext (tlsraft.go has the mutual-TLS one).
type tcpLayer struct{ ln net.Listener }

func (t *tcpLayer) Accept() (net.Conn, error) { return t.ln.Accept() }
func (t *tcpLayer) Close() error              { return t.ln.Close() }
func (t *tcpLayer) Addr() net.Addr            { return t.ln.Addr() }
func (t *tcpLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", string(addr), timeout)
}

// ensureDir creates the data dir (0750) if needed.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	return nil
}

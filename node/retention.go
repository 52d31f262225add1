package node

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/hashicorp/raft"
)

// runRetention prunes, every RetentionInterval, the log entries the parent
// has acknowledged and that are older than Retention (DESIGN §6: a child
// keeps entries until its parent acknowledges them, and for a configured
// retention). A parent that later needs pruned entries gets a state
// transfer instead. It runs on the leader of a node with a parent.
func (n *Node) runRetention(ctx context.Context) {
	if n.up == nil || n.cfg.Retention.Duration <= 0 {
		return
	}
	t := time.NewTicker(n.cfg.RetentionInterval.Duration)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.pruneOnce()
		}
	}
}

// pruneOnce submits a prune for every origin with prunable entries.
func (n *Node) pruneOnce() {
	if n.raft.State() != raft.Leader {
		return
	}
	older := time.Now().Add(-n.cfg.Retention.Duration).UnixNano()
	for _, o := range n.up.Status().Origins {
		seq, t, ok, err := n.store.FirstHeld(o.Origin)
		if err != nil || !ok || seq > o.Acked || t >= older {
			continue
		}
		cmd := make([]byte, 0, 30)
		cmd = append(cmd, commandVersion, cmdPrune)
		cmd = append(cmd, o.Origin...)
		cmd = binary.BigEndian.AppendUint64(cmd, o.Acked)
		cmd = binary.BigEndian.AppendUint64(cmd, uint64(older))
		if err := n.raft.Apply(cmd, n.cfg.ApplyTimeout.Duration).Error(); err != nil {
			n.log.Warn("retention: prune failed", "origin", o.Origin, "err", err)
			return
		}
	}
}

package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/proto"
	"fedsync/sync/wire"
)

var (
	_ proto.Receiver    = (*Node)(nil)
	_ proto.Heartbeater = (*Node)(nil)
)

// Heartbeat implements proto.Heartbeater: a ping from an idle child.
func (n *Node) Heartbeat(sender area.Code) { n.linkSeen.Store(sender, time.Now().UnixNano()) }

// Welcome implements proto.Receiver: a child may send when it lies strictly
// below this node; it gets the watermark of every origin in its subtree.
func (n *Node) Welcome(ctx context.Context, h proto.Hello) (proto.Welcome, error) {
	w := proto.Welcome{Version: proto.Version, Receiver: n.cfg.Area, Server: n.cfg.Name}
	if err := n.authorizeHello(ctx, h); err != nil {
		return w, err
	}
	switch {
	case h.Version != proto.Version:
		return w, fmt.Errorf("link protocol version %d not supported (this server speaks %d)", h.Version, proto.Version)
	case !h.Sender.Valid() || h.Sender == n.cfg.Area || !n.cfg.Area.Contains(h.Sender):
		return w, fmt.Errorf("sender %s is not below this node's area %s: %w", h.Sender, n.cfg.Area, storage.ErrJurisdiction)
	case n.raft == nil || n.raft.State() != raft.Leader:
		return w, n.notLeader()
	}
	wms, err := n.store.Watermarks()
	if err != nil {
		return w, err
	}
	n.Heartbeat(h.Sender)
	for _, m := range wms {
		if h.Sender.Contains(m.Origin) {
			w.Marks = append(w.Marks, proto.Mark{Origin: m.Origin, Seq: m.Seq, Chain: m.Chain})
		}
	}
	return w, nil
}

// Submit implements proto.Receiver. The batch is decoded and checked here
// (so a malformed batch never reaches the raft log), then applied through
// raft as one entry; raft applies submissions in order.
func (n *Node) Submit(ctx context.Context, sender area.Code, data []byte) func() proto.Ack {
	refused := func(err error) func() proto.Ack {
		n.metrics.refusedBatches.Inc()
		ack := proto.Ack{Error: err.Error()}
		var re *wire.RuleError
		if errors.As(err, &re) {
			ack.Rule = re.Rule
		}
		n.log.Warn("sync batch refused", append([]any{"sender", sender, "err", err}, peerAttrs(ctx)...)...)
		return func() proto.Ack { return ack }
	}
	if n.raft == nil || n.raft.State() != raft.Leader {
		return refused(n.notLeader())
	}
	if wire.IsState(data) {
		from, st, err := wire.DecodeState(data, n.syncLimits)
		if err == nil && from != sender {
			err = fmt.Errorf("state names sender %s on a link opened by %s: %w", from, sender, storage.ErrJurisdiction)
		}
		if err == nil {
			err = checkStateRedaction(st)
		}
		if err != nil {
			return refused(err)
		}
		return n.submit(ctx, cmdState, sender, data)
	}
	// The framing is checked first, without decompression: a damaged
	// batch is refused at once. checkRedaction then decodes the payload to
	// keep personal data in clear out of the raft log; entries and chains
	// are checked where the batch is applied, on every server.
	from, err := wire.Check(data, n.syncLimits)
	if err != nil {
		return refused(err)
	}
	n.Heartbeat(sender)
	if from != sender {
		return refused(fmt.Errorf("batch names sender %s on a link opened by %s: %w", from, sender, storage.ErrJurisdiction))
	}
	if err := n.checkRedaction(data); err != nil {
		return refused(err)
	}
	return n.submit(ctx, cmdRemoteBatch, sender, data)
}

// submit applies a checked batch or state through raft and returns the
// wait function of its Ack.
func (n *Node) submit(ctx context.Context, typ byte, sender area.Code, data []byte) func() proto.Ack {
	cmd := make([]byte, 0, 14+len(data))
	cmd = append(cmd, commandVersion, typ)
	cmd = append(cmd, sender...)
	cmd = append(cmd, data...)
	start := time.Now()
	f := n.raft.Apply(cmd, n.cfg.ApplyTimeout.Duration)
	return func() proto.Ack {
		if err := f.Error(); err != nil {
			return proto.Ack{Error: "apply through raft: " + err.Error()}
		}
		res := f.Response().(remoteResult)
		if res.err != nil {
			return proto.Ack{Error: res.err.Error()}
		}
		n.metrics.applySeconds.Observe(time.Since(start).Seconds())
		n.countAuditRefusals(string(sender), res.results)
		n.notifySender()
		n.countRefusedRanges(ctx, string(sender), res.results)
		return ackOf(res.results)
	}
}

func ackOf(results []storage.RangeResult) proto.Ack {
	var ack proto.Ack
	for _, r := range results {
		ra := proto.RangeAck{Origin: r.Origin, Status: r.Status.String(), Applied: r.Applied, Watermark: r.Watermark}
		if r.Err != nil {
			ra.Error = r.Err.Error()
		}
		ack.Ranges = append(ack.Ranges, ra)
	}
	return ack
}

// remoteResult is what the FSM returns for a remote batch.
type remoteResult struct {
	results []storage.RangeResult
	err     error
}

// applyRemote is the FSM's half: decode the batch again (every server of
// the node does) and apply its ranges.
func (f *fsm) applyRemote(index uint64, b []byte) remoteResult {
	if len(b) < 14 {
		return remoteResult{err: fmt.Errorf("raft index %d: %w: short remote batch", index, errBadCommand)}
	}
	sender := area.Code(b[2:14])
	batch, err := wire.Decode(b[14:], f.limits)
	if err != nil {
		return remoteResult{err: fmt.Errorf("raft index %d: %w", index, err)}
	}
	ranges := make([]storage.RemoteRange, len(batch.Ranges))
	for i, r := range batch.Ranges {
		ranges[i] = storage.RemoteRange{Origin: r.Origin, Entries: r.Entries}
	}
	res, err := f.store.ApplyRemote(index, sender, ranges)
	return remoteResult{results: res, err: err}
}

// applyState installs a state transfer (every server decodes it again).
func (f *fsm) applyState(index uint64, b []byte) remoteResult {
	if len(b) < 14 {
		return remoteResult{err: fmt.Errorf("raft index %d: %w: short state", index, errBadCommand)}
	}
	sender, st, err := wire.DecodeState(b[14:], f.limits)
	if err != nil {
		return remoteResult{err: fmt.Errorf("raft index %d: %w", index, err)}
	}
	res, err := f.store.InstallState(index, sender, st)
	return remoteResult{results: []storage.RangeResult{res}, err: err}
}

// applyPrune prunes one origin's log (retention).
func (f *fsm) applyPrune(index uint64, b []byte) any {
	if len(b) != 2+12+16 {
		return applyResult{err: fmt.Errorf("raft index %d: %w: prune", index, errBadCommand)}
	}
	origin := area.Code(b[2:14])
	_, err := f.store.PruneBefore(index, origin, binary.BigEndian.Uint64(b[14:]), int64(binary.BigEndian.Uint64(b[22:])))
	return applyResult{err: err}
}

// notifySender wakes the upward sender after an apply (set up in sync.go).
func (n *Node) notifySender() {
	if s := n.sender; s != nil {
		s.Notify()
	}
}

// notifier is what the FSM needs of the upward sender.
type notifier interface{ Notify() }

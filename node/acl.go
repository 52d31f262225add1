package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"

	"fedsync/api"
	"fedsync/storage"
)

// cmdACL is a token operation: 0x01 0x06 then a JSON storage.ACLOp (the
// token's secret hash, never the secret). Tokens live in every server's
// store of the node; they do not replicate upward.
const cmdACL = 6

var _ api.ACLBackend = (*Node)(nil)

// aclResult is what the FSM returns for a token operation.
type aclResult struct{ err error }

// applyACL is the FSM's half of a token operation.
func (f *fsm) applyACL(index uint64, b []byte) any {
	op, err := storage.DecodeACLOp(b[2:])
	if err != nil {
		return aclResult{err: fmt.Errorf("raft index %d: %w: %w", index, errBadCommand, err)}
	}
	return aclResult{err: f.store.ApplyACL(index, op)}
}

// TokenBySecret implements api.ACLBackend from this server's store.
func (n *Node) TokenBySecret(secret string) (storage.Token, error) {
	return n.store.TokenBySecret(secret)
}

// Tokens implements api.ACLBackend.
func (n *Node) Tokens() ([]storage.Token, error) { return n.store.Tokens() }

// Audit implements api.ACLBackend.
func (n *Node) Audit(q storage.AuditQuery) (storage.AuditPage, error) { return n.store.Audit(q) }

// ApplyACL implements api.ACLBackend: the operation goes through raft, so
// every server of the node holds the same tokens. Refusals come back as
// the error.
func (n *Node) ApplyACL(ctx context.Context, op storage.ACLOp) error {
	if n.raft == nil {
		return ErrStopped
	}
	if n.raft.State() != raft.Leader {
		return ErrNotLeader
	}
	b, err := storage.EncodeACLOp(op)
	if err != nil {
		return fmt.Errorf("acl %s: %w", op.Op, err)
	}
	timeout := n.cfg.ApplyTimeout.Duration
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	f := n.raft.Apply(append([]byte{commandVersion, cmdACL}, b...), timeout)
	if err := f.Error(); err != nil {
		return fmt.Errorf("apply through raft: %w", err)
	}
	res, ok := f.Response().(aclResult)
	if !ok {
		return fmt.Errorf("apply through raft: unexpected response %T", f.Response())
	}
	return res.err
}

// aclAPIConfig applies the [acl] and [limits] settings to the API's
// config, warning loudly when ACLs are off.
func (n *Node) aclAPIConfig(c api.Config) api.Config {
	c.ACLDisabled = !n.cfg.ACL.Enabled
	c.MetricsOpen = n.cfg.ACL.MetricsWithoutToken
	l := n.cfg.Limits
	c.MaxBodyBytes, c.MaxPageSize, c.MaxBatch = l.MaxBodyBytes, l.MaxPageSize, l.MaxBatch
	c.RatePerSecond, c.RateBurst = l.RatePerSecond, l.RateBurst
	if l.RatePerSecond == 0 {
		c.RatePerSecond = -1 // 0 in the file means no limit
	}
	if c.ACLDisabled {
		n.log.Warn("WARNING: ACLs are disabled ([acl] enabled = false): every API request acts as an admin of this node's area without a token. For development only.")
	}
	if c.MetricsOpen {
		n.log.Warn("GET /metrics is served without a token ([acl] metrics_without_token = true)")
	}
	return c
}

// aclMetrics count refusals of the audit rule in children's batches.
type aclMetrics struct {
	auditRefused prometheus.Counter
}

func newACLMetrics() *aclMetrics {
	return &aclMetrics{auditRefused: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "fedsync_sync_audit_refused_ranges_total",
		Help: "Ranges from children refused because an audit entry was malformed or forged (rule audit).",
	})}
}

// countAuditRefusals counts and logs the ranges refused by the audit rule.
func (n *Node) countAuditRefusals(sender string, results []storage.RangeResult) {
	for _, r := range results {
		if r.Err != nil && errors.Is(r.Err, storage.ErrAudit) {
			n.aclm.auditRefused.Inc()
			n.log.Warn("sync range refused", "rule", "audit", "sender", sender, "origin", r.Origin, "err", r.Err)
		}
	}
}

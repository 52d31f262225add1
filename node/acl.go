package node

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
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

// serverAccessor is the accessor of the identity the node's servers use
// with each other's APIs (ensureServerSecret).
const serverAccessor = "00000000000000000000000000000000"

// TokenBySecret implements api.ACLBackend from this server's store: a
// token, or the node's server secret (an admin of the node's area that
// only the node's servers know).
func (n *Node) TokenBySecret(secret string) (storage.Token, error) {
	t, err := n.store.TokenBySecret(secret)
	if !errors.Is(err, storage.ErrNotFound) {
		return t, err
	}
	ss, serr := n.store.ServerSecret()
	if serr != nil || ss == "" || subtle.ConstantTimeCompare([]byte(ss), []byte(secret)) != 1 {
		return t, err
	}
	return storage.Token{Accessor: serverAccessor, Role: storage.RoleAdmin, Area: n.cfg.Area,
		Description: "the servers of node " + string(n.cfg.Area), Created: time.Unix(0, 0).UTC()}, nil
}

// ensureServerSecret makes, on the leader, the secret the node's servers
// present to each other's APIs, once; raft gives it to every server.
func (n *Node) ensureServerSecret(ctx context.Context) error {
	if ss, err := n.store.ServerSecret(); err != nil || ss != "" {
		return err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	op := storage.ACLOp{Op: storage.ACLServerSecret, Secret: base64.RawURLEncoding.EncodeToString(b[:]), Time: time.Now().UTC()}
	if err := n.ApplyACL(ctx, op); err != nil {
		return fmt.Errorf("set the servers' secret: %w", err)
	}
	return nil
}

// serverSecret is what this server sends to the node's other servers'
// APIs ("" before the leader has set it).
func (n *Node) serverSecret() string {
	ss, _ := n.store.ServerSecret()
	return ss
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

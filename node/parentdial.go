package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"fedsync/sync/link"
	"fedsync/sync/proto"
)

// parentDialer opens the upward link to whichever of the parent node's
// servers leads. Only the leader welcomes a child; the others refuse the
// hello with ErrNotLeader, adding the leader's sync address as a hint
// when they know it (proto.WithLeaderHint). One Dial tries the server that
// welcomed last first, follows a hint at once, then the other configured
// addresses in turn; so after the parent's leader fails, the next dial
// reaches the new leader, and the sender resumes from the marks of its
// Welcome.
type parentDialer struct {
	addrs   []string
	timeout time.Duration // TCP dial timeout per address
	tls     *tls.Config   // mutual TLS of the link (parentTLS); nil: plain text

	mu   sync.Mutex
	last string // guarded by mu: the address that welcomed last
}

var _ proto.Dialer = (*parentDialer)(nil)

func newParentDialer(addrs []string, timeout time.Duration) *parentDialer {
	return &parentDialer{addrs: append([]string(nil), addrs...), timeout: timeout}
}

// order returns the addresses to try, the last welcoming one first.
func (d *parentDialer) order() []string {
	d.mu.Lock()
	last := d.last
	d.mu.Unlock()
	out := make([]string, 0, len(d.addrs)+1)
	if last != "" {
		out = append(out, last)
	}
	for _, a := range d.addrs {
		if a != last {
			out = append(out, a)
		}
	}
	return out
}

// Dial implements proto.Dialer.
func (d *parentDialer) Dial(ctx context.Context, h proto.Hello) (proto.Session, error) {
	order := d.order()
	if len(order) == 0 {
		return nil, fmt.Errorf("%w: no parent addresses", link.ErrConfig)
	}
	sess, a, err := dialInOrder(ctx, order, func(a string) string { return a },
		func(_ string, hint string) string { return hint },
		func(a string) (proto.Session, error) {
			return (&link.Dialer{DialConn: tcpDial(a, d.timeout, d.tls)}).Dial(ctx, h)
		})
	if err != nil {
		return nil, fmt.Errorf("dial the parent's %d servers: %w", len(d.addrs), err)
	}
	d.mu.Lock()
	d.last = a
	d.mu.Unlock()
	return sess, nil
}

// dialInOrder tries targets in order until one welcomes. A refusal that
// names the leader (proto.LeaderHint) puts that address next, once per
// call, so a stale hint cannot send the dialer in circles; an address is
// tried at most once. It returns the session and the target that gave it,
// or every error joined.
func dialInOrder[T any](ctx context.Context, targets []T, addr func(T) string, hinted func(T, string) T, dial func(T) (proto.Session, error)) (proto.Session, T, error) {
	tried := map[string]bool{}
	followed := false
	var errs []error
	for i := 0; i < len(targets); i++ {
		t := targets[i]
		if tried[addr(t)] {
			continue
		}
		tried[addr(t)] = true
		sess, err := dial(t)
		if err == nil {
			return sess, t, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr(t), err))
		if hint := proto.LeaderHint(err.Error()); hint != "" && !followed && !tried[hint] {
			followed = true
			targets = append(targets[:i+1], append([]T{hinted(t, hint)}, targets[i+1:]...)...)
		}
		if ctx.Err() != nil {
			break
		}
	}
	var zero T
	return nil, zero, errors.Join(errs...)
}

// tcpDial is the link's connection to addr: TCP with a dial timeout, then
// mutual TLS when cfg is set.
func tcpDial(addr string, timeout time.Duration, cfg *tls.Config) func(ctx context.Context) (net.Conn, error) {
	dial := func(ctx context.Context) (net.Conn, error) {
		nd := net.Dialer{Timeout: timeout}
		return nd.DialContext(ctx, "tcp", addr)
	}
	if cfg != nil {
		dial = link.TLSDial(dial, cfg)
	}
	return dial
}

// notLeader is the refusal of a child's hello (or batch) on a follower,
// with the leader hint when the address book knows the leader.
func (n *Node) notLeader() error {
	if la, ok := n.leaderAddrs(); ok && la.Sync != "" && la.Name != n.cfg.Name {
		return fmt.Errorf("%w%s", ErrNotLeader, proto.WithLeaderHint("", la.Sync))
	}
	return ErrNotLeader
}

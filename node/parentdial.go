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
	tried := map[string]bool{}
	hinted := false
	var errs []error
	for i := 0; i < len(order); i++ {
		a := order[i]
		if tried[a] {
			continue
		}
		tried[a] = true
		sess, err := d.dialOne(ctx, a, h)
		if err == nil {
			d.mu.Lock()
			d.last = a
			d.mu.Unlock()
			return sess, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", a, err))
		if hint := proto.LeaderHint(err.Error()); hint != "" && !hinted && !tried[hint] {
			hinted = true // follow one hint per dial: a stale hint cannot send us in circles
			order = append(order[:i+1], append([]string{hint}, order[i+1:]...)...)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial the parent's %d servers: %w", len(d.addrs), errors.Join(errs...))
}

func (d *parentDialer) dialOne(ctx context.Context, addr string, h proto.Hello) (proto.Session, error) {
	dial := func(ctx context.Context) (net.Conn, error) {
		nd := net.Dialer{Timeout: d.timeout}
		return nd.DialContext(ctx, "tcp", addr)
	}
	if d.tls != nil {
		dial = link.TLSDial(dial, d.tls)
	}
	ld := &link.Dialer{DialConn: dial}
	return ld.Dial(ctx, h)
}

// notLeader is the refusal of a child's hello (or batch) on a follower,
// with the leader hint when the address book knows the leader.
func (n *Node) notLeader() error {
	if la, ok := n.leaderAddrs(); ok && la.Sync != "" && la.Name != n.cfg.Name {
		return fmt.Errorf("%w%s", ErrNotLeader, proto.WithLeaderHint("", la.Sync))
	}
	return ErrNotLeader
}

package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/tlsutil"
)

// raftHandshakeTimeout bounds the TLS handshake of one raft connection.
const raftHandshakeTimeout = 10 * time.Second

// raftLayer returns the stream layer raft runs on: mutual TLS in which
// both ends must carry a certificate of this node's own area (a server of
// another node can neither vote nor append), or plain TCP with
// insecure_plaintext.
func (n *Node) raftLayer(ln net.Listener) (raft.StreamLayer, error) {
	if n.tls == nil {
		return &tcpLayer{ln: ln}, nil
	}
	opts := n.tls.options(n.cfg.Area, nil)
	srv, err := tlsutil.ServerConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("raft tls: %w", err)
	}
	cli, err := tlsutil.ClientConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("raft tls: %w", err)
	}
	refused := func(rule string) { n.metrics.raftRefused.WithLabelValues(rule).Inc() }
	l := newTLSLayer(ln, srv, cli, n.log.With("component", "raft-tls"), refused)
	l.startRevalidation(n.tls.revalidate, raftRevalidateEvery)
	return l, nil
}

// raftRevalidateEvery is how often the open raft connections are checked
// against the current CRL (which is reloaded when its file changes).
const raftRevalidateEvery = time.Second

// tlsLayer is raft's StreamLayer over mutual TLS. Accepted connections
// complete their handshake in their own goroutine before Accept returns
// them, so a slow or refused peer never holds up the others, and every
// refusal is logged with the peer's address and counted. Open connections
// are tracked with their peer's identity; with revalidation started, one
// whose certificate is revoked later is closed within a check period, so a
// revoked server is cut off its group at once, not at its next dial.
type tlsLayer struct {
	ln      net.Listener
	srv     *tls.Config
	cli     *tls.Config
	log     *slog.Logger
	refused func(rule string)

	mu   sync.Mutex
	live map[*raftConn]struct{} // open connections

	conns  chan net.Conn // handshaken connections, for Accept
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func newTLSLayer(ln net.Listener, srv, cli *tls.Config, log *slog.Logger, refused func(string)) *tlsLayer {
	ctx, cancel := context.WithCancel(context.Background())
	t := &tlsLayer{ln: ln, srv: srv, cli: cli, log: log, refused: refused, conns: make(chan net.Conn), ctx: ctx, cancel: cancel,
		live: make(map[*raftConn]struct{})}
	t.wg.Add(1)
	go t.acceptLoop()
	return t
}

// acceptLoop accepts TCP connections until the listener closes and starts
// a handshake for each.
func (t *tlsLayer) acceptLoop() {
	defer t.wg.Done()
	for {
		conn, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() == nil {
				t.log.Error("raft listener stopped", "err", err)
			}
			t.cancel()
			return
		}
		t.wg.Add(1)
		go t.handshake(conn)
	}
}

// handshake runs the server side of one connection's handshake and hands
// it to Accept, or logs the refusal and closes it.
func (t *tlsLayer) handshake(conn net.Conn) {
	defer t.wg.Done()
	ctx, cancel := context.WithTimeout(t.ctx, raftHandshakeTimeout)
	defer cancel()
	tc := tls.Server(conn, t.srv)
	peer, err := tlsutil.Handshake(ctx, tc)
	if err != nil {
		rule := tlsutil.Rule(err)
		t.refused(rule)
		t.log.Warn("raft connection refused", "rule", rule, "remote", conn.RemoteAddr().String(), "err", err)
		_ = conn.Close()
		return
	}
	tr := t.track(tc, peer)
	select {
	case t.conns <- tr:
		t.log.Debug("raft connection accepted", "peer", peer.String(), "remote", conn.RemoteAddr().String())
	case <-t.ctx.Done():
		_ = tr.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (t *tlsLayer) Accept() (net.Conn, error) {
	select {
	case c := <-t.conns:
		return c, nil
	case <-t.ctx.Done():
		return nil, fmt.Errorf("raft tls layer: %w", net.ErrClosed)
	}
}

// Close stops accepting, closes the listener and waits for the handshakes
// in progress.
func (t *tlsLayer) Close() error {
	var err error
	t.once.Do(func() {
		t.cancel()
		err = t.ln.Close()
		t.wg.Wait()
	})
	return err
}

// Addr returns the listener's address.
func (t *tlsLayer) Addr() net.Addr { return t.ln.Addr() }

// Dial connects to another server of the node; its certificate must be of
// the node's area. A refusal is logged and returned.
func (t *tlsLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(t.ctx, "tcp", string(addr))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	tc := tls.Client(conn, t.cli)
	peer, err := tlsutil.Handshake(ctx, tc)
	if err != nil {
		rule := tlsutil.Rule(err)
		t.refused(rule)
		t.log.Warn("raft peer refused", "rule", rule, "remote", string(addr), "err", err)
		_ = conn.Close()
		return nil, fmt.Errorf("raft tls with %s (rule %s): %w", addr, rule, err)
	}
	return t.track(tc, peer), nil
}

// raftConn is an open raft connection and its peer's identity; Close
// forgets it.
type raftConn struct {
	net.Conn
	peer  tlsutil.Identity
	layer *tlsLayer
	once  sync.Once
}

func (c *raftConn) Close() error {
	c.once.Do(func() {
		c.layer.mu.Lock()
		delete(c.layer.live, c)
		c.layer.mu.Unlock()
	})
	return c.Conn.Close()
}

// track registers an open connection.
func (t *tlsLayer) track(conn net.Conn, peer tlsutil.Identity) *raftConn {
	c := &raftConn{Conn: conn, peer: peer, layer: t}
	t.mu.Lock()
	t.live[c] = struct{}{}
	t.mu.Unlock()
	return c
}

// startRevalidation checks every open connection's peer with revalidate
// every period until the layer closes, and closes those refused (a
// certificate revoked since the handshake): raft then redials, and the
// handshake refuses the revoked peer.
func (t *tlsLayer) startRevalidation(revalidate func(tlsutil.Identity) error, every time.Duration) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-t.ctx.Done():
				return
			case <-tick.C:
			}
			t.mu.Lock()
			open := make([]*raftConn, 0, len(t.live))
			for c := range t.live {
				open = append(open, c)
			}
			t.mu.Unlock()
			for _, c := range open {
				if err := revalidate(c.peer); err != nil {
					rule := tlsutil.Rule(err)
					t.refused(rule)
					t.log.Warn("raft connection cut", "rule", rule, "peer", c.peer.String(), "remote", c.RemoteAddr().String(), "err", err)
					_ = c.Close()
				}
			}
		}
	}()
}

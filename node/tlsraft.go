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
	return newTLSLayer(ln, srv, cli, n.log.With("component", "raft-tls"), refused), nil
}

// tlsLayer is raft's StreamLayer over mutual TLS. Accepted connections
// complete their handshake in their own goroutine before Accept returns
// them, so a slow or refused peer never holds up the others, and every
// refusal is logged with the peer's address and counted.
type tlsLayer struct {
	ln      net.Listener
	srv     *tls.Config
	cli     *tls.Config
	log     *slog.Logger
	refused func(rule string)

	conns  chan net.Conn // handshaken connections, for Accept
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

func newTLSLayer(ln net.Listener, srv, cli *tls.Config, log *slog.Logger, refused func(string)) *tlsLayer {
	ctx, cancel := context.WithCancel(context.Background())
	t := &tlsLayer{ln: ln, srv: srv, cli: cli, log: log, refused: refused, conns: make(chan net.Conn), ctx: ctx, cancel: cancel}
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
	select {
	case t.conns <- tc:
		t.log.Debug("raft connection accepted", "peer", peer.String(), "remote", conn.RemoteAddr().String())
	case <-t.ctx.Done():
		_ = conn.Close()
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
	if _, err := tlsutil.Handshake(ctx, tc); err != nil {
		rule := tlsutil.Rule(err)
		t.refused(rule)
		t.log.Warn("raft peer refused", "rule", rule, "remote", string(addr), "err", err)
		_ = conn.Close()
		return nil, fmt.Errorf("raft tls with %s (rule %s): %w", addr, rule, err)
	}
	return tc, nil
}

package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// proxyDialTimeout bounds the proxy's dial of its target.
const proxyDialTimeout = 2 * time.Second

// proxy is a TCP proxy on a loopback port that forwards every connection
// to a target address, and can cut the link: Cut resets every connection
// and refuses new ones until Heal. A refused connection is accepted and
// reset at once (SO_LINGER 0), so the proxy keeps its port across a cut
// and the dialer sees a reset, as from a host that refuses.
type proxy struct {
	t      testing.TB
	ln     net.Listener
	target string
	wg     sync.WaitGroup // the accept loop and every pipe

	mu     sync.Mutex
	cut    bool                  // while true, connections are refused
	closed bool                  // set by close
	conns  map[net.Conn]struct{} // both ends of every open pipe
	stats  proxyStats
}

// proxyStats counts what the proxy did; read with proxy.counts.
type proxyStats struct {
	Forwarded int // connections joined to the target
	Refused   int // connections reset because the link was cut
	NoTarget  int // connections closed because the target did not answer
	Reset     int // open connections reset by Cut
}

// newProxy listens on 127.0.0.1:0 and forwards to target. The test's
// cleanup closes it.
func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy to %s: %v", target, err)
	}
	p := &proxy{t: t, ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.close)
	return p
}

// Addr returns the address the proxy listens on.
func (p *proxy) Addr() string { return p.ln.Addr().String() }

// Cut resets every open connection and refuses new ones until Heal.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		reset(c)
		p.stats.Reset++
		delete(p.conns, c)
	}
}

// Heal accepts and forwards connections again.
func (p *proxy) Heal() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// counts returns what the proxy has done so far.
func (p *proxy) counts() proxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// close stops the proxy, closes every connection and waits for its
// goroutines.
func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Errorf("proxy %s: accept: %v", p.Addr(), err)
			}
			return
		}
		if p.refuse(c) {
			continue
		}
		p.wg.Add(1)
		go p.join(c)
	}
}

// refuse resets c if the link is cut (or the proxy closed).
func (p *proxy) refuse(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		reset(c)
		p.stats.Refused++
		return true
	}
	return false
}

// join dials the target for the accepted connection c and pipes bytes
// both ways until either side closes or Cut resets them.
func (p *proxy) join(c net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", p.target, proxyDialTimeout)
	if err != nil {
		p.mu.Lock()
		p.stats.NoTarget++
		p.mu.Unlock()
		reset(c)
		return
	}
	if !p.track(c, up) {
		return
	}
	var once sync.Once
	done := func() { once.Do(func() { p.untrack(c, up) }) }
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() { defer pipes.Done(); defer done(); _, _ = io.Copy(up, c) }()
	go func() { defer pipes.Done(); defer done(); _, _ = io.Copy(c, up) }()
	pipes.Wait()
}

// track registers both ends of a new pipe; when the link was cut (or the
// proxy closed) while the target was dialed, it resets both instead.
func (p *proxy) track(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		reset(c)
		reset(up)
		p.stats.Refused++
		return false
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.stats.Forwarded++
	return true
}

// untrack closes both ends of a pipe that ended and forgets them.
func (p *proxy) untrack(c, up net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, x := range []net.Conn{c, up} {
		x.Close()
		delete(p.conns, x)
	}
}

// reset closes c with SO_LINGER 0, so the peer reads a reset rather than
// an orderly end of stream.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// TestProxy checks the proxy of the federation tests against an echo
// server: it forwards, Cut resets open connections and refuses new ones,
// Heal forwards again.
func TestProxy(t *testing.T) {
	t.Parallel()
	echo := startEcho(t)
	p := newProxy(t, echo)
	c := dialProxy(t, p)
	if err := roundTrip(c, "one"); err != nil {
		t.Fatalf("before the cut: %v", err)
	}
	p.Cut()
	if err := roundTrip(c, "two"); err == nil {
		t.Error("an open connection still answers after Cut")
	}
	c.Close()
	// The kernel completes the handshake before the proxy accepts and
	// resets, so the dial itself may succeed or see the reset.
	if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		if err := roundTrip(c, "three"); err == nil {
			t.Error("a new connection is answered while the link is cut")
		}
		c.Close()
	}
	p.Heal()
	if err := roundTrip(dialProxy(t, p), "four"); err != nil {
		t.Errorf("after Heal: %v", err)
	}
	got := p.counts()
	if got.Forwarded != 2 || got.Refused != 1 || got.Reset != 2 {
		t.Errorf("counts %+v, want 2 forwarded, 1 refused, 2 reset", got)
	}
}

// startEcho serves an echo on a loopback port until the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer c.Close(); _, _ = io.Copy(c, c) })
		}
	})
	return ln.Addr().String()
}

func dialProxy(t *testing.T, p *proxy) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatalf("dial proxy: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads it back within a second.
func roundTrip(c net.Conn, msg string) error {
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return fmt.Errorf("read %q, want %q", buf, msg)
	}
	return nil
}

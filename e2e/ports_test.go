package e2e

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports for agents come from below the kernel's ephemeral port range. An
// outgoing connection takes its local port from that range, so a port
// chosen there could be taken between freeAddr and the agent's bind, or
// while an agent is down between a kill and its restart (a dialer
// retrying a dead parent makes many such connections). Below the range,
// only a process that binds that very port can take it.
const (
	lowestPort   = 10000 // the lowest port freeAddr hands out
	minPortRange = 1000  // fewer ports than this below the ephemeral range: use port 0
	portAttempts = 200
)

// ports remembers the ports handed out in this run, so that none is
// handed out twice (an agent that was killed does not hold its ports).
var ports struct {
	mu   sync.Mutex
	used map[int]bool
}

// freeAddr returns a loopback address nobody listens on, on a port below
// the ephemeral range that this run has not handed out before: it
// listens there, notes the port and closes the listener. When the range
// leaves too little room below it, the kernel chooses (port 0).
func freeAddr(t testing.TB) string {
	t.Helper()
	hi := ephemeralLow()
	if hi-lowestPort < minPortRange {
		return kernelPort(t)
	}
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.used == nil {
		ports.used = make(map[int]bool)
	}
	for range portAttempts {
		p := lowestPort + rand.IntN(hi-lowestPort)
		if ports.used[p] {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		if err := ln.Close(); err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		ports.used[p] = true
		return addr
	}
	t.Fatalf("find a free port: no port of %d..%d free after %d attempts", lowestPort, hi-1, portAttempts)
	return ""
}

// ephemeralLow returns the lowest port of the kernel's ephemeral range
// (Linux: /proc/sys/net/ipv4/ip_local_port_range), 49152 (IANA's) when
// it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 49152
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 49152
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 49152
	}
	return n
}

// kernelPort listens on 127.0.0.1:0, notes the port the kernel chose and
// closes the listener.
func kernelPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	return addr
}

// TestFreeAddr checks that freeAddr hands out distinct ports outside the
// ephemeral range.
func TestFreeAddr(t *testing.T) {
	t.Parallel()
	hi := ephemeralLow()
	seen := make(map[string]bool)
	for range 50 {
		a := freeAddr(t)
		if seen[a] {
			t.Fatalf("freeAddr handed out %s twice", a)
		}
		seen[a] = true
		_, ps, _ := net.SplitHostPort(a)
		if p, _ := strconv.Atoi(ps); hi-lowestPort >= minPortRange && (p < lowestPort || p >= hi) {
			t.Errorf("freeAddr gave %s, want a port in %d..%d", a, lowestPort, hi-1)
		}
	}
}

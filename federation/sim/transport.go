package sim

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Network is an in-memory network of memberlist transports, one per
// simulated server, that counts the bytes each one sends. Packets behave
// like UDP (dropped when the receiver's queue is full or the receiver is
// down); streams are net.Pipe pairs. memberlist's own MockNetwork is not
// used: its maps are unsynchronised, its packet sends block until the
// receiver reads (forever, once the receiver is shut down), and it counts
// nothing.
type Network struct {
	// PacketQueue is each transport's inbound packet queue length; a packet
	// arriving at a full queue is dropped and counted. Set before
	// NewTransport. Default 1024.
	PacketQueue int

	mu    sync.RWMutex // guards nodes, next and cut
	nodes map[string]*Transport
	next  int
	cut   map[[2]string]bool // address pairs that cannot talk, both ways
}

// Transport is one server's endpoint on a Network. It implements
// memberlist.NodeAwareTransport.
type Transport struct {
	net      *Network
	addr     *net.TCPAddr // also the UDP address: same IP and port
	hostport string       // addr as host:port
	packets  chan *memberlist.Packet
	streams  chan net.Conn
	done     chan struct{} // closed by Shutdown
	once     sync.Once

	sent    atomic.Int64 // bytes this endpoint sent: packets and stream writes
	sentPkt atomic.Int64 // of which in packets
	npkts   atomic.Int64 // packets this endpoint sent
	dropped atomic.Int64 // packets to this endpoint dropped on a full queue
}

var _ memberlist.NodeAwareTransport = (*Transport)(nil)

// errDown is returned for sends from a transport that is shut down, and for
// dials to one that is down or unknown.
var errDown = errors.New("sim: endpoint down")

// NewTransport adds an endpoint with the next free address, 10.x.y.z:7946.
func (n *Network) NewTransport() *Transport {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes == nil {
		n.nodes = make(map[string]*Transport)
	}
	n.next++
	ip := net.IPv4(10, byte(n.next>>16), byte(n.next>>8), byte(n.next))
	q := n.PacketQueue
	if q <= 0 {
		q = 1024
	}
	t := &Transport{
		net: n, addr: &net.TCPAddr{IP: ip, Port: 7946}, hostport: net.JoinHostPort(ip.String(), "7946"),
		packets: make(chan *memberlist.Packet, q), streams: make(chan net.Conn),
		done: make(chan struct{}),
	}
	n.nodes[t.hostport] = t
	return t
}

// lookup returns the endpoint at addr as seen from from: nil when unknown
// or cut off.
func (n *Network) lookup(from, addr string) *Transport {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.cut[[2]string{from, addr}] {
		return nil
	}
	return n.nodes[addr]
}

// Partition cuts every link between an address in a and one in b, both
// ways, until Heal: packets are lost and dials refused.
func (n *Network) Partition(a, b []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cut == nil {
		n.cut = make(map[[2]string]bool)
	}
	for _, x := range a {
		for _, y := range b {
			n.cut[[2]string{x, y}], n.cut[[2]string{y, x}] = true, true
		}
	}
}

// Heal restores every link cut by Partition.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = nil
}

// Addr returns the endpoint's address, host:port.
func (t *Transport) Addr() string { return t.hostport }

// Sent returns the bytes this endpoint has sent so far.
func (t *Transport) Sent() int64 { return t.sent.Load() }

// SentInPackets returns the part of Sent sent in packets (probes, acks,
// gossip); the rest went over streams (joins, push/pull, TCP probes).
func (t *Transport) SentInPackets() int64 { return t.sentPkt.Load() }

// Packets returns the packets this endpoint has sent so far.
func (t *Transport) Packets() int64 { return t.npkts.Load() }

// Dropped returns the packets to this endpoint dropped on a full queue.
func (t *Transport) Dropped() int64 { return t.dropped.Load() }

func (t *Transport) down() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// FinalAdvertiseAddr returns the endpoint's address, whatever is asked.
func (t *Transport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return t.addr.IP, t.addr.Port, nil
}

// WriteTo sends a packet.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress sends a packet, counted as sent even when it is lost.
func (t *Transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if t.down() {
		return time.Time{}, errDown
	}
	now := time.Now()
	t.sent.Add(int64(len(b)))
	t.sentPkt.Add(int64(len(b)))
	t.npkts.Add(1)
	dst := t.net.lookup(t.hostport, a.Addr)
	if dst == nil || dst.down() {
		return now, nil // lost, as UDP would be
	}
	p := &memberlist.Packet{Buf: append([]byte(nil), b...), From: &net.UDPAddr{IP: t.addr.IP, Port: t.addr.Port}, Timestamp: now}
	select {
	case dst.packets <- p:
	default:
		dst.dropped.Add(1)
	}
	return now, nil
}

// PacketCh delivers inbound packets.
func (t *Transport) PacketCh() <-chan *memberlist.Packet { return t.packets }

// DialTimeout opens a stream.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout opens a stream to a's endpoint, which must accept it
// within timeout.
func (t *Transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	dst := t.net.lookup(t.hostport, a.Addr)
	if t.down() || dst == nil || dst.down() {
		return nil, fmt.Errorf("dial %s: %w", a.Addr, errDown)
	}
	mine, theirs := net.Pipe()
	local := &countConn{Conn: mine, sent: &t.sent, local: t.addr, remote: dst.addr}
	remote := &countConn{Conn: theirs, sent: &dst.sent, local: dst.addr, remote: t.addr}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case dst.streams <- remote:
		return local, nil
	case <-dst.done:
	case <-t.done:
	case <-timer.C:
	}
	_ = mine.Close()
	_ = theirs.Close()
	return nil, fmt.Errorf("dial %s: %w", a.Addr, errDown)
}

// StreamCh delivers inbound streams.
func (t *Transport) StreamCh() <-chan net.Conn { return t.streams }

// Shutdown takes the endpoint down: its sends fail, and what is sent to it
// is lost. Channels are left open; memberlist stops reading them.
func (t *Transport) Shutdown() error {
	t.once.Do(func() { close(t.done) })
	return nil
}

// countConn counts the bytes written into the endpoint's sent counter and
// reports the endpoints' addresses.
type countConn struct {
	net.Conn
	sent          *atomic.Int64
	local, remote net.Addr
}

func (c *countConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(int64(n))
	return n, err
}

func (c *countConn) LocalAddr() net.Addr  { return c.local }
func (c *countConn) RemoteAddr() net.Addr { return c.remote }

package federation

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hashicorp/memberlist"
)

// Config configures a Pool. Start from DefaultConfig and set Name, Meta and
// Keyring.
type Config struct {
	// Name is the server's name in the pool, unique in the federation; it is
	// also Meta.Name (New fills an empty Meta.Name with it). Required.
	Name string

	// BindAddr is the IP address gossip listens on, UDP and TCP. Default
	// "0.0.0.0".
	BindAddr string
	// BindPort is the gossip port, UDP and TCP. Default 7946. 0 picks a free
	// port (tests); Pool.LocalAddr reports the port bound.
	BindPort int
	// AdvertiseAddr is the IP other servers reach this one at (behind NAT).
	// "" lets memberlist choose: the bind address, or the first private IP
	// when binding to 0.0.0.0.
	AdvertiseAddr string
	// AdvertisePort is the port advertised with AdvertiseAddr; 0 means the
	// bound port.
	AdvertisePort int

	// Meta is what this server gossips about itself. Required; validated.
	Meta Meta

	// Keyring holds the gossip encryption keys. A primary key is required:
	// the federation's gossip is always encrypted (DESIGN §7).
	Keyring KeyringConfig

	// Timings are the memberlist protocol timings. DefaultConfig sets
	// DefaultTimings (WAN-like); tests and the simulation scale them.
	Timings Timings

	// PacketSize is the largest UDP payload memberlist sends, in bytes.
	// Default 1200: office links often run through VPN or GRE tunnels whose
	// MTU is near 1400; 1200 bytes plus the IP and UDP headers stay under
	// it, so gossip packets are never fragmented. memberlist's own default
	// is 1400.
	PacketSize int

	// BroadcastTimeout bounds how long UpdateMeta waits for the new metadata
	// to be gossiped. Default 5 s.
	BroadcastTimeout time.Duration

	// ForgetAfter is how long a dead or left member stays in Members after
	// its last change. Default 72 h (a weekend of an office being off).
	ForgetAfter time.Duration

	// ReconnectInterval is how often the pool tries to join one member it
	// reports dead (picked at random, until ForgetAfter). memberlist stops
	// talking to a dead member once GossipToTheDeadTime has passed, so
	// without this two halves of a partitioned federation that declared
	// each other dead would never merge again. Default 30 s.
	ReconnectInterval time.Duration

	// Logger receives the pool's and memberlist's logs (memberlist's
	// "[DEBUG]" lines at slog.LevelDebug, and so on). nil means
	// slog.Default(). The pool adds component=gossip.
	Logger *slog.Logger

	// Transport replaces memberlist's UDP/TCP transport, for tests and the
	// simulation (federation/sim). When set, BindAddr and BindPort are
	// ignored and the transport's FinalAdvertiseAddr decides the address.
	Transport memberlist.Transport

	// OnEvent, when set, receives membership changes in the order the pool
	// saw them, from one goroutine of the pool (never from memberlist's
	// locks, so it may call the Pool's methods). It should not block for
	// long: events queue behind it, without limit.
	OnEvent func(Event)

	// OnQuery, when set, answers the queries of other servers (Pool.Query)
	// and this server's own. It runs on one of a few worker goroutines of
	// the pool, never under memberlist's locks, so it may call the Pool.
	// Without it every query gets an error answer.
	OnQuery QueryHandler

	// ConflictChecker, when set, may refuse a server claiming an area (see
	// ConflictChecker). Metadata that does not decode or validate is always
	// refused.
	ConflictChecker ConflictChecker
}

// KeyringConfig holds base64 (standard encoding) 32-byte AES-256 keys, as
// written in the config file and printed by GenerateKey.
type KeyringConfig struct {
	Primary string   // encrypts everything sent; also tried first to decrypt
	Others  []string // also tried to decrypt (keys being rotated in or out)
}

// Timings are memberlist's protocol timings, named as in memberlist.Config.
// See DefaultTimings for the values chosen and why.
type Timings struct {
	ProbeInterval           time.Duration // between failure-detector probes of one random peer
	ProbeTimeout            time.Duration // wait for a probe's ack (≈ p99 round trip)
	IndirectChecks          int           // peers asked to probe when a direct probe fails
	SuspicionMult           int           // suspicion lasts SuspicionMult·max(1,log10 n)·ProbeInterval
	SuspicionMaxTimeoutMult int           // upper bound, as a multiple of that, without confirmations
	GossipInterval          time.Duration // between gossip rounds (only when messages are queued)
	GossipNodes             int           // peers per gossip round
	RetransmitMult          int           // each message is gossiped RetransmitMult·ceil(log10(n+1)) times
	GossipToTheDeadTime     time.Duration // keep gossiping to a dead peer this long, so it can refute
	PushPullInterval        time.Duration // full state exchange with one peer; memberlist scales it up above 32 members
	TCPTimeout              time.Duration // dial and I/O timeout of stream operations (joins, push/pull)
	DeadNodeReclaimTime     time.Duration // after this long dead, a name may come back at another address
}

// DefaultTimings are memberlist.DefaultWANConfig's values, kept for links
// between offices across a province (VPN over the e-government network,
// round trips of tens to hundreds of milliseconds, loss in bursts), with one
// addition:
//
//   - ProbeInterval 5 s, ProbeTimeout 3 s, IndirectChecks 3: a peer is
//     suspected after a probe and three indirect probes go unanswered for 3 s.
//   - SuspicionMult 6, SuspicionMaxTimeoutMult 6: at 1,500 servers a suspect
//     is declared dead after 6·log10(1500)·5 s ≈ 95 s once four other servers
//     confirm, 9.5 min at most; this rides out a flapping office link.
//   - GossipInterval 500 ms, GossipNodes 4, RetransmitMult 4: each change
//     reaches 1,500 servers in a few seconds, each server sending it 16 times.
//   - PushPullInterval 60 s, which memberlist multiplies by 7 at 1,500
//     servers: one full-state exchange per server every 7 min.
//   - TCPTimeout 30 s: a full state of 1,500 members is ~300 KB before
//     compression; a slow office link must be able to carry it.
//   - GossipToTheDeadTime 60 s.
//   - DeadNodeReclaimTime 2 min (WAN default: never): a server replaced on
//     new hardware at a new IP can rejoin under its name two minutes after
//     it was declared dead, instead of waiting until every peer forgets it.
func DefaultTimings() Timings {
	w := memberlist.DefaultWANConfig()
	return Timings{
		ProbeInterval: w.ProbeInterval, ProbeTimeout: w.ProbeTimeout, IndirectChecks: w.IndirectChecks,
		SuspicionMult: w.SuspicionMult, SuspicionMaxTimeoutMult: w.SuspicionMaxTimeoutMult,
		GossipInterval: w.GossipInterval, GossipNodes: w.GossipNodes, RetransmitMult: w.RetransmitMult,
		GossipToTheDeadTime: w.GossipToTheDeadTime, PushPullInterval: w.PushPullInterval,
		TCPTimeout: w.TCPTimeout, DeadNodeReclaimTime: 2 * time.Minute,
	}
}

// Scaled returns t with every duration divided by factor (> 0), counts
// unchanged: the protocol runs factor times faster, so convergence times
// shrink and message rates grow by factor. Tests and the simulation use it.
func (t Timings) Scaled(factor float64) Timings {
	d := func(v time.Duration) time.Duration { return time.Duration(float64(v) / factor) }
	t.ProbeInterval, t.ProbeTimeout, t.GossipInterval = d(t.ProbeInterval), d(t.ProbeTimeout), d(t.GossipInterval)
	t.GossipToTheDeadTime, t.PushPullInterval = d(t.GossipToTheDeadTime), d(t.PushPullInterval)
	t.TCPTimeout, t.DeadNodeReclaimTime = d(t.TCPTimeout), d(t.DeadNodeReclaimTime)
	return t
}

// DefaultConfig returns a Config with DefaultTimings, listening on
// 0.0.0.0:7946. Name, Meta and Keyring must still be set.
func DefaultConfig() Config {
	return Config{
		BindAddr:          "0.0.0.0",
		BindPort:          7946,
		Timings:           DefaultTimings(),
		PacketSize:        1200,
		BroadcastTimeout:  5 * time.Second,
		ForgetAfter:       72 * time.Hour,
		ReconnectInterval: 30 * time.Second,
	}
}

// GenerateKey returns a new random 32-byte key in base64, for a keyring.
func GenerateKey() (string, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("generate gossip key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// CheckKey returns an error wrapping ErrBadKey unless s is base64 of 32
// bytes.
func CheckKey(s string) error {
	_, err := decodeKey(s)
	return err
}

// decodeKey parses a base64 key of exactly 32 bytes.
func decodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %v", ErrBadKey, err)
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("%w: got %d bytes", ErrBadKey, len(k))
	}
	return k, nil
}

// Validate checks the config and returns an error wrapping ErrConfig and a
// *FieldError naming the first bad field.
func (c Config) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

func (c Config) validate() error {
	if err := checkName("name", c.Name); err != nil {
		return err
	}
	if err := c.validateNet(); err != nil {
		return err
	}
	meta := c.Meta
	if meta.Name == "" {
		meta.Name = c.Name
	}
	if meta.Name != c.Name {
		return fieldErr("meta.name", "%q differs from name %q", meta.Name, c.Name)
	}
	if err := meta.Validate(); err != nil {
		return err
	}
	if _, _, err := c.Keyring.keys(); err != nil {
		return err
	}
	if err := c.Timings.validate(); err != nil {
		return err
	}
	return c.validateLimits()
}

func (c Config) validateNet() error {
	if c.Transport == nil && net.ParseIP(c.BindAddr) == nil {
		return fieldErr("bind_addr", "%q is not an IP address", c.BindAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 {
		return fieldErr("bind_port", "%d is not 0..65535", c.BindPort)
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		return fieldErr("advertise_addr", "%q is not an IP address", c.AdvertiseAddr)
	}
	if c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		return fieldErr("advertise_port", "%d is not 0..65535", c.AdvertisePort)
	}
	return nil
}

func (c Config) validateLimits() error {
	switch {
	case c.PacketSize < 576 || c.PacketSize > 65000:
		return fieldErr("packet_size", "%d bytes, want 576..65000", c.PacketSize)
	case c.BroadcastTimeout <= 0:
		return fieldErr("broadcast_timeout", "must be positive")
	case c.ForgetAfter <= 0:
		return fieldErr("forget_after", "must be positive")
	case c.ReconnectInterval <= 0:
		return fieldErr("reconnect_interval", "must be positive")
	}
	return nil
}

// keys decodes the keyring: the primary key and every key (primary first).
func (k KeyringConfig) keys() (primary []byte, all [][]byte, err error) {
	if k.Primary == "" {
		return nil, nil, fieldErr("keyring.primary", "required: gossip is always encrypted (generate one with GenerateKey / `fedsync keyring generate`)")
	}
	if primary, err = decodeKey(k.Primary); err != nil {
		return nil, nil, fieldErr("keyring.primary", "%v", err)
	}
	all = [][]byte{primary}
	for i, s := range k.Others {
		key, err := decodeKey(s)
		if err != nil {
			return nil, nil, fieldErr(fmt.Sprintf("keyring.others[%d]", i), "%v", err)
		}
		all = append(all, key)
	}
	return primary, all, nil
}

// Validate checks the timings and returns an error wrapping ErrConfig and a
// *FieldError naming the first bad one ("timings.probe_timeout").
func (t Timings) Validate() error {
	if err := t.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

func (t Timings) validate() error {
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"probe_interval", t.ProbeInterval}, {"probe_timeout", t.ProbeTimeout},
		{"gossip_interval", t.GossipInterval}, {"gossip_to_the_dead_time", t.GossipToTheDeadTime},
		{"push_pull_interval", t.PushPullInterval}, {"tcp_timeout", t.TCPTimeout},
	} {
		if d.v <= 0 {
			return fieldErr("timings."+d.field, "must be positive, got %v", d.v)
		}
	}
	switch {
	case t.ProbeTimeout > t.ProbeInterval:
		return fieldErr("timings.probe_timeout", "%v is longer than probe_interval %v", t.ProbeTimeout, t.ProbeInterval)
	case t.DeadNodeReclaimTime < 0:
		return fieldErr("timings.dead_node_reclaim_time", "must not be negative")
	case t.IndirectChecks < 0:
		return fieldErr("timings.indirect_checks", "must not be negative")
	case t.SuspicionMult < 1 || t.SuspicionMaxTimeoutMult < 1:
		return fieldErr("timings.suspicion_mult", "suspicion_mult and suspicion_max_timeout_mult must be at least 1")
	case t.GossipNodes < 1 || t.RetransmitMult < 1:
		return fieldErr("timings.gossip_nodes", "gossip_nodes and retransmit_mult must be at least 1")
	}
	return nil
}

// memberlistConfig builds memberlist's config from a validated Config.
func (c Config) memberlistConfig(d *delegate, kr *memberlist.Keyring, logger *slog.Logger) *memberlist.Config {
	mc := memberlist.DefaultWANConfig()
	mc.Name = c.Name
	mc.BindAddr, mc.BindPort = c.BindAddr, c.BindPort
	mc.AdvertiseAddr, mc.AdvertisePort = c.AdvertiseAddr, c.AdvertisePort
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = c.BindPort // memberlist replaces 0 with the bound port
	}
	t := c.Timings
	mc.ProbeInterval, mc.ProbeTimeout, mc.IndirectChecks = t.ProbeInterval, t.ProbeTimeout, t.IndirectChecks
	mc.SuspicionMult, mc.SuspicionMaxTimeoutMult = t.SuspicionMult, t.SuspicionMaxTimeoutMult
	mc.GossipInterval, mc.GossipNodes, mc.RetransmitMult = t.GossipInterval, t.GossipNodes, t.RetransmitMult
	mc.GossipToTheDeadTime, mc.PushPullInterval = t.GossipToTheDeadTime, t.PushPullInterval
	mc.TCPTimeout, mc.DeadNodeReclaimTime = t.TCPTimeout, t.DeadNodeReclaimTime
	mc.UDPBufferSize = c.PacketSize
	mc.Keyring, mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = kr, true, true
	mc.Delegate, mc.Events, mc.Alive, mc.Merge, mc.Conflict = d, d, d, d, d
	mc.Logger = newStdLogger(logger)
	mc.Transport = c.Transport
	return mc
}

package node

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// RaftConfig says how this server forms or joins its node's raft group
// (DESIGN §5), in the config file's [raft] table. A node runs 1, 3 or 5
// servers; there are two ways to form a group of several:
//
//   - Static: every server lists the whole group in Peers and sets
//     BootstrapExpect to its size. Each server, on its first start,
//     bootstraps raft with that identical configuration; an election
//     follows once a majority has started. Nothing else is needed.
//   - Join: one server starts as a one-voter group (Bootstrap true, the
//     default); every other server starts with bootstrap = false and waits,
//     without a leader and without failing, until an operator adds it with
//     `fedsync operator raft add-voter` on a server of the group.
type RaftConfig struct {
	// Advertise is the raft address the node's other servers dial
	// (host:port). Default: raft_addr, which then must name a host — an
	// unspecified address (0.0.0.0, ::) cannot be dialled and is refused.
	Advertise string `toml:"advertise,omitempty"`
	// HTTPAdvertise and SyncAdvertise are the API and sync addresses the
	// node's other servers (forwarded writes) and children (leader hints)
	// are told. Default: the addresses the server listens on; required
	// when those are unspecified and the group has several servers.
	HTTPAdvertise string `toml:"http_advertise,omitempty"`
	SyncAdvertise string `toml:"sync_advertise,omitempty"`
	// BootstrapExpect is the group's size for a static bootstrap: 0 or 1
	// bootstraps alone (when bootstrap is true); 3 or 5 needs Peers with
	// exactly that many servers, this one among them.
	BootstrapExpect int `toml:"bootstrap_expect,omitempty"`
	// Peers lists "name=host:port" (server name = raft advertise address)
	// of every server of the group, for BootstrapExpect 3 or 5. Every
	// server must list the same peers.
	Peers []string `toml:"peers,omitempty"`
}

// Peer is one entry of RaftConfig.Peers.
type Peer struct {
	Name, Address string
}

// multiServer reports whether the group may hold more than this server:
// a static group of several, or a server that waits to be added.
func (c Config) multiServer() bool { return c.Raft.BootstrapExpect > 1 || !c.Bootstrap }

// raftAdvertise is the raft address the other servers dial.
func (c Config) raftAdvertise() string {
	if c.Raft.Advertise != "" {
		return c.Raft.Advertise
	}
	return c.RaftAddr
}

// ParsePeers parses Peers, in order.
func (c RaftConfig) ParsePeers() ([]Peer, error) {
	out := make([]Peer, 0, len(c.Peers))
	seen := map[string]bool{}
	for i, p := range c.Peers {
		name, addr, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("raft.peers[%d]: %q is not name=host:port", i, p)
		}
		if err := dialable(addr); err != nil {
			return nil, fmt.Errorf("raft.peers[%d] (%s): %w", i, name, err)
		}
		if seen[name] || seen["addr "+addr] {
			return nil, fmt.Errorf("raft.peers[%d]: %s or %s is listed twice", i, name, addr)
		}
		seen[name], seen["addr "+addr] = true, true
		out = append(out, Peer{Name: name, Address: addr})
	}
	return out, nil
}

// validate checks the raft table against the rest of the config.
func (c RaftConfig) validate(cfg Config) error {
	var errs []error
	adv := cfg.raftAdvertise()
	if err := dialable(adv); err != nil {
		errs = append(errs, fmt.Errorf("raft.advertise: %w; set raft.advertise to the address the node's other servers dial", err))
	}
	for name, a := range map[string]string{"raft.http_advertise": c.HTTPAdvertise, "raft.sync_advertise": c.SyncAdvertise} {
		if a == "" {
			continue
		}
		if err := dialable(a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if cfg.multiServer() && c.HTTPAdvertise == "" && dialable(cfg.HTTPAddr) != nil {
		errs = append(errs, fmt.Errorf("raft.http_advertise: http_addr %s cannot be dialled by the other servers (they forward writes to the leader's API); set raft.http_advertise", cfg.HTTPAddr))
	}
	switch c.BootstrapExpect {
	case 0, 1:
		if len(c.Peers) > 0 {
			errs = append(errs, errors.New("raft.peers: only for bootstrap_expect 3 or 5"))
		}
	case 3, 5:
		errs = append(errs, c.validatePeers(cfg, adv)...)
	default:
		errs = append(errs, fmt.Errorf("raft.bootstrap_expect: %d; want 0 or 1 (alone), 3 or 5 (with raft.peers)", c.BootstrapExpect))
	}
	return errors.Join(errs...)
}

func (c RaftConfig) validatePeers(cfg Config, adv string) []error {
	var errs []error
	if !cfg.Bootstrap {
		errs = append(errs, errors.New("raft.bootstrap_expect: a static group bootstraps; remove bootstrap = false (or bootstrap_expect to join with add-voter)"))
	}
	peers, err := c.ParsePeers()
	if err != nil {
		return append(errs, err)
	}
	if len(peers) != c.BootstrapExpect {
		errs = append(errs, fmt.Errorf("raft.peers: %d listed, bootstrap_expect is %d", len(peers), c.BootstrapExpect))
	}
	for _, p := range peers {
		if p.Name == cfg.Name {
			if p.Address != adv {
				errs = append(errs, fmt.Errorf("raft.peers: lists this server %s at %s, but it advertises %s", p.Name, p.Address, adv))
			}
			return errs
		}
	}
	return append(errs, fmt.Errorf("raft.peers: this server %q is not listed", cfg.Name))
}

// dialable checks that a is host:port with a host another machine can
// dial: not empty, not 0.0.0.0 or ::.
func dialable(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", a, err)
	}
	if host == "" || port == "" {
		return fmt.Errorf("%q needs a host and a port", a)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("%q is an unspecified address (it listens everywhere but cannot be dialled)", a)
	}
	return nil
}

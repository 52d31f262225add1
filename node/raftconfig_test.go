package node

import (
	"strings"
	"testing"
	"time"
)

func TestRaftConfigValidate(t *testing.T) {
	base := func() Config {
		c := testConfig(t.TempDir())
		c.Name = "a"
		provisionTLS(&c) // a certificate of server "a"
		return c
	}
	peers := []string{"a=10.0.0.1:8701", "b=10.0.0.2:8701", "c=10.0.0.3:8701"}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"single server", func(*Config) {}, ""},
		{"unspecified raft_addr", func(c *Config) { c.RaftAddr = "0.0.0.0:8701" }, "raft.advertise"},
		{"unspecified raft_addr, advertised", func(c *Config) { c.RaftAddr, c.Raft.Advertise = "0.0.0.0:8701", "10.0.0.1:8701" }, ""},
		{"joining server on 0.0.0.0 API", func(c *Config) { c.Bootstrap, c.HTTPAddr = false, "0.0.0.0:8700" }, "raft.http_advertise"},
		{"static group", func(c *Config) {
			c.RaftAddr, c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "0.0.0.0:8701", "10.0.0.1:8701", 3, peers
		}, ""},
		{"static group missing this server", func(c *Config) {
			c.Name, c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "d", "10.0.0.4:8701", 3, peers
		}, `"d" is not listed`},
		{"static group, wrong address", func(c *Config) {
			c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "10.0.0.9:8701", 3, peers
		}, "it advertises 10.0.0.9:8701"},
		{"peer count", func(c *Config) {
			c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "10.0.0.1:8701", 5, peers
		}, "3 listed, bootstrap_expect is 5"},
		{"even size", func(c *Config) { c.Raft.BootstrapExpect = 2 }, "want 0 or 1"},
		{"peers without expect", func(c *Config) { c.Raft.Peers = peers }, "only for bootstrap_expect"},
		{"duplicate peer", func(c *Config) {
			c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "10.0.0.1:8701", 3, []string{peers[0], peers[1], "b=10.0.0.3:8701"}
		}, "listed twice"},
		{"malformed peer", func(c *Config) {
			c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = "10.0.0.1:8701", 3, []string{peers[0], peers[1], "c"}
		}, "not name=host:port"},
		{"static group with join", func(c *Config) {
			c.Bootstrap, c.Raft.Advertise, c.Raft.BootstrapExpect, c.Raft.Peers = false, "10.0.0.1:8701", 3, peers
		}, "a static group bootstraps"},
	}
	for _, tt := range tests {
		c := base()
		tt.edit(&c)
		provisionTLS(&c) // a certificate for the server's final name
		err := c.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error naming %q", tt.name, err, tt.want)
		}
	}
}

// TestStaticGroupBootstraps: three servers listing each other in
// raft.peers elect a leader without any operator command, and a write
// to a follower's API reaches it.
func TestStaticGroupBootstraps(t *testing.T) {
	names := []string{"county-a", "county-b", "county-c"}
	var peers []string
	addrs := map[string]string{}
	for _, n := range names {
		addrs[n] = freePort(t)
		peers = append(peers, n+"="+addrs[n])
	}
	var group []*Node
	for _, name := range names {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name, cfg.RaftAddr = testCounty, name, addrs[name]
		cfg.Raft.BootstrapExpect, cfg.Raft.Peers = 3, peers
		cfg.RaftTimeout = Duration{200 * time.Millisecond}
		group = append(group, startNode(t, cfg))
	}
	for _, n := range group {
		waitFor(t, n.cfg.Name+" to know the group and the address book", func() (bool, string) {
			ri := n.raftInfo()
			book, _ := n.store.Servers()
			return ri.Voters == 3 && ri.Leader != "" && ri.Waiting == "" && len(book) == 3, ri.Waiting
		})
	}
}

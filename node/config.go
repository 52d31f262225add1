package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"fedsync/area"
)

// Config is a server's configuration, layered as defaults → file → flags.
// Every duration is a Go duration string in the file ("5s").
type Config struct {
	// Area is the 12-digit code of the area this node serves. Required.
	Area area.Code `toml:"area"`
	// Name is this server's name, unique in the federation; default
	// "<area>-<hostname>".
	Name string `toml:"name"`
	// DataDir holds the store, the raft log and snapshots. Required.
	DataDir string `toml:"data_dir"`
	// HTTPAddr is where the API listens. Default 127.0.0.1:8700.
	HTTPAddr string `toml:"http_addr"`
	// RaftAddr is where raft listens for the node's other servers. Default
	// 127.0.0.1:8701. A single-server node still binds it.
	RaftAddr string `toml:"raft_addr"`
	// SyncAddr is where the node receives its children's change logs
	// (the upward sync link). Default 127.0.0.1:8702. A street node has no
	// children and does not listen.
	SyncAddr string `toml:"sync_addr"`
	// Parent lists the sync addresses of the parent node's servers, tried
	// in order. Empty for the province (or a node that sends nowhere).
	Parent []string `toml:"parent"`
	// KeepAlive is how long the link to the parent may stay idle before
	// this node pings it, so the parent knows the subtree is alive (and does
	// not report it stale or close the link). Default 30s.
	KeepAlive Duration `toml:"keepalive"`
	// StaleAfter is how long a child origin may go unheard before status
	// lists it as stale. Default 15m.
	StaleAfter Duration `toml:"stale_after"`
	// Retention is how long log entries the parent has acknowledged are
	// kept before they are pruned; 0 keeps them forever. A parent that
	// needs pruned entries receives a state transfer. Default 168h.
	Retention Duration `toml:"retention"`
	// RetentionInterval is how often pruning runs. Default 1m.
	RetentionInterval Duration `toml:"retention_interval"`
	// Bootstrap makes a fresh server bootstrap a one-voter raft group.
	// Default true.
	Bootstrap bool `toml:"bootstrap"`
	// SeedCommunities makes the first leader write the area's communities
	// from the division data (street nodes). Default true.
	SeedCommunities bool `toml:"seed_communities"`
	// ApplyTimeout bounds one write through raft. Default 10s.
	ApplyTimeout Duration `toml:"apply_timeout"`
	// RaftTimeout is raft's heartbeat and election timeout (the leader lease
	// is half of it). Lower elects faster; higher tolerates slower links
	// between a node's servers. Default 500ms.
	RaftTimeout Duration `toml:"raft_timeout"`
	// SnapshotInterval and SnapshotThreshold tune raft snapshots (defaults
	// 2m and 8192 entries).
	SnapshotInterval  Duration `toml:"snapshot_interval"`
	SnapshotThreshold uint64   `toml:"snapshot_threshold"`
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `toml:"log_level"`
	// UnsafeNoSync turns off fsync of the store and raft log. Loses data
	// on power failure; for benchmarks and tests only.
	UnsafeNoSync bool `toml:"unsafe_no_sync"`
	// TLS is the [tls] section: certificates, or insecure_plaintext (tls.go).
	TLS TLSConfig `toml:"tls"`
	// Privacy holds the federation's hash key for personal data (privacy.go).
	Privacy PrivacyConfig `toml:"privacy"`
	// ACL and Limits are the [acl] and [limits] tables (aclconfig.go).
	ACL    ACLConfig    `toml:"acl"`
	Limits LimitsConfig `toml:"limits"`
	// Raft: advertise addresses and how a group of several servers forms (raftconfig.go).
	Raft RaftConfig `toml:"raft"`
	// Gossip is the [gossip] section: membership, discovery, bypass (gossipconfig.go).
	Gossip GossipConfig `toml:"gossip"`
}

// Duration is a time.Duration written as a string ("10s") in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig returns the defaults; Area and DataDir stay empty.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:          "127.0.0.1:8700",
		RaftAddr:          "127.0.0.1:8701",
		SyncAddr:          "127.0.0.1:8702",
		Bootstrap:         true,
		SeedCommunities:   true,
		ApplyTimeout:      Duration{10 * time.Second},
		RaftTimeout:       Duration{500 * time.Millisecond},
		StaleAfter:        Duration{15 * time.Minute},
		KeepAlive:         Duration{30 * time.Second},
		Retention:         Duration{7 * 24 * time.Hour},
		RetentionInterval: Duration{time.Minute},
		SnapshotInterval:  Duration{2 * time.Minute},
		SnapshotThreshold: 8192,
		LogLevel:          "info",
		ACL:               DefaultACLConfig(),
		Limits:            DefaultLimitsConfig(),
		Gossip:            DefaultGossipConfig(),
	}
}

// ConfigFileName is the name `fedsync init` gives the config file inside
// the data directory.
const ConfigFileName = "fedsync.toml"

// LoadConfig reads a TOML file over the defaults. Unknown keys are an error.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("read config %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(filepath.Dir(path), c.DataDir)
	}
	c.TLS.resolve(filepath.Dir(path))
	c.Privacy.resolve(filepath.Dir(path))
	if k := c.Gossip.KeyringFile; k != "" && !filepath.IsAbs(k) {
		c.Gossip.KeyringFile = filepath.Join(filepath.Dir(path), k)
	}
	return c, nil
}

// WriteConfig writes c to path as TOML, refusing to overwrite a file.
func WriteConfig(path string, c Config) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := fmt.Fprintf(f, "# fedsync server configuration for area %s (%s).\n# See `fedsync agent --help`.\n\n", c.Area, area.Name(c.Area)); err != nil {
		f.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := toml.NewEncoder(f).Encode(c); err != nil {
		f.Close()
		return fmt.Errorf("write config: %w", err)
	}
	return f.Close()
}

// Validate checks the configuration and names the first bad field.
func (c Config) Validate() error {
	var errs []error
	if _, err := area.Parse(string(c.Area)); err != nil {
		errs = append(errs, fmt.Errorf("area: %w", err))
	} else if l := c.Area.Level(); l == area.LevelCommunity {
		errs = append(errs, fmt.Errorf("area: %s is a community; a node serves a street, county, city or province", c.Area))
	} else if _, ok := area.Lookup(c.Area); !ok {
		errs = append(errs, fmt.Errorf("area: %s is not in the division data", c.Area))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: is required"))
	}
	for i, p := range c.Parent {
		if _, _, err := net.SplitHostPort(p); err != nil {
			errs = append(errs, fmt.Errorf("parent[%d]: %q is not host:port: %w", i, p, err))
		}
	}
	if len(c.Parent) > 0 && c.Area.Level() == area.LevelProvince {
		errs = append(errs, errors.New("parent: the province node has no parent"))
	}
	for name, a := range map[string]string{"http_addr": c.HTTPAddr, "raft_addr": c.RaftAddr, "sync_addr": c.SyncAddr} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port: %w", name, a, err))
		}
	}
	if c.RaftTimeout.Duration < 50*time.Millisecond {
		errs = append(errs, errors.New("raft_timeout: must be at least 50ms"))
	}
	if c.KeepAlive.Duration <= 0 {
		errs = append(errs, errors.New("keepalive: must be positive"))
	}
	if c.Retention.Duration < 0 || c.RetentionInterval.Duration <= 0 {
		errs = append(errs, errors.New("retention: must not be negative, and retention_interval must be positive"))
	}
	if err := c.Raft.validate(c); err != nil {
		errs = append(errs, err)
	}
	if c.ApplyTimeout.Duration <= 0 {
		errs = append(errs, errors.New("apply_timeout: must be positive"))
	}
	if err := c.TLS.validate(c.Area, c.Name); err != nil {
		errs = append(errs, err)
	}
	if err := c.Privacy.validate(c.Area); err != nil {
		errs = append(errs, err)
	}
	if err := c.Limits.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Gossip.validate(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

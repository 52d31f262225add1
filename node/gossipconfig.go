package node

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fedsync/federation"
)

// DefaultGossipPort is the default gossip port (UDP and TCP).
const DefaultGossipPort = 8703

// GossipConfig is the [gossip] section: this server's membership in the
// federation-wide gossip pool (DESIGN §7). With gossip on, a node finds its
// parent's servers (leader first) through the pool, so `parent` may be
// empty, and bypasses a parent that has been down for BypassAfter.
type GossipConfig struct {
	// Enabled turns gossip on. Default false: the node sends to the
	// configured parent list only.
	Enabled bool `toml:"enabled"`
	// BindAddr is the IP:port gossip listens on, UDP and TCP. Default
	// 127.0.0.1:8703; an office server sets its LAN or VPN address.
	BindAddr string `toml:"bind_addr"`
	// AdvertiseAddr is the IP:port other servers reach this one at, when
	// it differs from BindAddr (NAT, or binding 0.0.0.0). Default: chosen
	// by memberlist from BindAddr.
	AdvertiseAddr string `toml:"advertise_addr"`
	// Join lists gossip addresses (host:port) of servers already in the
	// pool; one that answers is enough. Empty for the first server.
	Join []string `toml:"join"`
	// KeyringFile holds the gossip encryption keys, base64 of 32 bytes, one
	// a line, the primary key first ('#' starts a comment). Required unless
	// DevInsecureKey. `fedsync keyring` changes it in place.
	KeyringFile string `toml:"keyring_file"`
	// DevInsecureKey runs gossip with a fixed, publicly known key when no
	// keyring file is given: for demos and tests on one machine only.
	DevInsecureKey bool `toml:"dev_insecure_key"`
	// BypassAfter is how long no server of the parent area may have been
	// alive in gossip before the upward sender sends to the nearest live
	// ancestor instead. Default 2m.
	BypassAfter Duration `toml:"bypass_after"`
	// TimingScale divides every gossip timing (probes, suspicion, gossip,
	// push/pull): 1 is the WAN-like defaults of federation.DefaultTimings;
	// tests and labs on one machine use 10 or more. Default 1.
	TimingScale float64 `toml:"timing_scale"`
	// ProbeInterval, ProbeTimeout, SuspicionMult, GossipInterval and
	// PushPullInterval override single timings (after TimingScale); zero
	// keeps the default. See federation.DefaultTimings for what each does.
	ProbeInterval    Duration `toml:"probe_interval"`
	ProbeTimeout     Duration `toml:"probe_timeout"`
	SuspicionMult    int      `toml:"suspicion_mult"`
	GossipInterval   Duration `toml:"gossip_interval"`
	PushPullInterval Duration `toml:"push_pull_interval"`
}

// DefaultGossipConfig returns the defaults: off, 127.0.0.1:8703, bypass
// after 2 minutes, WAN timings.
func DefaultGossipConfig() GossipConfig {
	return GossipConfig{
		BindAddr:    "127.0.0.1:" + strconv.Itoa(DefaultGossipPort),
		BypassAfter: Duration{2 * time.Minute},
		TimingScale: 1,
	}
}

// validate checks the section; every error names its key.
func (g GossipConfig) validate() error {
	if !g.Enabled {
		return nil
	}
	var errs []error
	if _, _, err := splitIPPort(g.BindAddr); err != nil {
		errs = append(errs, fmt.Errorf("gossip.bind_addr: %w", err))
	}
	if g.AdvertiseAddr != "" {
		if _, _, err := splitIPPort(g.AdvertiseAddr); err != nil {
			errs = append(errs, fmt.Errorf("gossip.advertise_addr: %w", err))
		}
	}
	for i, j := range g.Join {
		if _, _, err := net.SplitHostPort(j); err != nil {
			errs = append(errs, fmt.Errorf("gossip.join[%d]: %q is not host:port: %w", i, j, err))
		}
	}
	if g.KeyringFile == "" && !g.DevInsecureKey {
		errs = append(errs, errors.New("gossip.keyring_file: required: gossip is always encrypted (write a key from `fedsync keyring generate` to a file), or set dev_insecure_key = true on a test machine"))
	}
	if g.BypassAfter.Duration <= 0 {
		errs = append(errs, errors.New("gossip.bypass_after: must be positive"))
	}
	if g.TimingScale < 1 || g.TimingScale > 1000 {
		errs = append(errs, fmt.Errorf("gossip.timing_scale: %v, want 1..1000", g.TimingScale))
	}
	if g.SuspicionMult < 0 || g.ProbeInterval.Duration < 0 || g.ProbeTimeout.Duration < 0 ||
		g.GossipInterval.Duration < 0 || g.PushPullInterval.Duration < 0 {
		errs = append(errs, errors.New("gossip timings: must not be negative"))
	}
	if err := g.timings().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("gossip timings: %w", err))
	}
	return errors.Join(errs...)
}

// timings returns the WAN defaults scaled and overridden.
func (g GossipConfig) timings() federation.Timings {
	t := federation.DefaultTimings()
	if g.TimingScale > 1 {
		t = t.Scaled(g.TimingScale)
	}
	set := func(dst *time.Duration, v Duration) {
		if v.Duration > 0 {
			*dst = v.Duration
		}
	}
	set(&t.ProbeInterval, g.ProbeInterval)
	set(&t.ProbeTimeout, g.ProbeTimeout)
	set(&t.GossipInterval, g.GossipInterval)
	set(&t.PushPullInterval, g.PushPullInterval)
	if g.SuspicionMult > 0 {
		t.SuspicionMult = g.SuspicionMult
	}
	return t
}

// splitIPPort parses "IP:port" with a port 0..65535.
func splitIPPort(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not IP:port: %w", s, err)
	}
	if net.ParseIP(host) == nil {
		return "", 0, fmt.Errorf("%q: %q is not an IP address", s, host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%q: port must be 0..65535", s)
	}
	return host, p, nil
}

// devInsecureKey is the fixed key of dev_insecure_key: SHA-256 of a public
// phrase. Anyone can read it; it only keeps a test pool apart from others.
func devInsecureKey() string {
	k := sha256.Sum256([]byte("fedsync dev insecure gossip key — never use in production"))
	return base64.StdEncoding.EncodeToString(k[:])
}

// readKeyring reads a keyring file: base64 keys one a line, primary first,
// blank lines and '#' comments ignored. The keys are checked by
// federation.New.
func readKeyring(path string) (federation.KeyringConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return federation.KeyringConfig{}, fmt.Errorf("gossip.keyring_file: %w", err)
	}
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keys = append(keys, line)
	}
	if len(keys) == 0 {
		return federation.KeyringConfig{}, fmt.Errorf("gossip.keyring_file %s: no key (want base64 keys, one a line, the primary first)", path)
	}
	return federation.KeyringConfig{Primary: keys[0], Others: keys[1:]}, nil
}

// writeKeyring replaces the keyring file atomically (temporary file,
// fsync, rename) with keys, primary first.
func writeKeyring(path string, l federation.KeyList) error {
	var b strings.Builder
	b.WriteString("# fedsync gossip keyring: base64 keys, the primary (encrypting) key first.\n# Changed by `fedsync keyring install|use|remove`.\n")
	for _, k := range l.Keys {
		b.WriteString(k + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keyring-*")
	if err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write keyring: %w", err)
	}
	return nil
}

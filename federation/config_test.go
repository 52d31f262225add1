package federation

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func validConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Name, cfg.Meta = "s1", testMeta("s1", street)
	cfg.Keyring.Primary = mustKey(t)
	return cfg
}

func TestDefaultConfigStartsFromWAN(t *testing.T) {
	cfg, wan := DefaultConfig(), memberlist.DefaultWANConfig()
	tm := cfg.Timings
	if tm.ProbeInterval != wan.ProbeInterval || tm.ProbeTimeout != wan.ProbeTimeout ||
		tm.SuspicionMult != wan.SuspicionMult || tm.GossipInterval != wan.GossipInterval ||
		tm.GossipNodes != wan.GossipNodes || tm.PushPullInterval != wan.PushPullInterval ||
		tm.TCPTimeout != wan.TCPTimeout || tm.GossipToTheDeadTime != wan.GossipToTheDeadTime {
		t.Errorf("timings %+v differ from memberlist's WAN config", tm)
	}
	if tm.ProbeInterval != 5*time.Second || tm.DeadNodeReclaimTime != 2*time.Minute || cfg.PacketSize != 1200 {
		t.Errorf("documented values changed: %+v, packet %d", tm, cfg.PacketSize)
	}
	if err := validConfig(t).Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if s := tm.Scaled(10); s.ProbeInterval != 500*time.Millisecond || s.SuspicionMult != tm.SuspicionMult {
		t.Errorf("Scaled(10) = %+v", s)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	key16 := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		field string
		edit  func(c *Config)
	}{
		{"name", func(c *Config) { c.Name = "" }},
		{"meta.name", func(c *Config) { c.Meta.Name = "other" }},
		{"meta.level", func(c *Config) { c.Meta.Level = 1 }},
		{"bind_addr", func(c *Config) { c.BindAddr = "localhost" }},
		{"bind_port", func(c *Config) { c.BindPort = 70000 }},
		{"advertise_addr", func(c *Config) { c.AdvertiseAddr = "example.org" }},
		{"advertise_port", func(c *Config) { c.AdvertisePort = -1 }},
		{"keyring.primary", func(c *Config) { c.Keyring.Primary = "" }},
		{"keyring.primary", func(c *Config) { c.Keyring.Primary = key16 }},
		{"keyring.others[1]", func(c *Config) { c.Keyring.Others = []string{c.Keyring.Primary, "%%"} }},
		{"timings.probe_interval", func(c *Config) { c.Timings.ProbeInterval = 0 }},
		{"timings.probe_timeout", func(c *Config) { c.Timings.ProbeTimeout = time.Minute }},
		{"timings.suspicion_mult", func(c *Config) { c.Timings.SuspicionMult = 0 }},
		{"timings.gossip_nodes", func(c *Config) { c.Timings.GossipNodes = 0 }},
		{"timings.dead_node_reclaim_time", func(c *Config) { c.Timings.DeadNodeReclaimTime = -1 }},
		{"packet_size", func(c *Config) { c.PacketSize = 100 }},
		{"broadcast_timeout", func(c *Config) { c.BroadcastTimeout = 0 }},
		{"forget_after", func(c *Config) { c.ForgetAfter = 0 }},
	}
	for _, tt := range tests {
		cfg := validConfig(t)
		tt.edit(&cfg)
		err := cfg.Validate()
		var fe *FieldError
		if !errors.Is(err, ErrConfig) || !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want ErrConfig on %s", tt.field, err, tt.field)
		}
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New accepted the config: %v", tt.field, err)
		}
	}
	cfg := validConfig(t)
	cfg.Meta.Name = ""
	if err := cfg.Validate(); err != nil {
		t.Errorf("empty meta.name (filled from name): %v", err)
	}
}

func TestLoggerAdapter(t *testing.T) {
	var buf bytes.Buffer
	l := newStdLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Printf("[WARN] memberlist: Refuting a suspect message (from: %s)", "s2")
	l.Printf("[DEBUG] memberlist: Stream connection from=127.0.0.1:1")
	l.Printf("[ERR] memberlist: Failed to send gossip")
	l.Printf("Err: Could not set the deadline")
	got := buf.String()
	for _, want := range []string{
		`level=WARN msg="Refuting a suspect message (from: s2)" lib=memberlist`,
		`level=DEBUG msg="Stream connection from=127.0.0.1:1"`,
		`level=ERROR msg="Failed to send gossip"`,
		`level=WARN msg="Err: Could not set the deadline"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
}

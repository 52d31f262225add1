package node

import (
	"bytes"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLimitsConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*LimitsConfig)
		want string
	}{
		{"body", func(l *LimitsConfig) { l.MaxBodyBytes = 10 }, "limits.max_body_bytes"},
		{"batch", func(l *LimitsConfig) { l.MaxBatch = 20000 }, "limits.max_batch"},
		{"page", func(l *LimitsConfig) { l.MaxPageSize = 0 }, "limits.max_page_size"},
		{"rate", func(l *LimitsConfig) { l.RatePerSecond = -1 }, "limits.rate_per_second"},
		{"sync", func(l *LimitsConfig) { l.SyncMaxRatio = -5 }, "limits.sync_"},
	}
	for _, tt := range tests {
		c := testConfig(t.TempDir())
		tt.edit(&c.Limits)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
	if err := testConfig(t.TempDir()).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestACLConfigRoundTrip: [acl] and [limits] survive WriteConfig and
// LoadConfig, and the sync limits reach the node.
func TestACLConfigRoundTrip(t *testing.T) {
	c := testConfig(t.TempDir())
	c.ACL.Enabled, c.Limits.SyncMaxRawBytes, c.Limits.RatePerSecond = false, 32<<20, 7
	path := filepath.Join(t.TempDir(), ConfigFileName)
	if err := WriteConfig(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.ACL != c.ACL || got.Limits != c.Limits {
		t.Fatalf("round trip: acl %+v limits %+v, want %+v %+v", got.ACL, got.Limits, c.ACL, c.Limits)
	}
	if n, err := New(got, nil); err != nil || n.syncLimits.MaxRaw != 32<<20 {
		t.Fatalf("node sync limits: %+v %v", n.syncLimits, err)
	}
}

// TestACLDisabledWarns: with [acl] enabled = false the node warns at start
// and serves requests without a token.
func TestACLDisabledWarns(t *testing.T) {
	var logs lockedBuffer
	c := testConfig(t.TempDir())
	c.ACL.Enabled = false
	n, err := New(c, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if !strings.Contains(logs.String(), "WARNING: ACLs are disabled") {
		t.Errorf("no warning at start:\n%s", logs.String())
	}
	if code, body := call(t, n, "", "GET", "/v1/records/org", ""); code != http.StatusOK {
		t.Errorf("request without a token, ACLs off: %d %s", code, body)
	}
}

// lockedBuffer is a bytes.Buffer safe for the node's goroutines to log to
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package federation

import (
	"encoding/base64"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestKeyRotation rotates the key of three servers in the documented order
// (install everywhere, use everywhere, remove everywhere) and checks that the
// pool never splits: every server keeps seeing three alive and nobody is
// declared failed.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county)
	oldKey, newKey := c.key, mustKey(t)
	steps := []struct {
		name string
		op   func(p *Pool) error
	}{
		{"install", func(p *Pool) error { return p.InstallKey(newKey) }},
		{"use", func(p *Pool) error { return p.UseKey(newKey) }},
		{"remove", func(p *Pool) error { return p.RemoveKey(oldKey) }},
	}
	round := 0
	for _, s := range steps {
		for _, p := range c.pools {
			if err := s.op(p); err != nil {
				t.Fatalf("%s on %s: %v", s.name, p.cfg.Name, err)
			}
			// With the pool part-rotated, every server still gets what
			// every other gossips.
			round++
			c.gossipVersions(fmt.Sprintf("0.1.%d", round))
		}
	}
	for _, p := range c.pools {
		if got := p.ListKeys(); got.Primary != newKey || len(got.Keys) != 1 {
			t.Errorf("%s keyring after rotation: %+v, want only the new key", p.cfg.Name, got)
		}
	}
	c.waitAllSee(3)
	for i, l := range c.logs {
		if n := l.count(EventFailed, ""); n != 0 {
			t.Errorf("s%d saw %d failures during the rotation", i, n)
		}
	}

	// Only the new key joins now.
	late, _ := c.start(testConfig(t, "late-old", province, oldKey))
	if _, err := late.Join([]string{c.pools[0].LocalAddr()}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("join with the removed key: %v, want ErrKeyMismatch", err)
	}
	fresh, _ := c.start(testConfig(t, "late-new", province, newKey))
	if _, err := fresh.Join([]string{c.pools[0].LocalAddr()}); err != nil {
		t.Errorf("join with the new key: %v", err)
	}
}

func TestKeyringOps(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province)
	p := c.pools[0]
	k2 := mustKey(t)
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"remove primary", p.RemoveKey(c.key), ErrPrimaryKey},
		{"use uninstalled", p.UseKey(k2), ErrKeyNotInstalled},
		{"remove uninstalled", p.RemoveKey(k2), ErrKeyNotInstalled},
		{"install AES-128", p.InstallKey(short), ErrBadKey},
		{"install non-base64", p.InstallKey("not a key!"), ErrBadKey},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if err := p.RemoveKey(c.key); err == nil || err.Error() != "remove key: cannot remove the primary gossip key; use another key first" {
		t.Errorf("remove primary message: %v", err)
	}
	if err := p.InstallKey(k2); err != nil {
		t.Fatal(err)
	}
	if err := p.InstallKey(k2); err != nil {
		t.Errorf("installing twice: %v", err)
	}
	if got := p.ListKeys(); got.Primary != c.key || len(got.Keys) != 2 || got.Keys[1] != k2 {
		t.Errorf("ListKeys = %+v", got)
	}
}

// TestKeyErrorPhrases pins the memberlist messages isKeyError matches, by
// provoking each with real memberlist instances.
func TestKeyErrorPhrases(t *testing.T) {
	t.Parallel()
	k1, k2 := make([]byte, 32), make([]byte, 32)
	k2[0] = 1
	cases := []struct {
		name         string
		server, join []byte // nil: no encryption
	}{
		{"different keys", k1, k2},
		{"joiner without key", k1, nil},
		{"server without key", nil, k1},
	}
	for _, tc := range cases {
		srv := rawMemberlist(t, "srv", tc.server, nil)
		j := rawMemberlist(t, "joiner", tc.join, nil)
		_, err := j.Join([]string{srv.LocalNode().Address()})
		if err == nil || !isKeyError(err) {
			t.Errorf("%s: join error %v is not recognised as a key error", tc.name, err)
		}
	}
	if isKeyError(errors.New("dial tcp 127.0.0.1:1: connection refused")) {
		t.Error("connection refused taken for a key error")
	}
}

// rawMemberlist starts a bare memberlist (no Pool) on loopback, with an
// optional key and metadata.
func rawMemberlist(t *testing.T, name string, key, meta []byte) *memberlist.Memberlist {
	t.Helper()
	mc := memberlist.DefaultLocalConfig()
	mc.Name, mc.BindAddr, mc.BindPort, mc.AdvertisePort = name, "127.0.0.1", 0, 0
	mc.SecretKey = key
	mc.Logger = newStdLogger(testLogger(t))
	if meta != nil {
		mc.Delegate = rawMeta(meta)
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ml.Shutdown() })
	return ml
}

// rawMeta is a memberlist.Delegate that gossips fixed metadata.
type rawMeta []byte

func (m rawMeta) NodeMeta(int) []byte             { return m }
func (rawMeta) NotifyMsg([]byte)                  {}
func (rawMeta) GetBroadcasts(_, _ int) [][]byte   { return nil }
func (rawMeta) LocalState(bool) []byte            { return nil }
func (rawMeta) MergeRemoteState(_ []byte, _ bool) {}

// gossipVersions has every pool gossip version v in its metadata and waits
// until every pool sees every other's.
func (c *cluster) gossipVersions(v string) {
	c.t.Helper()
	for _, p := range c.pools {
		m := p.Local().Meta
		m.Version = v
		// A broadcast timeout is a warning (the update keeps spreading);
		// the wait below checks that it arrives.
		if err := p.UpdateMeta(m); err != nil && !errors.Is(err, ErrBroadcastTimeout) {
			c.t.Fatalf("%s: update meta: %v", p.cfg.Name, err)
		}
	}
	waitFor(c.t, 10*time.Second, "version "+v+" seen everywhere", func() error {
		for _, p := range c.pools {
			for _, m := range p.Members() {
				if m.Version != v {
					return fmt.Errorf("%s sees %s at version %s", p.cfg.Name, m.Name, m.Version)
				}
			}
		}
		return nil
	})
}

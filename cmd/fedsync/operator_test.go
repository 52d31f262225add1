package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/node"
)

// TestOperatorRaftCLI: a second server started with --join waits, is
// added with add-voter --server-http, shows in list-peers on both, and
// remove-peer refuses the leader but removes the follower.
func TestOperatorRaftCLI(t *testing.T) {
	county := area.MustParse("210102000000")
	pki := testPKI(t)
	// A group of two on a loaded machine: a raft_timeout longer than the
	// demo's keeps its leader in place.
	start := func(dir, name string, bootstrap bool) *node.Node {
		cfg, err := demoConfig(pki, county, dir, "127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Name, cfg.Bootstrap, cfg.RaftTimeout = name, bootstrap, node.Duration{Duration: time.Second}
		if cfg.TLS, err = demoTLS(pki, county, cfg.Name); err != nil {
			t.Fatal(err)
		}
		n, err := startNode(context.Background(), cfg, newLogger(io.Discard, "error"))
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { n.Stop() })
		return n
	}
	firstDir := t.TempDir()
	first := start(firstDir, string(county)+"-first", true)
	if _, _, err := demoClient(context.Background(), first.HTTPURL(), firstDir, demoCA(pki)); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(firstDir, demoTokenFile)                 // the group's admin token, once the second server has joined
	second := start(t.TempDir(), string(county)+"-second", false) // waits to join, without failing
	cfg := second.Config()
	// A server waiting to join holds no token: its status needs none.
	r := runCLI(t, "", withCA(pki, "status", "-o", "json", "--http-addr", second.HTTPAddr())...)
	if r.code != 0 || !strings.Contains(r.stdout, "waiting to join") {
		t.Fatalf("status of a server waiting to join:\n%s", r)
	}
	r = runCLI(t, "", withCA(pki, "operator", "raft", "add-voter", "--server-http", second.HTTPAddr(), "--http-addr", first.HTTPAddr(), "--token-file", tok)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Added "+cfg.Name) {
		t.Fatalf("add-voter:\n%s", r)
	}
	var peers []api.RaftPeer
	checkFor(t, 20*time.Second, func() error {
		r = runCLI(t, "", withCA(pki, "operator", "raft", "list-peers", "-o", "json", "--http-addr", second.HTTPAddr(), "--token-file", tok)...)
		peers = nil
		if err := json.Unmarshal([]byte(r.stdout), &peers); err != nil {
			return err
		}
		if len(peers) != 2 || peers[0].Error != "" || peers[1].Error != "" || peers[0].HTTP == "" || peers[1].HTTP == "" {
			return fmt.Errorf("list-peers: %+v", peers)
		}
		return nil
	})
	r = runCLI(t, "", withCA(pki, "operator", "raft", "list-peers", "--http-addr", first.HTTPAddr(), "--token-file", tok)...)
	if r.code != 0 || !strings.Contains(r.stdout, "LAST INDEX") || !strings.Contains(r.stdout, cfg.Name) {
		t.Fatalf("list-peers table:\n%s", r)
	}
	// Sent to the follower, forwarded to the leader, which refuses to
	// remove itself without --force. A group of two on a loaded machine
	// may be between leaders for a moment: a 503 is retried.
	retry503 := func(what string, ok func(result) bool, args ...string) {
		checkFor(t, 20*time.Second, func() error {
			r = runCLI(t, "", withCA(pki, append(args, "--token-file", tok)...)...)
			if ok(r) {
				return nil
			}
			if strings.Contains(r.stderr, "503") {
				return fmt.Errorf("%s: %s", what, r)
			}
			t.Fatalf("%s:\n%s", what, r)
			return nil
		})
	}
	retry503("remove the leader", func(r result) bool { return r.code == exitError && strings.Contains(r.stderr, "is the leader") },
		"operator", "raft", "remove-peer", first.Config().Name, "--http-addr", second.HTTPAddr())
	retry503("remove the follower", func(r result) bool { return r.code == 0 },
		"operator", "raft", "remove-peer", cfg.Name, "--http-addr", second.HTTPAddr())
	r = runCLI(t, "", withCA(pki, "operator", "raft", "list-peers", "-o", "json", "--http-addr", first.HTTPAddr(), "--token-file", tok)...)
	if err := json.Unmarshal([]byte(r.stdout), &peers); err != nil || len(peers) != 1 {
		t.Fatalf("after remove-peer: %v\n%s", err, r)
	}
}

// TestSnapshotCLI: save from a running agent, inspect, and refuse to
// restore into a running server or one of another area.
func TestSnapshotCLI(t *testing.T) {
	street := area.MustParse("210102001000")
	dir := t.TempDir()
	pki := testPKI(t)
	n, _ := startTestNode(t, pki, street, dir, nil, 0)
	path := filepath.Join(t.TempDir(), "street.snap")
	r := runCLI(t, "", withCA(pki, "snapshot", "save", path, "--http-addr", n.HTTPAddr(), "--token-file", filepath.Join(dir, demoTokenFile))...)
	if r.code != 0 || !strings.Contains(r.stdout, "verified") {
		t.Fatalf("snapshot save:\n%s", r)
	}
	r = runCLI(t, "", "snapshot", "inspect", path)
	if r.code != 0 || !strings.Contains(r.stdout, "verify      ok") || !strings.Contains(r.stdout, "community") {
		t.Fatalf("snapshot inspect:\n%s", r)
	}
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	r = runCLI(t, "", "snapshot", "restore", path, "--config", cfgPath)
	if r.code != exitError || !strings.Contains(r.stderr, "stop the agent") {
		t.Fatalf("restore under a running agent:\n%s", r)
	}
	otherDir := t.TempDir()
	other, err := demoConfig(pki, area.MustParse("210102002000"), otherDir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "snapshot", "restore", path, "--config", filepath.Join(otherDir, node.ConfigFileName))
	if r.code != exitError || !strings.Contains(r.stderr, "another area") || !strings.Contains(r.stderr, string(other.Area)) {
		t.Fatalf("restore of another area's snapshot:\n%s", r)
	}
	b, _ := os.ReadFile(path)
	cut := filepath.Join(t.TempDir(), "cut.snap")
	_ = os.WriteFile(cut, b[:len(b)/2], 0o600)
	r = runCLI(t, "", "snapshot", "inspect", cut)
	if r.code != exitError || !strings.Contains(r.stderr, "truncated") {
		t.Fatalf("inspect a truncated file:\n%s", r)
	}
}

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
	gossippool "fedsync/federation"
	"fedsync/node"
	"fedsync/tlsutil"
)

// startGossipNode starts a node of code (as the demo configures it) in a
// gossip pool with fast timings, the keyring file and ACLs off, joining
// join.
func startGossipNode(t *testing.T, pki *tlsutil.DevPKI, code area.Code, keyring string, join ...string) *node.Node {
	t.Helper()
	cfg, err := demoConfig(pki, code, t.TempDir(), "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ACL.Enabled = false // the keyring fan-out needs one token valid on every server
	g := &cfg.Gossip
	g.Enabled, g.BindAddr, g.KeyringFile, g.TimingScale, g.Join = true, "127.0.0.1:0", keyring, 10, join
	n, err := startNode(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func TestMembershipCLI(t *testing.T) {
	oldKey, _ := gossippool.GenerateKey()
	newKey, _ := gossippool.GenerateKey()
	keyring := func() string {
		p := filepath.Join(t.TempDir(), "keyring")
		if err := os.WriteFile(p, []byte(oldKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pki := testPKI(t)
	county := startGossipNode(t, pki, area.MustParse("210102000000"), keyring())
	street := startGossipNode(t, pki, testStreet, keyring(), county.Gossip().LocalAddr())
	at := withCA(pki, "--http-addr", county.HTTPAddr())
	cli := func(args ...string) result { return runCLI(t, "", append(args, at...)...) }

	checkFor(t, 20*time.Second, func() error {
		r := cli("members", "-o", "json")
		var ms []api.Member
		if err := json.Unmarshal([]byte(r.stdout), &ms); err != nil {
			return fmt.Errorf("%v: %s", err, r)
		}
		if len(ms) != 2 || ms[0].Status != "alive" || ms[1].Status != "alive" {
			return fmt.Errorf("members: %+v", ms)
		}
		return nil
	})
	if r := cli("members", "--level", "street"); r.code != 0 || !strings.Contains(r.stdout, street.Config().Name) || strings.Contains(r.stdout, county.Config().Name) {
		t.Errorf("members --level street:\n%s", r)
	}
	if r := cli("members", "--level", "village"); r.code != exitError || !strings.Contains(r.stderr, "--level") {
		t.Errorf("members --level village:\n%s", r)
	}
	if r := cli("keyring", "list"); r.code != 0 || !strings.Contains(r.stdout, "all 2 servers hold the same keys") {
		t.Errorf("keyring list:\n%s", r)
	}
	if r := cli("keyring", "use", newKey); r.code != exitError || !strings.Contains(r.stderr, "not installed on") {
		t.Errorf("keyring use before install:\n%s", r)
	}
	for _, args := range [][]string{{"install", newKey}, {"use", newKey}, {"remove", oldKey}} {
		if r := cli(append([]string{"keyring"}, args...)...); r.code != 0 || strings.Count(r.stdout, "done") != 2 {
			t.Fatalf("keyring %s:\n%s", args[0], r)
		}
	}
	fp := node.KeyFingerprint(newKey)
	for _, n := range []*node.Node{county, street} {
		k, err := n.Keyring()
		if err != nil || k.Primary != fp || len(k.Keys) != 1 {
			t.Errorf("%s keyring after rotation: %+v %v, want only %s", n.Config().Name, k, err, fp)
		}
	}
	if r := cli("keyring", "remove", newKey, "--local"); r.code != exitError || !strings.Contains(r.stderr, "still the primary key") {
		t.Errorf("removing the primary key:\n%s", r)
	}
	if r := runCLI(t, newKey+"\n", append([]string{"keyring", "install", "-", "--local"}, at...)...); r.code != 0 {
		t.Errorf("keyring install - (stdin):\n%s", r)
	}
	if r := cli("keyring", "install", "not-a-key"); r.code != exitError || !strings.Contains(r.stderr, "base64 of 32 bytes") {
		t.Errorf("a bad key:\n%s", r)
	}
	if r := cli("force-leave", "nosuch"); r.code != exitError || !strings.Contains(r.stderr, "unknown member") {
		t.Errorf("force-leave of an unknown server:\n%s", r)
	}
	if r := cli("force-leave", street.Config().Name); r.code != exitError || !strings.Contains(r.stderr, "alive") {
		t.Errorf("force-leave of an alive server:\n%s", r)
	}
	if r := runCLI(t, "", withCA(pki, "leave", "--http-addr", street.HTTPAddr())...); r.code != 0 {
		t.Fatalf("leave:\n%s", r)
	}
	checkFor(t, 20*time.Second, func() error {
		r := cli("members", "--area", string(testStreet))
		if !strings.Contains(r.stdout, "left") {
			return fmt.Errorf("street not listed as left:\n%s", r)
		}
		return nil
	})
}

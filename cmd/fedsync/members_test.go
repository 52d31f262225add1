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
// gossip pool with fast timings and the keyring file, joining join. ACLs
// are on: the returned file holds the node's own admin token.
func startGossipNode(t *testing.T, pki *tlsutil.DevPKI, code area.Code, keyring string, join ...string) (*node.Node, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := demoConfig(pki, code, dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &cfg.Gossip
	g.Enabled, g.BindAddr, g.KeyringFile, g.TimingScale, g.Join = true, "127.0.0.1:0", keyring, 10, join
	n, err := startNode(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	if _, _, err := demoClient(context.Background(), n.HTTPURL(), dir, demoCA(pki)); err != nil {
		t.Fatal(err)
	}
	return n, filepath.Join(dir, demoTokenFile)
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
	county, countyTok := startGossipNode(t, pki, area.MustParse("210102000000"), keyring())
	street, streetTok := startGossipNode(t, pki, testStreet, keyring(), county.Gossip().LocalAddr())
	// One admin token, the county's: the keyring commands reach the street
	// through gossip, not through its API.
	at := withCA(pki, "--http-addr", county.HTTPAddr(), "--token-file", countyTok)
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
	if r := cli("members", "--status", "suspect"); r.code != exitError || !strings.Contains(r.stderr, "--status") {
		t.Errorf("members --status suspect:\n%s", r)
	}
	if r := cli("members", "--status", "dead"); r.code != 0 || !strings.Contains(r.stdout, "no server matches") {
		t.Errorf("members --status dead with none dead:\n%s", r)
	}
	if r := cli("members", "--level", "village"); r.code != exitError || !strings.Contains(r.stderr, "--level") {
		t.Errorf("members --level village:\n%s", r)
	}
	if r := cli("keyring", "list"); r.code != 0 || !strings.Contains(r.stdout, "all 2 servers that answered hold the same keys") {
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
	// A street's server may change its own keys, not its county's.
	thirdKey, _ := gossippool.GenerateKey()
	r := runCLI(t, "", withCA(pki, "keyring", "install", thirdKey, "--http-addr", street.HTTPAddr(), "--token-file", streetTok)...)
	if r.code != 0 || strings.Count(r.stdout, "done") != 1 || !strings.Contains(r.stdout, "skipped") || !strings.Contains(r.stdout, "(outside ") {
		t.Errorf("keyring install asked by the street:\n%s", r)
	}
	if k, _ := county.Keyring(); len(k.Keys) != 1 {
		t.Errorf("the county's keyring changed on the street's request: %+v", k)
	}
	if k, _ := street.Keyring(); len(k.Keys) != 2 {
		t.Errorf("the street's keyring: %+v, want the third key installed", k)
	}
	if r := cli("keyring", "remove", thirdKey, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"result": "not installed (nothing to do)"`) {
		t.Errorf("keyring remove of a key only the street holds:\n%s", r)
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
	if r := runCLI(t, "", withCA(pki, "leave", "--http-addr", street.HTTPAddr(), "--token-file", streetTok)...); r.code != 0 {
		t.Fatalf("leave:\n%s", r)
	}
	checkFor(t, 20*time.Second, func() error {
		r := cli("members", "--status", "left")
		if !strings.Contains(r.stdout, street.Config().Name) || strings.Contains(r.stdout, county.Config().Name) {
			return fmt.Errorf("street not listed as left:\n%s", r)
		}
		return nil
	})
}

package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fedsync/node"
)

func TestInitRaftFlags(t *testing.T) {
	dir := t.TempDir()
	peers := []string{"--peer", "heping-1=10.0.3.7:8701", "--peer", "heping-2=10.0.3.8:8701", "--peer", "heping-3=10.0.3.9:8701"}
	r := runCLI(t, "", append([]string{"init", "--area", "210102000000", "--data-dir", dir, "--name", "heping-1", "--insecure-plaintext",
		"--raft-addr", "0.0.0.0:8701", "--raft-advertise", "10.0.3.7:8701", "--bootstrap-expect", "3"}, peers...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "a group of 3") {
		t.Fatalf("init of a static group:\n%s", r)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Raft.BootstrapExpect != 3 || cfg.Raft.Advertise != "10.0.3.7:8701" || !slices.Equal(cfg.Raft.Peers, []string{"heping-1=10.0.3.7:8701", "heping-2=10.0.3.8:8701", "heping-3=10.0.3.9:8701"}) {
		t.Fatalf("[raft] = %+v", cfg.Raft)
	}
	r = runCLI(t, "", "init", "--area", "210102000000", "--data-dir", t.TempDir(), "--name", "heping-2", "--insecure-plaintext", "--join", "--http-addr", "10.0.3.8:8700")
	if r.code != 0 || !strings.Contains(r.stdout, "add-voter --server-http 10.0.3.8:8700") {
		t.Fatalf("init --join:\n%s", r)
	}
	r = runCLI(t, "", append([]string{"init", "--area", "210102000000", "--data-dir", t.TempDir(), "--name", "heping-4", "--insecure-plaintext",
		"--raft-addr", "0.0.0.0:8701", "--bootstrap-expect", "3"}, peers...)...)
	if r.code != exitError || !strings.Contains(r.stderr, "raft.advertise") || !strings.Contains(r.stderr, `"heping-4" is not listed`) {
		t.Fatalf("init of a server outside its peer list, on 0.0.0.0:\n%s", r)
	}
}

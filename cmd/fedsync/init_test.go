package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fedsync/node"
)

func TestInitSyncFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "heping")
	r := runCLI(t, "", "init", "--area", "210102000000", "--data-dir", dir,
		"--sync-addr", "10.0.3.7:8702", "--parent", "10.0.1.2:8702", "--parent", "10.0.1.3:8702", "--insecure-plaintext")
	if r.code != 0 {
		t.Fatalf("init:\n%s", r)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.1.2:8702", "10.0.1.3:8702"}; cfg.SyncAddr != "10.0.3.7:8702" || !slices.Equal(cfg.Parent, want) {
		t.Errorf("config sync_addr %q parent %q, want 10.0.3.7:8702 and %q", cfg.SyncAddr, cfg.Parent, want)
	}
	for _, want := range []string{"init each of them with --parent 10.0.3.7:8702", "to 沈阳市 (210100000000) at 10.0.1.2:8702, 10.0.1.3:8702"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("init output lacks %q:\n%s", want, r)
		}
	}
}

func TestInitSyncDefaults(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir, "--insecure-plaintext")
	if r.code != 0 || !strings.Contains(r.stdout, "Parent: none yet") || strings.Contains(r.stdout, "Children:") {
		t.Errorf("init of a street without --parent:\n%s", r)
	}
	cfg, err := node.LoadConfig(filepath.Join(dir, node.ConfigFileName))
	if err != nil || cfg.SyncAddr != node.DefaultConfig().SyncAddr || len(cfg.Parent) != 0 {
		t.Errorf("config %+v, %v: want the default sync_addr and no parent", cfg, err)
	}
}

func TestInitSyncFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--area", string(testStreet), "--parent", "county"}, `--parent "county": want the host:port`},
		{[]string{"--area", string(testStreet), "--sync-addr", "8702"}, `--sync-addr "8702": want host:port`},
		{[]string{"--area", "210000000000", "--parent", "10.0.0.1:8702"}, "--parent: 210000000000 is the province"},
	}
	for _, tt := range tests {
		args := append([]string{"init", "--data-dir", t.TempDir(), "--insecure-plaintext"}, tt.args...)
		r := runCLI(t, "", args...)
		if r.code != exitError || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "fedsync init --help") {
			t.Errorf("%s: want exit 1 and %q:\n%s", strings.Join(tt.args, " "), tt.want, r)
		}
	}
}

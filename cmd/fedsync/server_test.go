package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/node"
)

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir, "--http-addr", "127.0.0.1:9700", "--raft-addr", "127.0.0.1:9701")
	if r.code != 0 {
		t.Fatalf("init:\n%s", r)
	}
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	if !strings.Contains(r.stdout, "fedsync agent -config "+cfgPath) || !strings.Contains(r.stdout, "浑河湾街道") {
		t.Errorf("init does not print the next step:\n%s", r)
	}
	cfg, err := node.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Area != testStreet || cfg.DataDir != dir || cfg.HTTPAddr != "127.0.0.1:9700" || cfg.RaftAddr != "127.0.0.1:9701" {
		t.Errorf("config = %+v", cfg)
	}
	if r = runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("init again, same area:\n%s", r)
	}
	r = runCLI(t, "", "init", "--area", "210102000000", "--data-dir", dir)
	if r.code != exitError || !strings.Contains(r.stderr, "already holds the config of 210102001000") {
		t.Errorf("init with another area:\n%s", r)
	}
}

func TestInitRefusesBadAreas(t *testing.T) {
	tests := []struct{ area, want string }{
		{"2101", "12 digits"},
		{"210102001002", "is a community"},
		{"219999000000", "not in the division data"},
	}
	for _, tt := range tests {
		r := runCLI(t, "", "init", "--area", tt.area, "--data-dir", t.TempDir())
		if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("init --area %s: want exit 1 and %q:\n%s", tt.area, tt.want, r)
		}
	}
}

func TestAgentConfigErrors(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "", "agent")
	if r.code != exitError || !strings.Contains(r.stderr, "fedsync init") {
		t.Errorf("agent without -config:\n%s", r)
	}
	r = runCLI(t, "", "agent", "-config", filepath.Join(dir, "missing.toml"))
	if r.code != exitError || !strings.Contains(r.stderr, "does not exist") || !strings.Contains(r.stderr, "fedsync init") {
		t.Errorf("agent with a missing config:\n%s", r)
	}
	bad := filepath.Join(dir, "bad.toml")
	_ = os.WriteFile(bad, []byte("area = \"2101\"\nlog_level = \"loud\"\nhttp_addr = \"nowhere\"\n"), 0o644)
	r = runCLI(t, "", "agent", "-config", bad)
	for _, want := range []string{"4 problem(s)", "area:", "log_level:", "http_addr:", "data_dir:"} {
		if r.code != exitError || !strings.Contains(r.stderr, want) {
			t.Errorf("agent with a bad config: stderr lacks %q:\n%s", want, r)
		}
	}
	cfg := node.DefaultConfig()
	cfg.Area, cfg.DataDir = testStreet, filepath.Join(dir, "gone")
	path := filepath.Join(dir, "gone.toml")
	if err := node.WriteConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "agent", "--config", path)
	if r.code != exitError || !strings.Contains(r.stderr, "data_dir "+cfg.DataDir+" does not exist") {
		t.Errorf("agent with a missing data dir:\n%s", r)
	}
}

// TestDemoExit runs the whole demo in-process: a real street node on
// loopback, the generated roster written through the API, the report.
func TestDemoExit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real node")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCLI(t, "", "demo", "--exit", "--quiet", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--year", "2023")
	if r.code != 0 {
		t.Fatalf("demo --exit:\n%s", r)
	}
	want := []string{"浑河湾街道 (210102001000) · street · year 2023 · targets of 2023",
		"(0 refused)", "urban communities with ≥10 orgs", "邻里守望", "serving the API at http://127.0.0.1:", "curl -s"}
	for _, d := range area.Children(testStreet) {
		want = append(want, d.Name)
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("demo output lacks %q", w)
		}
	}
	if !strings.Contains(r.stdout, "✓") || !strings.Contains(r.stdout, "✗") {
		t.Errorf("demo report shows no ✓ and ✗ (the roster puts a quarter of the communities below target)")
	}
	if t.Failed() {
		t.Logf("output:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, node.ConfigFileName)); err != nil {
		t.Errorf("demo with --data-dir left no config: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/node"
)

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir, "--http-addr", "127.0.0.1:9700", "--raft-addr", "127.0.0.1:9701", "--insecure-plaintext")
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
		r := runCLI(t, "", "init", "--area", tt.area, "--data-dir", t.TempDir(), "--insecure-plaintext")
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
	for _, want := range []string{"5 problem(s)", "area:", "log_level:", "http_addr:", "data_dir:", "tls: no certificates configured", "fedsync tls ca create"} {
		if r.code != exitError || !strings.Contains(r.stderr, want) {
			t.Errorf("agent with a bad config: stderr lacks %q:\n%s", want, r)
		}
	}
	cfg := node.DefaultConfig()
	cfg.Area, cfg.DataDir = testStreet, filepath.Join(dir, "gone")
	cfg.TLS.InsecurePlaintext = true
	cfg.Privacy.UnsafeDevKey = true
	path := filepath.Join(dir, "gone.toml")
	if err := node.WriteConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "agent", "--config", path)
	if r.code != exitError || !strings.Contains(r.stderr, "data_dir "+cfg.DataDir+" does not exist") {
		t.Errorf("agent with a missing data dir:\n%s", r)
	}
}

// TestDemoExit runs the whole demo federation in-process: a city, two
// counties and four streets on loopback, the generated rosters written
// through the streets' APIs, replicated up to the city, and its report.
func TestDemoExit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nodes")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCLI(t, "", "demo", "--exit", "--quiet", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--year", "2023")
	if r.code != 0 {
		t.Fatalf("demo --exit:\n%s", r)
	}
	tree, err := demoTree(area.MustParse(demoCity))
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 7 {
		t.Fatalf("demo tree = %v, want a city, two counties, four streets", tree)
	}
	for _, w := range []string{"沈阳市 (210100000000) · city · year 2023 · targets of 2023",
		"沈阳市 holds all", "urban communities with ≥10 orgs", "Mutual TLS is on", "export FEDSYNC_CA_FILE=", "邻里守望", "verify --child", "report --area 210102000000"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("demo output lacks %q", w)
		}
	}
	report, fresh, _ := strings.Cut(r.stdout, "Freshness:")
	fresh, nodes, _ := strings.Cut(fresh, "The demo federation:")
	nodes, _, _ = strings.Cut(nodes, "Try, in another terminal")
	for _, code := range tree {
		d, _ := area.Lookup(code)
		switch code.Level() {
		case area.LevelCounty: // a child row of the city's report, with its organizations
			if row := rowsWith(report, string(code)); len(row) != 1 || !strings.Contains(row[0], d.Name) || strings.Contains(row[0], " 0 ") {
				t.Errorf("city report row of %s = %q", d.Name, row)
			}
		case area.LevelStreet: // in the freshness table, with its seq at the city
			if row := rowsWith(fresh, string(code)); len(row) != 1 || !strings.Contains(row[0], d.Name) || !strings.Contains(row[0], "ago") {
				t.Errorf("freshness row of %s = %q", d.Name, row)
			}
		}
		if row := rowsWith(nodes, string(code)); len(row) != 1 || !strings.Contains(row[0], "127.0.0.1:") {
			t.Errorf("node row of %s = %q", d.Name, row)
		}
		if _, err := os.Stat(filepath.Join(dir, string(code), node.ConfigFileName)); err != nil {
			t.Errorf("demo with --data-dir left no config for %s: %v", d.Name, err)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", r)
	}
}

// TestDemoStreetExit runs the single-street demo: a real street node, the
// generated roster written through the API, the street's report.
func TestDemoStreetExit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real node")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	r := runCLI(t, "", "demo", "--street", string(testStreet), "--exit", "--quiet", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--year", "2023")
	if r.code != 0 {
		t.Fatalf("demo --street --exit:\n%s", r)
	}
	want := []string{"浑河湾街道 (210102001000) · street · year 2023 · targets of 2023",
		"(0 refused)", "urban communities with ≥10 orgs", "邻里守望", "serving the API at https://127.0.0.1:", "curl -s --cacert", "Mutual TLS is on"}
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

func TestDemoFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--city", "210102000000"}, "--city 210102000000: want the code of a city"},
		{[]string{"--street", "210102000000"}, "--street 210102000000: want the code of a street"},
		{[]string{"--city", "210100000000", "--street", string(testStreet)}, "give one of them"},
	}
	for _, tt := range tests {
		r := runCLI(t, "", append([]string{"demo", "--exit", "--http-addr", "127.0.0.1:0"}, tt.args...)...)
		if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("demo %s: want exit 1 and %q:\n%s", strings.Join(tt.args, " "), tt.want, r)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAgentServesUntilCanceled runs `fedsync agent` in-process on a
// directory made by `fedsync init`, talks to it, refuses a second agent on
// the same directory, and stops it as SIGINT would.
func TestAgentServesUntilCanceled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real node")
	}
	dir := filepath.Join(t.TempDir(), "data")
	if r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--raft-addr", "127.0.0.1:0", "--insecure-plaintext"); r.code != 0 {
		t.Fatalf("init:\n%s", r)
	}
	cfg := filepath.Join(dir, node.ConfigFileName)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"agent", "-config", cfg}, strings.NewReader(""), &out, &errb) }()
	addr := waitFor(t, &out, regexp.MustCompile(`serving the API at (http://\S+)`))

	r := runCLI(t, "", "org", "list", "--http-addr", addr)
	if r.code != exitError || !strings.Contains(r.stderr, "401 token required") || !strings.Contains(r.stderr, "fedsync acl bootstrap") {
		t.Errorf("org list without a token:\n%s", r)
	}
	r = runCLI(t, "", "acl", "bootstrap", "--http-addr", addr, "-o", "json")
	var boot struct{ Secret, Accessor string }
	if err := json.Unmarshal([]byte(r.stdout), &boot); r.code != 0 || err != nil || boot.Secret == "" {
		t.Fatalf("acl bootstrap:\n%s", r)
	}
	if r = runCLI(t, "", "acl", "bootstrap", "--http-addr", addr); r.code != exitError || !strings.Contains(r.stderr, "409 ACL bootstrap already done") {
		t.Errorf("second acl bootstrap:\n%s", r)
	}
	tokFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(tokFile, []byte(boot.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r = runCLI(t, "", "status", "--http-addr", addr); r.code != exitError || !strings.Contains(r.stderr, "401 token required") {
		t.Errorf("status without a token once the node has one:\n%s", r)
	}
	r = runCLI(t, "", "status", "--http-addr", addr, "--token-file", tokFile)
	if r.code != 0 || !strings.Contains(r.stdout, "浑河湾街道") {
		t.Errorf("status against the agent:\n%s", r)
	}
	r = runCLI(t, "", "acl", "token", "create", "--role", "viewer", "--description", "desk", "--http-addr", addr, "--token", boot.Secret, "-o", "json")
	var viewer struct{ Secret, Accessor string }
	if err := json.Unmarshal([]byte(r.stdout), &viewer); r.code != 0 || err != nil {
		t.Fatalf("acl token create:\n%s", r)
	}
	r = runCLI(t, "", "org", "add", "--community", "210102001002", "--name", "读书会", "--category", "文体活动类", "--tier", "社区指导",
		"--founded", "2021-03-01", "--members", "12", "--status", "正常", "--http-addr", addr, "--token", viewer.Secret)
	if r.code != exitError || !strings.Contains(r.stderr, "403 forbidden") || !strings.Contains(r.stderr, viewer.Accessor) {
		t.Errorf("viewer adding an org:\n%s", r)
	}
	r = runCLI(t, "", "acl", "token", "list", "--http-addr", addr, "--token", boot.Secret)
	if r.code != 0 || !strings.Contains(r.stdout, viewer.Accessor) || !strings.Contains(r.stdout, "desk") {
		t.Errorf("acl token list:\n%s", r)
	}
	if r = runCLI(t, "", "acl", "token", "revoke", viewer.Accessor, "--http-addr", addr, "--token", boot.Secret); r.code != 0 {
		t.Errorf("acl token revoke:\n%s", r)
	}
	if r = runCLI(t, "", "acl", "whoami", "--http-addr", addr, "--token", viewer.Secret); r.code != exitError || !strings.Contains(r.stderr, "401 token revoked") {
		t.Errorf("whoami with a revoked token:\n%s", r)
	}
	r = runCLI(t, "", "agent", "-config", cfg)
	if r.code != exitError || !strings.Contains(r.stderr, "in use") || !strings.Contains(r.stderr, dir) {
		t.Errorf("second agent on the same data dir:\n%s", r)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "stopping") {
			t.Errorf("agent exit %d after cancel, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("agent did not stop within 30s of cancel")
	}
}

// waitFor polls w until re matches, returning the first group.
func waitFor(t *testing.T, w *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(w.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no match for %v within 30s in:\n%s", re, w.String())
	return ""
}

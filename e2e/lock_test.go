package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecondAgentRefused starts a second agent on a data directory an
// agent already holds: it must exit non-zero saying the directory is in
// use, and leave the first agent serving.
func TestSecondAgentRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t, crashStreet)
	s.start()
	file := writeOrgCSV(t, t.TempDir(), crashStreet, 100)
	if r := s.cli("import", file, "--kind", "org", "--quiet"); r.code != 0 {
		t.Fatalf("import failed:\n%s", r)
	}

	tests := []struct {
		name   string
		config string
	}{
		{"same config", s.config},
		{"same data dir, other ports", otherPortsConfig(t, s)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startAgent(t, s.logPath, "=== second agent "+tt.name, "agent", "-config", tt.config)
			if !p.waitExit(healthTimeout) {
				t.Fatalf("second agent on %s still running after %v, want it refused", s.dataDir, healthTimeout)
			}
			if code := p.exitCode(); code == 0 {
				t.Errorf("second agent exited 0, want non-zero")
			}
			out := secondRunLog(t, s.logPath, i)
			if !mentionsDataDirInUse(out, s.dataDir) {
				t.Errorf("second agent's message does not say the data directory %s is in use:\n%s", s.dataDir, out)
			}
		})
	}

	if got := s.count("org"); got != 100 {
		t.Errorf("first agent holds %d orgs after the refused starts, want 100", got)
	}
	requireVerifyOK(t, s)
}

// otherPortsConfig writes a copy of s's config with fresh ports, so that
// only the data directory is shared.
func otherPortsConfig(t *testing.T, s *server) string {
	t.Helper()
	b, err := os.ReadFile(s.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	for key, old := range map[string]string{"http_addr": s.httpAddr, "raft_addr": s.raftAddr, "sync_addr": s.syncAddr} {
		re := regexp.MustCompile(`(?m)^(\s*` + key + `\s*=\s*)"` + regexp.QuoteMeta(old) + `"`)
		if !re.MatchString(cfg) {
			t.Fatalf("config %s has no %s = %q:\n%s", s.config, key, old, cfg)
		}
		cfg = re.ReplaceAllString(cfg, `${1}"`+freeAddr(t)+`"`)
	}
	path := filepath.Join(t.TempDir(), "second.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// secondRunLog returns the output of the i-th second agent from the log.
func secondRunLog(t *testing.T, logPath string, i int) string {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), "=== second agent ")
	if len(parts) < i+2 {
		t.Fatalf("agent log holds %d second-agent runs, want %d:\n%s", len(parts)-1, i+1, b)
	}
	return parts[i+1]
}

// mentionsDataDirInUse reports whether out says that dir is in use.
func mentionsDataDirInUse(out, dir string) bool {
	lower := strings.ToLower(out)
	return strings.Contains(out, dir) && strings.Contains(lower, "data dir") &&
		(strings.Contains(lower, "in use") || strings.Contains(lower, "locked"))
}

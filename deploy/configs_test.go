package deploy_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/node"
	"fedsync/tlsutil"
)

// TestExampleConfigs loads every example config as the agent would and
// checks that the street, county and city point up the division tree.
// It needs no Docker.
func TestExampleConfigs(t *testing.T) {
	cfgs := map[string]node.Config{}
	pki, err := tlsutil.NewDevPKI(t.TempDir(), "deploy-test")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"street", "county", "city"} {
		cfgs[name] = loadWithPKI(t, filepath.Join("examples", name+".toml"), pki)
	}
	for _, up := range [][2]string{{"street", "county"}, {"county", "city"}} {
		child, parent := cfgs[up[0]], cfgs[up[1]]
		if got, want := child.Area.Parent(), parent.Area; got != want {
			t.Errorf("examples/%s.toml: area %s lies under %s, want under the %s example's %s", up[0], child.Area, got, up[1], want)
		}
		if len(child.Parent) == 0 {
			t.Errorf("examples/%s.toml: no parent; want the %s's sync address", up[0], up[1])
		}
		if _, port, _ := net.SplitHostPort(parent.SyncAddr); len(child.Parent) > 0 && !strings.HasSuffix(child.Parent[0], ":"+port) {
			t.Errorf("examples/%s.toml: parent %v, want the %s's sync port %s", up[0], child.Parent, up[1], port)
		}
	}
	for name, c := range cfgs {
		if c.DataDir != "/var/lib/fedsync" {
			t.Errorf("examples/%s.toml: data_dir %s, want /var/lib/fedsync (the unit's StateDirectory)", name, c.DataDir)
		}
		if c.UnsafeNoSync {
			t.Errorf("examples/%s.toml: unsafe_no_sync is on", name)
		}
	}
}

// TestComposeConfigs checks the mini-province's configs without Docker:
// each loads and validates, each parent is a service whose area is the
// division parent of the child's, reached at its sync port, and the
// compose file mounts each config.
func TestComposeConfigs(t *testing.T) {
	yml, err := os.ReadFile(filepath.Join("compose", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	p := readProvince(t, nil)
	for _, s := range p.services() {
		n := p.nodes[s]
		c := loadValid(t, filepath.Join("compose", "config", s+".toml"))
		if mount := "./config/" + s + ".toml:/etc/fedsync/fedsync.toml"; !strings.Contains(string(yml), mount) {
			t.Errorf("docker-compose.yml does not mount %s", mount)
		}
		if c.DataDir != "/data" || !strings.HasPrefix(c.HTTPAddr, "0.0.0.0:") {
			t.Errorf("%s: data_dir %s, http_addr %s; want /data and 0.0.0.0", s, c.DataDir, c.HTTPAddr)
		}
		if n.area.Level() < area.LevelStreet && !strings.HasPrefix(c.SyncAddr, "0.0.0.0:") {
			t.Errorf("%s: sync_addr %s; its children connect to it: want 0.0.0.0", s, c.SyncAddr)
		}
		if n.area.Level() == area.LevelCity {
			continue
		}
		up, ok := p.nodes[n.parent]
		if !ok {
			t.Errorf("%s: parent %v is not a service", s, c.Parent)
			continue
		}
		if got := n.area.Parent(); got != up.area {
			t.Errorf("%s (%s): parent service %s serves %s, want %s", s, n.area, up.service, up.area, got)
		}
		upCfg := loadValid(t, filepath.Join("compose", "config", up.service+".toml"))
		if _, port, _ := net.SplitHostPort(upCfg.SyncAddr); c.Parent[0] != up.service+":"+port {
			t.Errorf("%s: parent %v, want %s:%s", s, c.Parent, up.service, port)
		}
	}
}

// loadValid loads a config with node.LoadConfig and validates it.
// loadWithPKI loads an example config whose [tls] names files under
// /etc/fedsync/pki, and validates it with those files issued by pki for the
// config's area and name.
func loadWithPKI(t *testing.T, path string, pki *tlsutil.DevPKI) node.Config {
	t.Helper()
	c, err := node.LoadConfig(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, f := range []string{c.TLS.CAFile, c.TLS.CertFile, c.TLS.KeyFile, c.TLS.CRLFile} {
		if !strings.HasPrefix(f, "/etc/fedsync/pki/") {
			t.Errorf("%s: [tls] file %q, want one under /etc/fedsync/pki/", path, f)
		}
	}
	files, err := pki.Issue(c.Area, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	c.TLS = node.TLSConfig{CAFile: pki.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile, CRLFile: pki.CRLFile}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s with its certificate: %v", path, err)
	}
	return c
}

func loadValid(t *testing.T, path string) node.Config {
	t.Helper()
	c, err := node.LoadConfig(path)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

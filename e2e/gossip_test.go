package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	gossippool "fedsync/federation"
	"fedsync/node"
	"fedsync/storage"
)

// gossipFed is a city, one county and two of its streets as agent
// processes in one encrypted gossip pool. No config names a parent: every
// node finds its parent through gossip.
type gossipFed struct {
	t        *testing.T
	city     *server
	county   *server
	streets  []*server
	key      string            // the gossip key every server starts with
	keyrings map[string]string // area → that server's keyring file
}

const (
	gossipCity    = "210100000000" // 沈阳市
	gossipCounty  = "210102000000" // 和平区
	gossipStreet1 = "210102001000"
	gossipStreet2 = "210102002000"
	gossipBypass  = 2 * time.Second // bypass_after of the streets
)

func newGossipFed(t *testing.T) *gossipFed {
	k := loadFedKnobs(t)
	key, err := gossippool.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	f := &gossipFed{t: t, key: key, keyrings: map[string]string{}}
	cityGossip := freeAddr(t)
	mk := func(code string) *server {
		keyring := filepath.Join(t.TempDir(), "gossip.keyring") // each server its own
		if err := os.WriteFile(keyring, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		f.keyrings[code] = keyring
		s := newFedServer(t, k, code, nil)
		bind := freeAddr(t)
		if code == gossipCity {
			bind = cityGossip
		}
		editConfig(t, s.config, func(c *node.Config) {
			c.KeepAlive = node.Duration{Duration: 300 * time.Millisecond}
			g := &c.Gossip
			g.Enabled, g.BindAddr, g.KeyringFile = true, bind, keyring
			g.TimingScale, g.BypassAfter = 10, node.Duration{Duration: gossipBypass}
			if code != gossipCity {
				g.Join = []string{cityGossip}
			}
		})
		return s
	}
	f.city, f.county = mk(gossipCity), mk(gossipCounty)
	f.streets = []*server{mk(gossipStreet1), mk(gossipStreet2)}
	return f
}

func (f *gossipFed) all() []*server {
	return append([]*server{f.city, f.county}, f.streets...)
}

// members returns `fedsync members -o json` on s, by name.
func (f *gossipFed) members(s *server) map[string]api.Member {
	f.t.Helper()
	r := s.cli("members", "-o", "json")
	var ms []api.Member
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ms) != nil {
		f.t.Fatalf("members on %s: %s", s.area, r)
	}
	out := map[string]api.Member{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out
}

func (f *gossipFed) status(s *server) *api.Status {
	f.t.Helper()
	r := s.cli("status", "-o", "json")
	var st api.Status
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
		f.t.Fatalf("status of %s: %s", s.area, r)
	}
	return &st
}

// seq returns the watermark of origin at s (0 when absent).
func (f *gossipFed) seq(s *server, origin string) uint64 {
	for _, w := range f.status(s).Watermarks {
		if string(w.Origin) == origin {
			return w.Seq
		}
	}
	return 0
}

// addOrgs adds n orgs (no personal data) to street s, ids tagged with tag.
func (f *gossipFed) addOrgs(s *server, tag string, n int) {
	f.t.Helper()
	comm := string(area.Children(area.Code(s.area))[0].Code)
	for i := range n {
		r := s.cli("org", "add", "--id", fmt.Sprintf("g-%s-%s-%d", s.area, tag, i), "--community", comm,
			"--name", fmt.Sprintf("互助队%s%d", tag, i), "--category", "mutual_aid", "--tier", "guided",
			"--founded", "2021-03-01", "--members", "12", "--status", "active")
		if r.code != 0 {
			f.t.Fatalf("org add on %s: %s", s.area, r)
		}
	}
}

// until polls cond every 100 ms for up to a minute.
func (f *gossipFed) until(what string, cond func() (bool, string)) {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s: %s", what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// delivered waits until parent holds every street's origin at the
// street's own seq.
func (f *gossipFed) delivered(parent *server) {
	f.t.Helper()
	for _, s := range f.streets {
		want := f.seq(s, s.area)
		f.until(parent.area+" holding "+s.area, func() (bool, string) {
			got := f.seq(parent, s.area)
			return got == want, fmt.Sprintf("seq %d, want %d", got, want)
		})
	}
}

// startAll starts the four agents and waits until the city lists them all
// alive and leading their nodes.
func (f *gossipFed) startAll() {
	f.t.Helper()
	f.city.start()
	for _, s := range f.all()[1:] {
		s.start()
	}
	f.until("four alive members", func() (bool, string) {
		ms := f.members(f.city)
		n := 0
		for _, m := range ms {
			if m.Status == "alive" && m.RaftRole == "leader" {
				n++
			}
		}
		return n == 4, fmt.Sprintf("%+v", ms)
	})
}

// TestKeyRotationRealProcesses: the gossip key of four agents is rotated
// with three `fedsync keyring` commands against the city, with the city's
// admin token only (each node's tokens are its own: the city pushes to the
// others over mutual TLS), while the streets keep writing; nobody is
// declared dead, every keyring file ends with only the new key, and a
// restarted county rejoins with it.
func TestKeyRotationRealProcesses(t *testing.T) {
	f := newGossipFed(t)
	f.startAll()
	newKey, err := gossippool.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if r := f.city.cli("keyring", "use", newKey); r.code == 0 || !strings.Contains(r.stderr, "not installed on") {
		t.Fatalf("keyring use before install:\n%s", r)
	}
	for i, args := range [][]string{{"install", newKey}, {"use", newKey}, {"remove", f.key}} {
		for _, s := range f.streets {
			f.addOrgs(s, fmt.Sprintf("k%d", i), 2)
		}
		r := f.city.cli(append([]string{"keyring"}, args...)...)
		if r.code != 0 || strings.Count(r.stdout, "done") != 4 {
			t.Fatalf("keyring %s:\n%s", args[0], r)
		}
	}
	f.delivered(f.county)
	f.delivered(f.city)
	for name, m := range f.members(f.city) {
		if m.Status != "alive" {
			t.Errorf("%s is %s after the rotation", name, m.Status)
		}
	}
	if r := f.city.cli("keyring", "list"); r.code != 0 || !strings.Contains(r.stdout, "all 4 servers that answered hold the same keys") {
		t.Errorf("keyring list after the rotation:\n%s", r)
	}
	for code, path := range f.keyrings {
		b, err := os.ReadFile(path)
		var keys []string
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				keys = append(keys, line)
			}
		}
		if err != nil || !slices.Equal(keys, []string{newKey}) {
			t.Errorf("keyring file of %s: %q %v, want only the new key", code, b, err)
		}
	}
	f.county.kill()
	f.county.start()
	f.until("the restarted county alive on the city", func() (bool, string) {
		m := f.members(f.city)[gossipCounty+"-e2e"]
		return m.Status == "alive", m.Status
	})
	for _, s := range f.streets {
		f.addOrgs(s, "after", 1)
	}
	f.delivered(f.city)
}

// TestGossipMembersAndBypass, as real processes: the four agents find each
// other and their parents through gossip; a county killed with SIGKILL is
// reported dead by `fedsync members` on every other server; its streets
// bypass to the city within bypass_after and keep delivering; restarted,
// the county rejoins, the streets go back to it, it catches up, and
// `fedsync verify` (the stores, and the city against the county) is clean.
func TestGossipMembersAndBypass(t *testing.T) {
	f := newGossipFed(t)
	f.startAll()
	for _, s := range f.streets {
		f.addOrgs(s, "a", 3)
	}
	f.delivered(f.county)
	f.delivered(f.city)

	f.county.kill()
	killed := time.Now()
	countyName := gossipCounty + "-e2e"
	for _, s := range []*server{f.city, f.streets[0], f.streets[1]} {
		f.until("the county dead on "+s.area, func() (bool, string) {
			m := f.members(s)[countyName]
			return m.Status == "dead", m.Status
		})
	}
	t.Logf("county reported dead everywhere %v after SIGKILL", since(killed))
	for _, s := range f.streets {
		f.addOrgs(s, "b", 3)
	}
	for _, s := range f.streets {
		f.until(s.area+" bypassing to the city", func() (bool, string) {
			up := f.status(s).Upstream
			return up != nil && up.Connected && string(up.Parent) == gossipCity, fmt.Sprintf("%+v", up)
		})
	}
	f.delivered(f.city)
	t.Logf("streets delivered to the city by bypass %v after SIGKILL", since(killed))
	if r := f.streets[0].cli("status"); r.code != 0 || !strings.Contains(r.stdout, "bypassing 和平区") {
		t.Fatalf("street status does not show the bypass:\n%s", r)
	}
	if r := f.city.cli("status"); r.code != 0 || !strings.Contains(r.stdout, "bypass via") {
		t.Fatalf("city status does not show the bypass path:\n%s", r)
	}

	restarted := time.Now()
	f.county.start()
	for _, s := range f.streets {
		f.until(s.area+" back on the county", func() (bool, string) {
			up := f.status(s).Upstream
			return up != nil && up.Connected && string(up.Parent) == gossipCounty, fmt.Sprintf("%+v", up)
		})
	}
	f.delivered(f.county)
	f.until("the county alive on the city", func() (bool, string) {
		m := f.members(f.city)[countyName]
		return m.Status == "alive", m.Status
	})
	t.Logf("county caught up %v after restart", since(restarted))
	for _, s := range f.all() {
		if r := s.cli("verify"); r.code != 0 {
			t.Fatalf("verify %s:\n%s", s.area, r)
		}
	}
	// The city's replica of the county's subtree equals the county's own
	// (each node's token is its own, so compare the digests directly).
	digests := func(s *server) []storage.OriginDigest {
		s.ensureToken()
		req, err := http.NewRequest(http.MethodGet, apiURL(s.httpAddr)+"/v1/sync/digests?area="+gossipCounty, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ds []storage.OriginDigest
		if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("digests of %s at %s: %d %v", gossipCounty, s.area, resp.StatusCode, err)
		}
		return ds
	}
	if a, b := digests(f.county), digests(f.city); !slices.Equal(a, b) || len(a) != len(f.streets) {
		t.Fatalf("digests of %s differ:\ncounty %+v\ncity   %+v", gossipCounty, a, b)
	}
}

package federation

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

func TestFiveMembersSeeEachOthersMetadata(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county, street, street)
	for _, p := range c.pools {
		ms := p.Members()
		if len(ms) != 5 {
			t.Fatalf("%s lists %d members, want 5", p.cfg.Name, len(ms))
		}
		for _, q := range c.pools {
			m, _ := find(ms, q.cfg.Name)
			if m.Meta != q.cfg.Meta {
				t.Errorf("%s sees %s with meta %+v, want %+v", p.cfg.Name, q.cfg.Name, m.Meta, q.cfg.Meta)
			}
			if m.GossipAddr != q.LocalAddr() || m.Status != StatusAlive {
				t.Errorf("%s sees %s at %s %v, want %s alive", p.cfg.Name, q.cfg.Name, m.GossipAddr, m.Status, q.LocalAddr())
			}
		}
	}
	if got := c.logs[0].count(EventJoin, ""); got != 5 {
		t.Errorf("s0 got %d join events, want 5 (itself and four)", got)
	}
}

func TestShutdownWithoutLeaveIsReportedDead(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county, street, street)
	victim := c.pools[3]
	if err := victim.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := victim.Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	took := c.waitStatus("s3", StatusDead, 15*time.Second)
	t.Logf("s3 reported dead by all four others after %v", took)
	waitFor(t, 5*time.Second, "failed events", func() error {
		for i, l := range c.logs {
			if i != 3 && l.count(EventFailed, "s3") != 1 {
				return errors.New("s" + string(rune('0'+i)) + " has no failed event for s3")
			}
		}
		return nil
	})
	if _, err := victim.Join([]string{c.pools[0].LocalAddr()}); !errors.Is(err, ErrShutdown) {
		t.Errorf("Join after Shutdown: %v, want ErrShutdown", err)
	}
	if err := victim.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Errorf("Leave after Shutdown: %v, want ErrShutdown", err)
	}
}

func TestLeaveIsReportedLeft(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county)
	if err := c.pools[2].Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.pools[2].Shutdown(); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("s2", StatusLeft, 10*time.Second)
	if n := c.logs[0].count(EventFailed, "s2"); n != 0 {
		t.Errorf("s0 got %d failed events for a server that left", n)
	}
}

func TestRejoinAfterRestart(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county)
	old := c.pools[2]

	// A graceful restart: leave, shut down, start again on a new port.
	if err := old.Leave(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	_ = old.Shutdown()
	c.waitStatus("s2", StatusLeft, 10*time.Second)
	p, _ := c.start(testConfig(t, "s2", county, c.key))
	if _, err := p.Join([]string{c.pools[0].LocalAddr()}); err != nil {
		t.Fatal(err)
	}
	c.waitAllSee(3)
	c.waitStatus("s2", StatusAlive, 5*time.Second)
	if m, _ := find(c.pools[0].Members(), "s2"); m.GossipAddr != p.LocalAddr() {
		t.Errorf("s0 sees s2 at %s, want its new address %s", m.GossipAddr, p.LocalAddr())
	}

	// A crash: shut down without leave, wait for dead, restart on the same
	// address.
	addr := p.LocalAddr()
	_ = p.Shutdown()
	c.waitStatus("s2", StatusDead, 15*time.Second)
	cfg := testConfig(t, "s2", county, c.key)
	cfg.BindPort = portOf(t, addr)
	p2, _ := c.start(cfg)
	if _, err := p2.Join([]string{c.pools[1].LocalAddr()}); err != nil {
		t.Fatal(err)
	}
	c.waitStatus("s2", StatusAlive, 10*time.Second)
	// A restarted server starts at incarnation 1 while the pool remembers
	// it at a higher one, so it may flap (join, failed, join) until it
	// refutes: at least start and two restarts.
	if n := c.logs[0].count(EventJoin, "s2"); n < 3 {
		t.Errorf("s0 got %d join events for s2, want at least 3 (start, two restarts)", n)
	}
}

func portOf(t *testing.T, hostport string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestJoinWithWrongKeyFailsClearly(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city)
	p, _ := c.start(testConfig(t, "intruder", county, mustKey(t)))
	n, err := p.Join([]string{c.pools[0].LocalAddr()})
	if n != 0 || !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("Join with another key: n=%d err=%v, want 0 and ErrKeyMismatch", n, err)
	}
	if !strings.Contains(err.Error(), "gossip key mismatch or missing (check the keyring)") {
		t.Errorf("error %q does not tell the operator to check the keyring", err)
	}
	for _, q := range c.pools[:2] {
		if _, ok := find(q.Members(), "intruder"); ok {
			t.Errorf("%s lists the intruder", q.cfg.Name)
		}
	}
}

func TestUpdateMetaPropagates(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, street, street)
	if _, ok := c.pools[0].Leader(street); ok {
		t.Fatal("a leader of the street before any claims it")
	}
	m := c.pools[3].Local().Meta
	m.RaftRole, m.Version = RoleLeader, "0.2.0"
	if err := c.pools[3].UpdateMeta(m); err != nil && !errors.Is(err, ErrBroadcastTimeout) {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "every pool sees s3 as the street's leader", func() error {
		for _, p := range c.pools {
			l, ok := p.Leader(street)
			if !ok || l.Name != "s3" || l.Version != "0.2.0" {
				return errors.New(p.cfg.Name + " does not see s3 leading")
			}
		}
		return nil
	})
	if n := c.logs[0].count(EventUpdate, "s3"); n != 1 {
		t.Errorf("s0 got %d update events for s3, want 1", n)
	}

	m.Area, m.Level = county, county.Level()
	if err := c.pools[3].UpdateMeta(m); !errors.Is(err, ErrMetaFixed) {
		t.Errorf("UpdateMeta changing the area: %v, want ErrMetaFixed", err)
	}
	m.Area, m.Level, m.APIAddr = street, street.Level(), "nohost"
	var fe *FieldError
	if err := c.pools[3].UpdateMeta(m); !errors.Is(err, ErrBadMeta) || !errors.As(err, &fe) || fe.Field != "meta.api_addr" {
		t.Errorf("UpdateMeta with a bad address: %v, want ErrBadMeta naming meta.api_addr", err)
	}
}

func TestForceLeave(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city, county)
	if err := c.pools[0].ForceLeave("s1"); !errors.Is(err, ErrMemberAlive) {
		t.Errorf("force-leave of an alive member: %v, want ErrMemberAlive", err)
	}
	if err := c.pools[0].ForceLeave("nobody"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("force-leave of an unknown name: %v, want ErrUnknownMember", err)
	}
	_ = c.pools[2].Shutdown()
	c.waitStatus("s2", StatusDead, 15*time.Second)
	if m, ok := c.pools[0].Member("s2"); !ok || m.Status != StatusDead {
		t.Errorf("Member(s2) before force-leave = %v %v, want dead", m.Status, ok)
	}
	if err := c.pools[0].ForceLeave("s2"); err != nil {
		t.Fatal(err)
	}
	if _, ok := find(c.pools[0].Members(), "s2"); ok {
		t.Error("s0 still lists s2 after force-leave")
	}
	if _, ok := c.pools[0].Member("s2"); ok {
		t.Error("Member(s2) still found after force-leave")
	}
	if m, _ := find(c.pools[1].Members(), "s2"); m.Status != StatusDead {
		t.Errorf("s1 sees s2 as %v; force-leave is local, want dead", m.Status)
	}
	waitFor(t, 5*time.Second, "left event", func() error {
		if c.logs[0].count(EventLeft, "s2") != 1 {
			return errors.New("no left event on s0")
		}
		return nil
	})
	if err := c.pools[0].ForceLeave("s2"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("second force-leave: %v, want ErrUnknownMember", err)
	}
}

func TestConflictCheckerRefusesJoin(t *testing.T) {
	t.Parallel()
	// Policy under test: one server per area.
	onePerArea := func(c Member, same []Member) error {
		if len(same) > 0 {
			return errors.New("area " + string(c.Area) + " already has server " + same[0].Name)
		}
		return nil
	}
	c := &cluster{t: t, key: mustKey(t)}
	for name, a := range map[string]area.Code{"a": province, "b": street} {
		cfg := testConfig(t, name, a, c.key)
		cfg.ConflictChecker = onePerArea
		c.start(cfg)
	}
	if _, err := c.pools[1].Join([]string{c.pools[0].LocalAddr()}); err != nil {
		t.Fatal(err)
	}
	c.waitAllSee(2)
	cfg := testConfig(t, "c", street, c.key) // b serves the street already
	cfg.ConflictChecker = onePerArea
	p, _ := c.start(cfg)
	_, err := p.Join([]string{c.pools[0].LocalAddr()})
	var rerr *RefusalError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &rerr) || rerr.Name != "c" || !strings.Contains(err.Error(), "already has server b") {
		t.Fatalf("Join into an area that has a server: %v, want c refused for b", err)
	}
	for _, q := range c.pools[:2] {
		if _, ok := find(q.Members(), "c"); ok {
			t.Errorf("%s lists the refused server", q.cfg.Name)
		}
	}

	// Through a server without the checker: it accepts d and gossips it,
	// a and b refuse d's alive messages.
	x, _ := c.start(testConfig(t, "x", county, c.key))
	if _, err := x.Join([]string{c.pools[0].LocalAddr()}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.start(testConfig(t, "d", street, c.key))
	if _, err := d.Join([]string{x.LocalAddr()}); err != nil {
		t.Fatalf("join through x: %v", err)
	}
	waitFor(t, 10*time.Second, "a and b refuse d", func() error {
		for i, l := range c.logs[:2] {
			if l.count(EventRefused, "d") == 0 {
				return fmt.Errorf("pool %d has not refused d", i)
			}
		}
		if _, ok := find(x.Members(), "d"); !ok {
			return errors.New("x does not list d")
		}
		return nil
	})
	for _, q := range c.pools[:2] {
		if _, ok := find(q.Members(), "d"); ok {
			t.Errorf("%s lists d", q.cfg.Name)
		}
	}
}

func TestLeaveThenOperationsRefused(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province)
	p := c.pools[0]
	if err := p.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.Leave(time.Second); err != nil {
		t.Errorf("second Leave: %v", err)
	}
	if _, err := p.Join([]string{"127.0.0.1:1"}); !errors.Is(err, ErrLeft) {
		t.Errorf("Join after Leave: %v, want ErrLeft", err)
	}
	if err := p.UpdateMeta(p.cfg.Meta); !errors.Is(err, ErrLeft) {
		t.Errorf("UpdateMeta after Leave: %v, want ErrLeft", err)
	}
	if _, err := p.Join(nil); !errors.Is(err, ErrLeft) {
		t.Errorf("Join(nil) after Leave: %v", err)
	}
}

func TestBadMetadataRefused(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province, city)
	key, _ := decodeKey(c.key)
	good, _ := EncodeMeta(testMeta("someone-else", street))
	cases := []struct {
		name  string
		meta  []byte
		field string
	}{
		{"junk", []byte("hello"), "meta.format"},
		{"no meta", []byte{}, "meta.format"},
		{"name mismatch", good, "meta.name"},
	}
	for i, tc := range cases {
		name := fmt.Sprintf("bad%d", i)
		ml := rawMemberlist(t, name, key, tc.meta)
		_, _ = ml.Join([]string{c.pools[0].LocalAddr()})
		waitFor(t, 5*time.Second, tc.name+" refused", func() error {
			for j, l := range c.logs {
				if l.count(EventRefused, name) == 0 {
					return fmt.Errorf("s%d has not refused %s", j, name)
				}
			}
			return nil
		})
		for _, p := range c.pools {
			if _, ok := find(p.Members(), name); ok {
				t.Errorf("%s: %s lists the server", tc.name, p.cfg.Name)
			}
		}
		err := c.logs[0].refusal(name)
		var fe *FieldError
		if !errors.Is(err, ErrBadMeta) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: refusal %v, want ErrBadMeta naming %s", tc.name, err, tc.field)
		}
	}
}

// TestOnEventMayCallThePool: events come from the pool's own goroutine, not
// from under memberlist's locks, so a callback may call back into the pool.
func TestOnEventMayCallThePool(t *testing.T) {
	t.Parallel()
	c := startCluster(t, province)
	var p *Pool
	seen := make(chan int, 16)
	cfg := testConfig(t, "watcher", city, c.key)
	cfg.OnEvent = func(e Event) {
		if e.Kind == EventJoin && e.Member.Name == "s0" {
			seen <- len(p.Members()) + len(p.Servers(province))
		}
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	if _, err := p.Join([]string{c.pools[0].LocalAddr()}); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-seen:
		if n != 3 {
			t.Errorf("callback saw %d (members + province servers), want 3", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no join event for s0")
	}
}

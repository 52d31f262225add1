package federation

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"fedsync/area"
)

// Areas used by the tests: Liaoning, Shenyang, its 和平区, a street of it.
var (
	province = area.MustParse("210000000000")
	city     = area.MustParse("210100000000")
	county   = area.MustParse("210102000000")
	street   = area.MustParse("210102001000")
)

// testTimings run the protocol 10 times faster than DefaultTimings: probes
// every 500 ms, acks within 300 ms, a dead server declared within ~4 s.
// Stream timeouts stay long (10 s): they only bound failures, and a loaded
// test machine can stall a join for a while.
func testTimings() Timings {
	t := DefaultTimings().Scaled(10)
	t.TCPTimeout = 10 * time.Second
	return t
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("FEDSYNC_GOSSIP_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func mustKey(t testing.TB) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testMeta(name string, a area.Code) Meta {
	return Meta{
		Name: name, Area: a, Level: a.Level(),
		APIAddr: "127.0.0.1:8080", SyncAddr: "127.0.0.1:8081", RaftAddr: "127.0.0.1:8082",
		RaftRole: RoleFollower, Version: "0.1.0",
	}
}

// testConfig is a loopback config on a free port.
func testConfig(t testing.TB, name string, a area.Code, key string) Config {
	cfg := DefaultConfig()
	cfg.Name, cfg.Meta = name, testMeta(name, a)
	cfg.BindAddr, cfg.BindPort = "127.0.0.1", 0
	cfg.Keyring = KeyringConfig{Primary: key}
	cfg.Timings = testTimings()
	cfg.BroadcastTimeout = 2 * time.Second
	cfg.Logger = testLogger(t)
	return cfg
}

// eventLog records the events of one pool.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) count(kind EventKind, name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.evs {
		if e.Kind == kind && (name == "" || e.Member.Name == name) {
			n++
		}
	}
	return n
}

// refusal returns the error of the first EventRefused about name.
func (l *eventLog) refusal(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.evs {
		if e.Kind == EventRefused && e.Member.Name == name {
			return e.Err
		}
	}
	return nil
}

// cluster is a set of pools on loopback sharing a key.
type cluster struct {
	t     testing.TB
	key   string
	pools []*Pool
	logs  []*eventLog
}

// startCluster starts one pool per area (named s0, s1, ...) and joins them
// all through the first.
func startCluster(t testing.TB, areas ...area.Code) *cluster {
	c := &cluster{t: t, key: mustKey(t)}
	for i, a := range areas {
		p, _ := c.start(testConfig(t, fmt.Sprintf("s%d", i), a, c.key))
		if i > 0 {
			if _, err := p.Join([]string{c.pools[0].LocalAddr()}); err != nil {
				t.Fatalf("join s%d: %v", i, err)
			}
		}
	}
	c.waitAllSee(len(areas))
	return c
}

// start starts a pool with an event log; it is shut down at cleanup.
func (c *cluster) start(cfg Config) (*Pool, *eventLog) {
	c.t.Helper()
	log := &eventLog{}
	cfg.OnEvent = log.add
	p, err := New(cfg)
	if err != nil {
		c.t.Fatalf("new pool %s: %v", cfg.Name, err)
	}
	c.t.Cleanup(func() { _ = p.Shutdown() })
	c.pools, c.logs = append(c.pools, p), append(c.logs, log)
	return p, log
}

// waitAllSee waits until every running pool lists n alive members.
func (c *cluster) waitAllSee(n int) {
	c.t.Helper()
	waitFor(c.t, 10*time.Second, fmt.Sprintf("every pool sees %d alive", n), func() error {
		for _, p := range c.pools {
			if p.closed.Load() {
				continue
			}
			if got := countStatus(p.Members(), StatusAlive); got != n {
				return fmt.Errorf("%s sees %d alive", p.cfg.Name, got)
			}
		}
		return nil
	})
}

// waitStatus waits until every running pool but the named one reports it
// with status want.
func (c *cluster) waitStatus(name string, want Status, timeout time.Duration) time.Duration {
	c.t.Helper()
	return waitFor(c.t, timeout, fmt.Sprintf("%s reported %s", name, want), func() error {
		for _, p := range c.pools {
			if p.closed.Load() || p.cfg.Name == name {
				continue
			}
			m, ok := find(p.Members(), name)
			if !ok || m.Status != want {
				return fmt.Errorf("%s sees %s as %v (listed %v)", p.cfg.Name, name, m.Status, ok)
			}
		}
		return nil
	})
}

func countStatus(ms []Member, st Status) int {
	n := 0
	for _, m := range ms {
		if m.Status == st {
			n++
		}
	}
	return n
}

func find(ms []Member, name string) (Member, bool) {
	for _, m := range ms {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// waitFor polls cond every 20 ms until it returns nil, and fails the test
// with cond's last error after timeout. It returns the time waited.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("waiting %v for %s: %v", timeout, what, err)
		}
		<-tick.C
	}
}

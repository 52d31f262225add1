package federation_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/federation"
	"fedsync/federation/sim"
)

// TestPartitionHeals cuts a server off until every side has given up on
// the other (past GossipToTheDeadTime, after which memberlist no longer
// talks to dead members), heals the network, and checks that the reconnect
// loop merges the pool again.
func TestPartitionHeals(t *testing.T) {
	t.Parallel()
	net := &sim.Network{}
	key, _ := federation.GenerateKey()
	areas := []area.Code{sim.Liaoning, area.MustParse("210100000000"), area.MustParse("210200000000")}
	var pools []*federation.Pool
	var addrs []string
	for i, a := range areas {
		tr := net.NewTransport()
		cfg := federation.DefaultConfig()
		cfg.Name, cfg.Transport, cfg.Keyring.Primary = fmt.Sprintf("p%d", i), tr, key
		cfg.Meta = federation.Meta{
			Area: a, Level: a.Level(), APIAddr: "h:1", SyncAddr: "h:2", RaftAddr: "h:3", Version: "t",
		}
		cfg.Timings = federation.DefaultTimings().Scaled(10)
		cfg.Timings.GossipToTheDeadTime = time.Second
		cfg.ReconnectInterval = 300 * time.Millisecond
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		p, err := federation.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown()
		if i > 0 {
			if _, err := p.Join([]string{addrs[0]}); err != nil {
				t.Fatal(err)
			}
		}
		pools, addrs = append(pools, p), append(addrs, tr.Addr())
	}
	alive := func(p *federation.Pool) int {
		n := 0
		for _, m := range p.Members() {
			if m.Status == federation.StatusAlive {
				n++
			}
		}
		return n
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("all three alive", func() bool { return alive(pools[0]) == 3 && alive(pools[1]) == 3 && alive(pools[2]) == 3 })

	net.Partition(addrs[:1], addrs[1:])
	wait("both sides declare the other dead", func() bool {
		return alive(pools[0]) == 1 && alive(pools[1]) == 2 && alive(pools[2]) == 2
	})
	time.Sleep(2 * time.Second) // past GossipToTheDeadTime: memberlist alone would stay split
	net.Heal()
	wait("the pool merged again", func() bool { return alive(pools[0]) == 3 && alive(pools[1]) == 3 && alive(pools[2]) == 3 })
}

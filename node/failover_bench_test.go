package node

import (
	"fmt"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// BenchmarkFailoverResume measures, per run, the time from stopping a
// three-server county's leader (without leaving the group) to the first
// entry of a continuously writing street applied by the new leader: the
// election, the street's redial through the county's servers and its
// resumption from the new leader's Welcome. One op is one failover; the
// setup of each run is not timed. raft_timeout bounds the election.
//
//	go test -run '^$' -bench FailoverResume -benchtime 1x -count 5 ./node/
func BenchmarkFailoverResume(b *testing.B) {
	for _, rt := range []time.Duration{200 * time.Millisecond, 500 * time.Millisecond} {
		b.Run(fmt.Sprintf("raft_timeout=%v", rt), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				county, street, w := failoverSetup(b, rt)
				old := waitLeaderOf(b, county)
				at, _ := old.store.Watermarks()
				seq := seqOf(at, street.cfg.Area)
				b.StartTimer()
				start := time.Now()
				old.Stop()
				for {
					if n := leaderOf(county); n != nil && n != old {
						wms, _ := n.store.Watermarks()
						if seqOf(wms, street.cfg.Area) > seq {
							break
						}
					}
					if time.Since(start) > time.Minute {
						b.Fatal("no new leader applied a street entry within a minute")
					}
					time.Sleep(time.Millisecond)
				}
				b.StopTimer()
				w.halt()
				for _, n := range append(county, street) {
					n.Stop()
				}
			}
		})
	}
}

// failoverSetup starts a county of three and a writing street sending to
// it, and waits until the county's leader has applied the street's
// entries.
func failoverSetup(b *testing.B, raftTimeout time.Duration) ([]*Node, *Node, *writer) {
	county := startGroupTimeout(b, testCounty, []string{"county-a", "county-b", "county-c"}, nil, raftTimeout)
	var addrs []string
	for _, n := range county {
		addrs = append(addrs, n.SyncAddr())
	}
	cfg := testConfig(b.TempDir())
	cfg.Parent = addrs
	street := startNode(b, cfg)
	w := startWriter(b, street)
	leader := waitLeaderOf(b, county)
	waitFor(b, "the county to apply street entries", func() (bool, string) {
		wms, _ := leader.store.Watermarks()
		return seqOf(wms, street.cfg.Area) > 20, fmt.Sprintf("%+v", wms)
	})
	return county, street, w
}

func seqOf(wms []storage.Watermark, origin area.Code) uint64 {
	for _, w := range wms {
		if w.Origin == origin {
			return w.Seq
		}
	}
	return 0
}

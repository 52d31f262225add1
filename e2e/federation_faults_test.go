package e2e

import (
	"testing"
	"time"
)

// TestFederationConverges runs 4 streets → 2 counties → the city as seven
// agent processes, each county reaching the city through a proxy, and
// checks after each fault that the federation converges: the city and
// the counties hold every street's log up to its own seq, with equal
// digests and summaries, and `fedsync verify` passes everywhere. Each
// scenario starts its own federation. Sizes: fedKnobs.
func TestFederationConverges(t *testing.T) {
	t.Parallel()
	k := loadFedKnobs(t)
	t.Logf("knobs: %s", mustJSON(k))
	t.Run("county_killed", func(t *testing.T) { testCountyKilled(t, k) })
	t.Run("link_cut", func(t *testing.T) { testLinkCut(t, k) })
	t.Run("city_down_backlog", func(t *testing.T) { testCityDown(t, k) })
}

// bringUp starts a federation, seeds the streets and waits for the first
// convergence. It returns the orgs each street holds.
func bringUp(t *testing.T, k fedKnobs) (*federation, map[string]int64) {
	t.Helper()
	f := newFederation(t, k)
	f.start()
	f.seed()
	t.Logf("first convergence after %v", f.waitConverged().Round(time.Millisecond))
	want := make(map[string]int64)
	for _, s := range f.streets {
		want[s.area] = int64(k.Seed)
	}
	f.checkOrgs(want)
	return f, want
}

// testCountyKilled kills one county with SIGKILL while the streets write,
// checks that its streets see the parent gone and keep a backlog, and
// restarts it on the same data directory.
func testCountyKilled(t *testing.T, k fedKnobs) {
	f, want := bringUp(t, k)
	county, below := f.counties[0], f.county[0]
	w := startWriter(f.streets, k, 1)
	defer w.stop()
	waitWriting(t, w, k)
	county.kill()
	killed := time.Now()
	t.Logf("killed county %s mid-stream (%d entries written so far)", names([]*server{county}), w.entries.Load())
	// Keep the county down for a quarter of the writing, and until its
	// streets report it gone with entries waiting.
	for _, s := range below {
		up := waitUpstream(t, s, "parent gone and a backlog", k.Converge, func(up *upstream) bool {
			return !up.Connected && up.Totals.Backlog > 0 && time.Since(killed) >= k.WriteFor/4
		})
		t.Logf("street %s: parent gone, backlog %d entries, last error %q", s.area, up.Totals.Backlog, up.LastError)
	}
	county.start()
	t.Logf("county restarted and healthy %v after the kill; writer still running: %v", since(killed), !isDone(w.done))
	ws := w.wait(t)
	took := f.waitConverged()
	t.Logf("writer: %s; converged %v after the writer stopped, %v after the kill",
		mustJSON(ws), took.Round(time.Millisecond), since(killed))
	addLive(want, w, f.streets)
	f.checkOrgs(want)
}

// testLinkCut cuts the proxy between one county and the city while the
// streets write: the county must report the parent unreachable and a
// growing backlog; after Heal the federation must converge.
func testLinkCut(t *testing.T, k fedKnobs) {
	f, want := bringUp(t, k)
	county, px := f.counties[0], f.proxies[0]
	w := startWriter(f.streets, k, 2)
	defer w.stop()
	waitWriting(t, w, k)
	other := f.county[1][0]
	before := f.city.status().seqOf(other.area)
	px.Cut()
	cut := time.Now()
	first := waitUpstream(t, county, "parent unreachable and a backlog", k.Converge, func(up *upstream) bool {
		return !up.Connected && up.Totals.Backlog > 0
	})
	// Hold the cut for a third of the writing, and until the backlog grew.
	second := waitUpstream(t, county, "a growing backlog", k.Converge, func(up *upstream) bool {
		return !up.Connected && up.Totals.Backlog > first.Totals.Backlog && time.Since(cut) >= k.WriteFor/3
	})
	t.Logf("link of %s cut: backlog %d then %d entries (%v after the cut), last error %q",
		county.area, first.Totals.Backlog, second.Totals.Backlog, since(cut), second.LastError)
	waitFor(t, "the city to keep receiving "+other.area+" through the other county", k.Converge, func() bool {
		return f.city.status().seqOf(other.area) > before
	})
	px.Heal()
	healed := time.Now()
	ws := w.wait(t)
	took := f.waitConverged()
	t.Logf("proxy: %s; writer: %s; converged %v after the writer stopped, %v after the heal",
		mustJSON(px.counts()), mustJSON(ws), took.Round(time.Millisecond), since(healed))
	addLive(want, w, f.streets)
	f.checkOrgs(want)
}

// testCityDown kills the city, lets the streets write knobs.Backlog
// entries, checks that the counties hold them as backlog, restarts the
// city and measures the time to converge.
func testCityDown(t *testing.T, k fedKnobs) {
	f, want := bringUp(t, k)
	f.city.kill()
	begin := time.Now()
	got, batches, err := writeBacklog(f.streets, k.Backlog)
	if err != nil {
		t.Fatal(err)
	}
	wrote := time.Since(begin)
	for s, n := range got {
		want[s] += n
	}
	waitFor(t, "the counties to hold the whole backlog", k.Converge, func() bool {
		var sum uint64
		for _, c := range f.counties {
			up := c.status().Upstream
			if up == nil || up.Connected {
				return false
			}
			sum += up.Totals.Backlog
		}
		return sum == uint64(k.Backlog+batches) // each batch's records and its audit entry
	})
	t.Logf("city down: the streets wrote %d entries in %v (%.0f entries/s); the counties hold them %v after the kill",
		k.Backlog, wrote.Round(time.Millisecond), float64(k.Backlog)/wrote.Seconds(), since(begin))

	restart := time.Now()
	f.city.start()
	healthy := time.Since(restart)
	reconnect := waitFor(t, "the counties to reconnect", k.Converge, func() bool {
		for _, c := range f.counties {
			if up := c.status().Upstream; up == nil || !up.Connected {
				return false
			}
		}
		return true
	})
	f.waitConverged()
	took := time.Since(restart)
	t.Logf("city restarted: healthy after %v, counties reconnected after %v, converged %v after the restart (%d entries, %.0f entries/s)",
		healthy.Round(time.Millisecond), (healthy + reconnect).Round(time.Millisecond), took.Round(time.Millisecond),
		k.Backlog, float64(k.Backlog)/took.Seconds())
	f.checkOrgs(want)
}

// waitWriting waits until the writer has written a quarter of what it
// will write, so that a fault lands mid-stream.
func waitWriting(t *testing.T, w *writer, k fedKnobs) {
	t.Helper()
	quarter := int64(k.Rate) * int64(k.WriteFor/time.Second) / 4
	waitFor(t, "the writer's first entries", k.WriteFor, func() bool {
		if isDone(w.done) {
			t.Fatalf("the writer ended before writing %d entries: %v", quarter, w.err)
		}
		return w.entries.Load() >= max(quarter, 1)
	})
}

// waitUpstream polls s's upstream status until cond holds and returns it.
func waitUpstream(t *testing.T, s *server, what string, timeout time.Duration, cond func(*upstream) bool) *upstream {
	t.Helper()
	var last *upstream
	waitForMsg(t, s.area+": "+what, timeout, func() bool {
		last = s.status().Upstream
		if last == nil {
			t.Fatalf("%s has no upstream in its status", s.area)
		}
		return cond(last)
	}, func() string { return mustJSON(last) })
	return last
}

// waitFor polls cond until it holds, failing the test after timeout, and
// returns how long it took.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	return waitForMsg(t, what, timeout, cond, func() string { return "" })
}

func waitForMsg(t *testing.T, what string, timeout time.Duration, cond func() bool, last func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("waited %v for %s; last seen: %s", timeout, what, last())
		}
		time.Sleep(convergePoll)
	}
	return time.Since(start)
}

// addLive adds what the writer left in each street to want.
func addLive(want map[string]int64, w *writer, streets []*server) {
	for _, s := range streets {
		want[s.area] += w.liveCount(s.area)
	}
}

// isDone reports whether ch is closed.
func isDone(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

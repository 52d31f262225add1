package sender_test

import (
	"flag"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"pgregory.net/rapid"

	"fedsync/area"
	"fedsync/sync/sender"
)

// modestChecks lowers rapid's default of 100 checks to n, unless the run
// sets -rapid.checks or RAPID_CHECKS: each check runs a whole topology.
func modestChecks(n string) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if _, env := os.LookupEnv("RAPID_CHECKS"); !set && !env {
		flag.Set("rapid.checks", n)
	}
}

// TestConvergesUnderFaults writes random changes at two streets while their
// senders (to the county) and the county's (to the city) run over links
// that drop, duplicate, reorder, delay and cut batches, refuse batches and
// dials, and while senders restart. Throughout, no parent is ever ahead of
// its source. Once the faults stop, every level converges: each street's
// counters at the county and the city equal its own, every store verifies,
// and every receiver applied each entry exactly once.
func TestConvergesUnderFaults(t *testing.T) {
	modestChecks("15")
	rapid.Check(t, func(rt *rapid.T) {
		h := newHarness(rt, t.TempDir(), rapid.Uint64().Draw(rt, "seed"))
		defer h.close()
		f := h.faults
		f.drop = rapid.Float64Range(0, 0.1).Draw(rt, "drop")
		f.dup = rapid.Float64Range(0, 0.2).Draw(rt, "dup")
		f.reorder = rapid.Float64Range(0, 0.3).Draw(rt, "reorder")
		f.cut = rapid.Float64Range(0, 0.1).Draw(rt, "cut")
		f.batchErr = rapid.Float64Range(0, 0.05).Draw(rt, "batchErr")
		f.dialErr = rapid.Float64Range(0, 0.3).Draw(rt, "dialErr")
		f.jitter = time.Duration(rapid.IntRange(0, 2000).Draw(rt, "jitterMicros")) * time.Microsecond
		f.set(true)
		mod := func(c *sender.Config) {
			c.MaxBatchEntries = rapid.IntRange(1, 40).Draw(rt, "maxEntries")
			c.PerOriginQuantum = rapid.IntRange(1, 20).Draw(rt, "quantum")
			c.MaxInFlight = rapid.IntRange(1, 6).Draw(rt, "inFlight")
			c.MaxBatchBytes = rapid.IntRange(600, 20000).Draw(rt, "maxBytes")
		}
		streets := []area.Code{street1, street2}
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "data"), 1))
		for _, st := range streets {
			write(rt, h.store(st), communityPuts(rt, st))
			h.connect(st, county, mod)
		}
		h.connect(county, city, mod)
		for range rapid.IntRange(1, 10).Draw(rt, "steps") {
			switch rapid.IntRange(0, 5).Draw(rt, "step") {
			case 0:
				h.bounce(h.links[rapid.IntRange(0, len(h.links)-1).Draw(rt, "link")])
			default:
				i := rapid.IntRange(0, 1).Draw(rt, "street")
				write(rt, h.store(streets[i]), randomMuts(rt, r, streets[i], rapid.IntRange(1, 30).Draw(rt, "n")))
				h.links[i].sender.Notify()
			}
			h.checkNotAhead()
		}
		f.set(false)
		h.notifyAll()
		waitFor(rt, 20*time.Second, func() error {
			h.checkNotAhead()
			return h.converged()
		})
		h.sameCounters(streets...)
		h.verifyAll()
	})
}

package sender_test

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/sender"
)

func TestConfigValidate(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1)
	defer h.close()
	good := sender.DefaultConfig()
	good.Area, good.Source, good.Dialer = street1, h.store(street1), &fakeDialer{r: h.receiver(county), f: h.faults}
	if err := good.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	cases := []struct {
		name string
		mod  func(*sender.Config)
	}{
		{"no area", func(c *sender.Config) { c.Area = "" }},
		{"province", func(c *sender.Config) { c.Area = area.MustParse("210000000000") }},
		{"no dialer", func(c *sender.Config) { c.Dialer = nil }},
		{"no source", func(c *sender.Config) { c.Source = nil }},
		{"entries over the wire limit", func(c *sender.Config) { c.MaxBatchEntries = c.Limits.MaxEntries + 1 }},
		{"bytes over the wire limit", func(c *sender.Config) { c.MaxBatchBytes = c.Limits.MaxRaw + 1 }},
		{"negative in-flight", func(c *sender.Config) { c.MaxInFlight = -1 }},
		{"negative quantum", func(c *sender.Config) { c.PerOriginQuantum = -3 }},
		{"backoff max below min", func(c *sender.Config) { c.BackoffMax = c.BackoffMin / 2 }},
		{"bad zstd level", func(c *sender.Config) { c.Level = 9 }},
		{"bad limits", func(c *sender.Config) { c.Limits.MaxRaw = 10 }},
	}
	for _, c := range cases {
		cfg := good
		c.mod(&cfg)
		if err := cfg.Validate(); !errors.Is(err, sender.ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", c.name, err)
		}
		if _, err := sender.New(cfg); !errors.Is(err, sender.ErrConfig) {
			t.Errorf("%s: New: got %v, want ErrConfig", c.name, err)
		}
	}
}

// TestStreetsToCounty: two streets, each with a Sender to the county.
func TestStreetsToCounty(t *testing.T) {
	h := newHarness(t, t.TempDir(), 2)
	defer h.close()
	r := rand.New(rand.NewPCG(2, 2))
	for _, st := range []area.Code{street1, street2} {
		write(t, h.store(st), communityPuts(t, st))
		write(t, h.store(st), randomMuts(t, r, st, 150))
		h.connect(st, county, nil)
	}
	waitFor(t, 10*time.Second, h.converged)
	// Writes after the link is up travel too, woken by Notify.
	write(t, h.store(street1), randomMuts(t, r, street1, 40))
	h.links[0].sender.Notify()
	waitFor(t, 10*time.Second, h.converged)
	h.sameCounters(street1, street2)
	h.verifyAll()

	l := h.links[0]
	waitFor(t, 5*time.Second, func() error { return backlogZero(l.sender.Status()) })
	st := l.sender.Status()
	if !st.Connected || st.Parent != county || st.ParentName != "和平区" || st.LastSuccess.IsZero() {
		t.Errorf("status: got %+v", st)
	}
	if len(st.Origins) != 1 || st.Origins[0].Origin != street1 || st.Origins[0].Acked != watermark(t, h.store(street1), street1) {
		t.Errorf("status origins: got %+v", st.Origins)
	}
	s := l.sender.Stats()
	if s.BatchesSent == 0 || s.EntriesSent < st.Origins[0].Local || s.RangesApplied == 0 || s.WireBytes == 0 || s.RawBytes == 0 || s.Sessions != 1 {
		t.Errorf("stats: got %+v", s)
	}
	if _, err := json.Marshal(st); err != nil {
		t.Fatal(err)
	}
}

func backlogZero(st sender.Status) error {
	if st.Totals.Backlog != 0 {
		return errors.New("backlog not zero")
	}
	return nil
}

// TestCountyForwards: a county that received both streets' entries (and
// wrote a platform of its own) sends all three origins to the city, origin
// and seq unchanged.
func TestCountyForwards(t *testing.T) {
	h := newHarness(t, t.TempDir(), 3)
	defer h.close()
	r := rand.New(rand.NewPCG(3, 3))
	for _, st := range []area.Code{street1, street2} {
		write(t, h.store(st), communityPuts(t, st))
		write(t, h.store(st), randomMuts(t, r, st, 100))
		h.connect(st, county, nil)
	}
	write(t, h.store(county), []storage.Mutation{putOf(t, registry.Platform{
		ID: "hp-incubator", AreaCode: county, Name: "和平区社区社会组织孵化中心", Type: registry.PlatformIncubator, Founded: "2021-06-01"})})
	waitFor(t, 10*time.Second, h.converged)
	h.connect(county, city, nil)
	for _, st := range []area.Code{street1, street2} { // more while forwarding
		write(t, h.store(st), randomMuts(t, r, st, 60))
		h.notifyAll()
	}
	waitFor(t, 10*time.Second, h.converged)
	h.sameCounters(street1, street2)
	h.verifyAll()
	cityStore := h.store(city)
	for _, origin := range []area.Code{street1, street2, county} {
		want := entriesOf(t, h.store(origin), origin)
		got := entriesOf(t, cityStore, origin)
		if !slices.EqualFunc(got, want, sameEntry) {
			t.Fatalf("city's log of %s differs from the origin's (%d vs %d entries)", origin, len(got), len(want))
		}
	}
	if c, _ := cityStore.AreaCounters(county); c["plat.incubator"] != 1 {
		t.Errorf("city's counters of the county: got %v, want the county's platform", c)
	}
}

func sameEntry(a, b storage.Entry) bool {
	return a.Origin == b.Origin && a.Seq == b.Seq && a.Time == b.Time && a.Kind == b.Kind && a.ID == b.ID &&
		a.Op == b.Op && string(a.Body) == string(b.Body) && a.Chain == b.Chain
}

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// fedKnobs are the sizes of the federation tests. The defaults keep the
// whole package under three minutes on a loaded two-core machine; the
// environment variables named on each field make bigger manual runs.
type fedKnobs struct {
	Seed     int           // FEDSYNC_E2E_SEED: orgs imported into each street at the start (300)
	Rate     int           // FEDSYNC_E2E_RATE: records a second the background writer posts, all streets together (400)
	Batch    int           // FEDSYNC_E2E_BATCH: records per batch of the background writer (40)
	WriteFor time.Duration // FEDSYNC_E2E_WRITE_FOR: how long the writer runs in each scenario (5s)
	Backlog  int           // FEDSYNC_E2E_BACKLOG: entries the streets write while the city is down (20000)
	Converge time.Duration // FEDSYNC_E2E_CONVERGE_TIMEOUT: deadline of each convergence wait (90s)
	Fsync    bool          // FEDSYNC_E2E_FSYNC=1: agents fsync (default: unsafe_no_sync, which a kill -9 does not harm)
}

// loadFedKnobs reads the knobs from the environment. A malformed value
// fails the test rather than being ignored.
func loadFedKnobs(t testing.TB) fedKnobs {
	t.Helper()
	k := fedKnobs{Seed: 300, Rate: 400, Batch: 40, WriteFor: 5 * time.Second, Backlog: 20_000, Converge: 90 * time.Second}
	ints := []struct {
		name string
		v    *int
		min  int
	}{
		{"FEDSYNC_E2E_SEED", &k.Seed, 0}, {"FEDSYNC_E2E_RATE", &k.Rate, 1},
		{"FEDSYNC_E2E_BATCH", &k.Batch, 1}, {"FEDSYNC_E2E_BACKLOG", &k.Backlog, 1},
	}
	for _, e := range ints {
		if err := envInt(e.name, e.v, e.min); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]*time.Duration{"FEDSYNC_E2E_WRITE_FOR": &k.WriteFor, "FEDSYNC_E2E_CONVERGE_TIMEOUT": &k.Converge} {
		if err := envDuration(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if k.Batch > 1000 {
		t.Fatalf("FEDSYNC_E2E_BATCH=%d: a batch holds at most 1000 records", k.Batch)
	}
	switch v := os.Getenv("FEDSYNC_E2E_FSYNC"); v {
	case "", "0":
	case "1":
		k.Fsync = true
	default:
		t.Fatalf("FEDSYNC_E2E_FSYNC=%q: want 0 or 1", v)
	}
	return k
}

// envInt sets *v from the variable name when it is set; it must be an
// integer of at least min.
func envInt(name string, v *int, min int) error {
	s, ok := os.LookupEnv(name)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		return fmt.Errorf("%s=%q: want an integer of at least %d", name, s, min)
	}
	*v = n
	return nil
}

// envDuration sets *v from the variable name when it is set; it must be a
// positive Go duration ("30s").
func envDuration(name string, v *time.Duration) error {
	s, ok := os.LookupEnv(name)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s=%q: want a positive duration such as 30s", name, s)
	}
	*v = d
	return nil
}

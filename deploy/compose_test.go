package deploy_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// knobs size the Docker fault test; each has an environment variable
// (README.md). A malformed value fails the test.
type knobs struct {
	Seed     int           // FEDSYNC_DOCKER_SEED: orgs created in each street at the start
	Rate     int           // FEDSYNC_DOCKER_RATE: records a second written during the faults, all streets together
	Batch    int           // FEDSYNC_DOCKER_BATCH: records per batch of those writes
	Hold     time.Duration // FEDSYNC_DOCKER_HOLD: how long each fault lasts at least
	Converge time.Duration // FEDSYNC_DOCKER_CONVERGE_TIMEOUT: deadline of each wait
	Build    bool          // FEDSYNC_DOCKER_BUILD: 0 reuses the image instead of running build-image.sh
	Image    string        // FEDSYNC_DOCKER_IMAGE: the image tag
	Project  string        // FEDSYNC_DOCKER_PROJECT: the compose project name
}

func readKnobs(t *testing.T) knobs {
	t.Helper()
	k := knobs{Seed: 500, Rate: 200, Batch: 20, Hold: 8 * time.Second, Converge: 4 * time.Minute,
		Build: true, Image: "fedsync:dev", Project: "fedsyncfault"}
	envInt(t, "FEDSYNC_DOCKER_SEED", &k.Seed, 0)
	envInt(t, "FEDSYNC_DOCKER_RATE", &k.Rate, 1)
	envInt(t, "FEDSYNC_DOCKER_BATCH", &k.Batch, 1)
	envDur(t, "FEDSYNC_DOCKER_HOLD", &k.Hold)
	envDur(t, "FEDSYNC_DOCKER_CONVERGE_TIMEOUT", &k.Converge)
	k.Build = os.Getenv("FEDSYNC_DOCKER_BUILD") != "0"
	if v := os.Getenv("FEDSYNC_DOCKER_IMAGE"); v != "" {
		k.Image = v
	}
	if v := os.Getenv("FEDSYNC_DOCKER_PROJECT"); v != "" {
		k.Project = v
	}
	if k.Batch > 1000 {
		t.Fatalf("FEDSYNC_DOCKER_BATCH=%d: at most 1000", k.Batch)
	}
	return k
}

func envInt(t *testing.T, name string, v *int, least int) {
	t.Helper()
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < least {
			t.Fatalf("%s=%q: want an integer ≥ %d", name, s, least)
		}
		*v = n
	}
}

func envDur(t *testing.T, name string, v *time.Duration) {
	t.Helper()
	if s := os.Getenv(name); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a positive duration such as 30s", name, s)
		}
		*v = d
	}
}

// TestMiniProvinceFaults runs the compose mini-province (a city, two
// counties, four streets; one container each on a private network) and
// checks that the city converges to every street's data after each fault,
// while the streets keep receiving writes during the fault:
//
//   - county-1 killed with SIGKILL, then started again;
//   - county-2 disconnected from the network (a partition), then
//     reconnected.
//
// Convergence: the county's and the city's watermark of each street equal
// the street's own seq, and their digests of it (seq, chain head, record
// count, SHA-256 over the records) equal the street's. At the end every
// node's verify must pass and every street hold exactly the orgs written.
func TestMiniProvinceFaults(t *testing.T) {
	if os.Getenv("FEDSYNC_DOCKER_TEST") != "1" {
		t.Skip("set FEDSYNC_DOCKER_TEST=1 to run the Docker fault tests (needs a Docker engine)")
	}
	k := readKnobs(t)
	begin := time.Now()
	p := upProvince(t, k)
	ctx := context.Background()
	o := newOffices(p.streets)
	t.Cleanup(o.halt) // runs before upProvince's cleanup takes the nodes down

	start := time.Now()
	if err := o.seed(ctx, k.Seed); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d orgs into each of %d streets in %v", k.Seed, len(p.streets), since(start))
	t.Logf("initial replication converged %v after the seeding", p.waitConverged(ctx, k.Converge).Round(time.Millisecond))

	killAndRestart(t, p, o, k, "county-1")
	partition(t, p, o, k, "county-2")

	p.requireStreetCounts(ctx, o)
	p.requireVerified(ctx)
	p.requireNoPanic()
	t.Logf("writes in all: %+v; whole test %v", o.stats, since(begin))
}

// upProvince builds the image (unless FEDSYNC_DOCKER_BUILD=0), starts the
// project and waits until every node's API answers. Cleanup prints the
// logs when the test failed, then removes containers, network and volumes.
func upProvince(t *testing.T, k knobs) *province {
	t.Helper()
	dc := &compose{t: t, bin: findCompose(t), project: k.Project,
		files: []string{filepath.Join("compose", "docker-compose.yml"), filepath.Join("compose", "docker-compose.test.yml")},
		env:   []string{"FEDSYNC_IMAGE=" + k.Image, "FEDSYNC_CITY_PORT=0"}}
	if k.Build {
		buildImage(t, k.Image)
	}
	p := readProvince(t, dc)
	dc.down() // what a killed earlier run may have left
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := dc.cmd(cmdTimeout, "logs", "--no-color", "--tail", "150")
			t.Logf("compose logs (last 150 lines of each service):\n%s", out)
		}
		dc.down()
	})
	start := time.Now()
	if out, err := dc.cmd(upTimeout, "up", "-d"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), k.Converge)
	defer cancel()
	for _, s := range p.services() {
		p.connect(ctx, s)
	}
	t.Logf("compose up: %d nodes answering after %v (%s)", len(p.nodes), since(start), strings.Join(dc.bin, " "))
	return p
}

// buildImage runs build-image.sh and logs how long it took.
func buildImage(t *testing.T, image string) {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./build-image.sh")
	cmd.Env = append(os.Environ(), "IMAGE="+image)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, out)
	}
	t.Logf("build-image.sh: %s built in %v", image, since(start))
}

// killAndRestart kills service with SIGKILL while the streets write,
// waits until the streets below it report their parent gone with a
// backlog, starts it again and waits for convergence.
func killAndRestart(t *testing.T, p *province, o *offices, k knobs, service string) {
	ctx := context.Background()
	id := p.dc.containerID(service)
	below := p.below(service)
	o.start(k.Rate, k.Batch)
	p.writeAWhile(o, time.Second)
	p.dc.must("kill", "-s", "SIGKILL", service)
	killed := time.Now()
	p.waitFor(o, cmdTimeout, service+" stopped", func(context.Context) (string, error) {
		if p.dc.running(id) {
			return service + " running", nil
		}
		return "", nil
	})
	p.waitFor(o, k.Converge, "the streets below "+service+" report it gone, with a backlog", func(ctx context.Context) (string, error) {
		return p.upstreamDown(ctx, below)
	})
	t.Logf("%s killed; its streets saw it gone after %v", service, since(killed))
	p.writeAWhile(o, k.Hold-time.Since(killed))
	p.dc.must("start", service)
	down := time.Since(killed)
	p.connect(ctx, service)
	p.writeAWhile(o, time.Second)
	o.stop(t)
	t.Logf("%s down %v, answering %v after its start; converged %v after the writes stopped",
		service, down.Round(time.Millisecond), since(killed.Add(down)), p.waitConverged(ctx, k.Converge).Round(time.Millisecond))
}

// partition disconnects service's container from the network while the
// streets write: the city must keep receiving the rest of the province and
// lack the streets below service; then it is reconnected (under its
// service name) and the province must converge.
func partition(t *testing.T, p *province, o *offices, k knobs, service string) {
	ctx := context.Background()
	id := p.dc.containerID(service)
	network := p.dc.network(id)
	below, others := p.below(service), p.outside(service)
	o.start(k.Rate, k.Batch)
	p.writeAWhile(o, time.Second)
	before := p.cityMarks(ctx, others)
	p.dc.docker("network", "disconnect", network, id)
	cut := time.Now()
	p.waitFor(o, k.Converge, "the city receives the streets outside "+service, func(ctx context.Context) (string, error) {
		return p.cityMovedPast(ctx, before)
	})
	p.writeAWhile(o, k.Hold-time.Since(cut))
	behind := p.requireCityBehind(ctx, below)
	p.dc.docker("network", "connect", "--alias", service, network, id)
	healed := time.Now()
	t.Logf("%s cut off for %v; the city kept receiving the others and lacked %s", service, since(cut), behind)
	p.connect(ctx, service)
	p.writeAWhile(o, time.Second)
	o.stop(t)
	t.Logf("%s reconnected; converged %v after the writes stopped (%v after the reconnect)",
		service, p.waitConverged(ctx, k.Converge).Round(time.Millisecond), since(healed))
}

// since is the time since start, rounded for logs.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }

// writeAWhile lets the background writing run for d (nothing when d ≤ 0).
// It is not a wait for a condition: the faults last at least this long.
func (p *province) writeAWhile(o *offices, d time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), max(d, 0))
	defer cancel()
	for pause(ctx, 50*time.Millisecond) {
		if o.failed() {
			o.stop(p.t)
		}
	}
}

// waitFor polls cond until it answers "" (done) or timeout passes; cond
// answers what it still waits for. The background writing must not fail
// meanwhile.
func (p *province) waitFor(o *offices, timeout time.Duration, what string, cond func(context.Context) (string, error)) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		left, err := cond(ctx)
		if err == nil && left == "" {
			return
		}
		if o.failed() {
			o.stop(p.t)
		}
		if !pause(ctx, 200*time.Millisecond) {
			p.t.Fatalf("waiting %v for %s: still %s (last error: %v)", timeout, what, left, err)
		}
	}
}

// below returns the streets under service; outside the other streets.
func (p *province) below(service string) []*fedNode {
	var out []*fedNode
	for _, s := range p.streets {
		if s.parent == service {
			out = append(out, s)
		}
	}
	return out
}

func (p *province) outside(service string) []*fedNode {
	var out []*fedNode
	for _, s := range p.streets {
		if s.parent != service {
			out = append(out, s)
		}
	}
	return out
}

// upstreamDown answers "" once every street says its parent link is down
// and it holds a backlog for the parent.
func (p *province) upstreamDown(ctx context.Context, streets []*fedNode) (string, error) {
	for _, s := range streets {
		st, err := s.cl.Status(ctx)
		if err != nil {
			return "", err
		}
		switch up := st.Upstream; {
		case up == nil:
			return "", fmt.Errorf("%s has no upstream status", s.service)
		case up.Connected:
			return s.service + " reports its parent connected", nil
		case up.Totals.Backlog == 0:
			return s.service + " reports no backlog", nil
		}
	}
	return "", nil
}

// cityMarks returns the city's watermark of each street.
func (p *province) cityMarks(ctx context.Context, streets []*fedNode) map[*fedNode]uint64 {
	p.t.Helper()
	out := make(map[*fedNode]uint64)
	for _, s := range streets {
		wm, err := p.city.watermark(ctx, s.area)
		if err != nil {
			p.t.Fatal(err)
		}
		out[s] = wm
	}
	return out
}

// cityMovedPast answers "" once the city's watermark of every street in
// before has moved past it.
func (p *province) cityMovedPast(ctx context.Context, before map[*fedNode]uint64) (string, error) {
	for s, was := range before {
		wm, err := p.city.watermark(ctx, s.area)
		if err != nil {
			return "", err
		}
		if wm <= was {
			return fmt.Sprintf("the city at seq %d of %s, as before the cut", wm, s.service), nil
		}
	}
	return "", nil
}

// requireCityBehind requires the city to lack entries of every street
// given (they were written during a partition) and says how many.
func (p *province) requireCityBehind(ctx context.Context, streets []*fedNode) string {
	p.t.Helper()
	var parts []string
	for _, s := range streets {
		seq, err := s.ownSeq(ctx)
		if err != nil {
			p.t.Fatal(err)
		}
		wm, err := p.city.watermark(ctx, s.area)
		if err != nil {
			p.t.Fatal(err)
		}
		if wm >= seq {
			p.t.Fatalf("partition: the city holds %s up to seq %d, the street's head: the cut did not hold", s.service, wm)
		}
		parts = append(parts, fmt.Sprintf("%d entries of %s", seq-wm, s.service))
	}
	return strings.Join(parts, ", ")
}

// requireStreetCounts requires every street to hold exactly the orgs the
// offices left there.
func (p *province) requireStreetCounts(ctx context.Context, o *offices) {
	p.t.Helper()
	for _, s := range p.streets {
		st, err := s.cl.Status(ctx)
		if err != nil {
			p.t.Fatal(err)
		}
		if got, want := st.Records["org"], int64(len(o.live[s.area])); got != want {
			p.t.Errorf("%s holds %d orgs, want %d (written and not deleted)", s.service, got, want)
		}
	}
}

// requireVerified runs POST /v1/verify on every node.
func (p *province) requireVerified(ctx context.Context) {
	p.t.Helper()
	for _, name := range p.services() {
		rep, err := p.nodes[name].cl.Verify(ctx)
		if err != nil {
			p.t.Fatalf("verify %s: %v", name, err)
		}
		if !rep.OK {
			p.t.Errorf("verify %s: %d problems: %v", name, len(rep.Problems), rep.Problems)
		}
	}
}

// requireNoPanic fails the test if any container logged a Go panic.
func (p *province) requireNoPanic() {
	p.t.Helper()
	out := p.dc.must("logs", "--no-color")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "panic:") || strings.Contains(line, "fatal error:") {
			p.t.Errorf("a node logged: %s", line)
		}
	}
}

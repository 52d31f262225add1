package deploy_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/client"
	"fedsync/node"
	"fedsync/storage"
)

// fedNode is one service of the mini-province as the test sees it: its
// area and parent from its config file, its API through the published port.
type fedNode struct {
	service string
	area    area.Code
	parent  string // parent service ("" for the city)
	addr    string // 127.0.0.1:port of its API
	cl      *client.Client
	token   string // admin token secret from its ACL bootstrap (once per node)
}

// province is the mini-province under test.
type province struct {
	t       *testing.T
	dc      *compose
	nodes   map[string]*fedNode
	city    *fedNode
	streets []*fedNode // in service order
}

// readProvince reads the topology from compose/config/*.toml, so that the
// test follows the compose file's configs: one node per file, named for its
// service, parent from the host of its first parent address.
func readProvince(t *testing.T, dc *compose) *province {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("compose", "config", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs in compose/config: %v", err)
	}
	p := &province{t: t, dc: dc, nodes: make(map[string]*fedNode)}
	for _, f := range files {
		n := readNode(t, f)
		p.nodes[n.service] = n
		switch n.area.Level() {
		case area.LevelCity:
			p.city = n
		case area.LevelStreet:
			p.streets = append(p.streets, n)
		}
	}
	if p.city == nil || len(p.streets) == 0 {
		t.Fatalf("compose/config has no city or no streets")
	}
	return p
}

// readNode loads one config with node.LoadConfig and validates it.
func readNode(t *testing.T, file string) *fedNode {
	t.Helper()
	c, err := node.LoadConfig(file)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatalf("config %s: %v", file, err)
	}
	n := &fedNode{service: strings.TrimSuffix(filepath.Base(file), ".toml"), area: c.Area}
	if len(c.Parent) > 0 {
		if n.parent, _, err = net.SplitHostPort(c.Parent[0]); err != nil {
			t.Fatalf("config %s: parent: %v", file, err)
		}
	}
	return n
}

// services returns every service name, sorted.
func (p *province) services() []string {
	var out []string
	for s := range p.nodes {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// connect finds the service's published API port and waits until the
// agent answers /healthz.
func (p *province) connect(ctx context.Context, service string) {
	p.t.Helper()
	n := p.nodes[service]
	var last error
	for {
		if last = n.dial(ctx, p.dc); last == nil {
			return
		}
		if !pause(ctx, 200*time.Millisecond) {
			p.t.Fatalf("%s: API not healthy: %v", service, last)
		}
	}
}

// dial resolves the published port and asks /healthz once.
func (n *fedNode) dial(ctx context.Context, dc *compose) error {
	addr, err := dc.apiAddr(n.service)
	if err != nil {
		return err
	}
	cl, err := client.New(addr, client.WithTimeout(30*time.Second))
	if err != nil {
		return err
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := cl.Health(hctx); err != nil {
		return err
	}
	if n.token == "" {
		tc, err := cl.Bootstrap(hctx)
		if err != nil {
			return fmt.Errorf("acl bootstrap of %s: %w", n.service, err)
		}
		n.token = tc.Secret
	}
	if cl, err = client.New(addr, client.WithTimeout(30*time.Second), client.WithToken(n.token)); err != nil {
		return err
	}
	n.addr, n.cl = addr, cl
	return nil
}

// ownSeq returns the head of a street's own log: the seq of its own
// origin's digest.
func (n *fedNode) ownSeq(ctx context.Context) (uint64, error) {
	d, err := n.digestOf(ctx, n.area)
	return d.Seq, err
}

// digestOf returns what n holds of origin: its digest at GET
// /v1/sync/digests?area=ORIGIN (a zero digest when n holds nothing).
func (n *fedNode) digestOf(ctx context.Context, origin area.Code) (storage.OriginDigest, error) {
	ds, err := n.cl.Digests(ctx, origin)
	if err != nil {
		return storage.OriginDigest{}, fmt.Errorf("digests of %s at %s: %w", origin, n.service, err)
	}
	for _, d := range ds {
		if d.Origin == origin {
			return d, nil
		}
	}
	return storage.OriginDigest{Origin: origin}, nil
}

// watermark returns the seq n has applied of origin, from its /v1/status.
func (n *fedNode) watermark(ctx context.Context, origin area.Code) (uint64, error) {
	st, err := n.cl.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("status of %s: %w", n.service, err)
	}
	for _, w := range st.Watermarks {
		if w.Origin == origin {
			return w.Seq, nil
		}
	}
	return 0, nil
}

// chain returns the nodes that must hold a street's data: its county and
// the city (every ancestor service).
func (p *province) chain(street *fedNode) []*fedNode {
	var out []*fedNode
	for n := p.nodes[street.parent]; n != nil; n = p.nodes[n.parent] {
		out = append(out, n)
	}
	return out
}

// lag returns "" when every ancestor of every street has applied the
// street's whole log, else what lags first.
func (p *province) lag(ctx context.Context) (string, error) {
	for _, s := range p.streets {
		want, err := s.ownSeq(ctx)
		if err != nil {
			return "", err
		}
		for _, up := range p.chain(s) {
			got, err := up.watermark(ctx, s.area)
			if err != nil {
				return "", err
			}
			if got != want {
				return fmt.Sprintf("%s holds %s (%s) at seq %d, the street is at %d", up.service, s.service, s.area, got, want), nil
			}
		}
	}
	return "", nil
}

// waitConverged waits until every ancestor holds every street's log, then
// requires their digests of each street (seq, chain head, record count,
// record digest) to equal the street's own. The streets must be quiet. It
// returns how long the wait took.
func (p *province) waitConverged(ctx context.Context, timeout time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lag string
	var err error
	for {
		if lag, err = p.lag(wctx); err == nil && lag == "" {
			break
		}
		if !pause(wctx, 250*time.Millisecond) {
			p.t.Fatalf("not converged after %v: %s (last error: %v)", timeout, lag, err)
		}
	}
	took := time.Since(start)
	p.requireSameDigests(ctx)
	return took
}

// requireSameDigests compares each street's own digest with its county's
// and the city's digest of it.
func (p *province) requireSameDigests(ctx context.Context) {
	p.t.Helper()
	for _, s := range p.streets {
		want, err := s.digestOf(ctx, s.area)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, up := range p.chain(s) {
			got, err := up.digestOf(ctx, s.area)
			if err != nil {
				p.t.Fatal(err)
			}
			if got != want {
				p.t.Errorf("digest of %s (%s) at %s:\n got  %+v\n want %+v (at the street)", s.service, s.area, up.service, got, want)
			}
		}
	}
	if p.t.Failed() {
		p.t.FailNow()
	}
}

// pause waits d, or less when ctx ends; it reports whether ctx is still
// live.
func pause(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

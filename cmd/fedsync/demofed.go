package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"fedsync/area"
	"fedsync/client"
	"fedsync/gen"
	"fedsync/node"
	"fedsync/tlsutil"
)

// demoNode is one node of the demo federation.
type demoNode struct {
	code   area.Code
	parent *demoNode // nil for the city
	n      *node.Node
	c      *client.Client
	token  string // path of the file holding the node's admin token
}

func (d *demoNode) name() string { return area.Name(d.code) }

// federation is the demo's running nodes, parents before children (the
// order they start in; they stop in reverse).
type federation struct {
	nodes []*demoNode
	dir   string
	pki   *tlsutil.DevPKI
}

func (fed *federation) city() *demoNode { return fed.nodes[0] }

func (fed *federation) level(l area.Level) []*demoNode {
	var out []*demoNode
	for _, d := range fed.nodes {
		if d.code.Level() == l {
			out = append(out, d)
		}
	}
	return out
}

// stop stops the nodes in reverse order of start: the streets first, so
// that no child loses its parent while it runs.
func (fed *federation) stop() error {
	var errs []error
	for i := len(fed.nodes) - 1; i >= 0; i-- {
		if err := fed.nodes[i].n.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", fed.nodes[i].name(), err))
		}
	}
	return errors.Join(errs...)
}

// demoTree returns the demo's areas, parents before children: the city,
// the first two of its counties (in code order) that have at least two
// streets, and the first two streets of each.
func demoTree(city area.Code) ([]area.Code, error) {
	tree := []area.Code{city}
	var counties int
	for _, c := range area.Children(city) {
		streets := area.Children(c.Code)
		if len(streets) < 2 {
			continue
		}
		tree = append(tree, c.Code, streets[0].Code, streets[1].Code)
		if counties++; counties == 2 {
			return tree, nil
		}
	}
	return nil, fmt.Errorf("%s (%s) has fewer than two counties with two streets each in the division data", area.Name(city), city)
}

// runFederationDemo is `fedsync demo`: the mini-federation.
func (a *app) runFederationDemo(ctx context.Context, f demoFlags) error {
	city, err := nodeArea(f.city)
	if err != nil || city.Level() != area.LevelCity {
		return usagef("--city %s: want the code of a city of Liaoning in the division data (%v)", f.city, err)
	}
	tree, err := demoTree(city)
	if err != nil {
		return usagef("--city: %v", err)
	}
	dir, cleanup, err := a.demoDir(f)
	if err != nil {
		return err
	}
	defer cleanup()
	fed, err := a.startFederation(ctx, f, dir, tree)
	if err == nil {
		defer fed.stop()
		err = a.prepareFederation(ctx, fed, f)
	}
	if err != nil && ctx.Err() != nil { // Ctrl-C before the demo was ready
		fmt.Fprintln(a.stdout, "\ninterrupted; stopping")
		if fed != nil {
			return fed.stop()
		}
		return nil
	}
	if err != nil {
		return err
	}
	if !f.exit {
		<-ctx.Done()
		fmt.Fprintln(a.stdout, "\nstopping")
	}
	return fed.stop()
}

// prepareFederation writes the rosters, waits for the city and prints
// what the demo shows.
func (a *app) prepareFederation(ctx context.Context, fed *federation, f demoFlags) error {
	if err := a.writeRosters(ctx, fed, f); err != nil {
		return err
	}
	if err := a.waitCity(ctx, fed, f); err != nil {
		return err
	}
	if err := a.printFederation(ctx, fed, demoYear(f.year)); err != nil {
		return err
	}
	a.federationHints(fed, f.exit)
	return nil
}

// startFederation starts the nodes in tree order, each child sending to
// its parent's sync address. The city's API listens at --http-addr.
func (a *app) startFederation(ctx context.Context, f demoFlags, dir string, tree []area.Code) (*federation, error) {
	node.Version = version
	pki, err := demoPKI(dir)
	if err != nil {
		return nil, err
	}
	fed := &federation{dir: dir, pki: pki}
	byCode := map[area.Code]*demoNode{}
	for i, code := range tree {
		d := &demoNode{code: code, parent: byCode[code.Parent()]}
		httpAddr, parent := "127.0.0.1:0", []string(nil)
		if i == 0 {
			httpAddr = hostPort(a.httpAddr)
		} else {
			parent = []string{d.parent.n.SyncAddr()}
		}
		if err := a.startDemoNode(ctx, f, d, fed.pki, filepath.Join(dir, string(code)), httpAddr, parent); err != nil {
			fed.stop()
			return nil, err
		}
		fed.nodes = append(fed.nodes, d)
		byCode[code] = d
	}
	return fed, nil
}

func (a *app) startDemoNode(ctx context.Context, f demoFlags, d *demoNode, pki *tlsutil.DevPKI, dir, httpAddr string, parent []string) error {
	cfg, err := demoConfig(pki, d.code, dir, httpAddr, parent)
	if err != nil {
		return err
	}
	if d.n, err = startNode(ctx, cfg, a.demoLogger(f, d.code)); err != nil {
		return fmt.Errorf("demo: %s (%s): %w", d.name(), d.code, err)
	}
	d.c, d.token, err = demoClient(ctx, d.n.HTTPURL(), dir, demoCA(pki))
	return err
}

// writeRosters writes a generated roster to every street through its API,
// all streets at once, as their offices would.
func (a *app) writeRosters(ctx context.Context, fed *federation, f demoFlags) error {
	streets := fed.level(area.LevelStreet)
	rosters := make([]gen.Roster, len(streets))
	total := 0
	for i, s := range streets {
		rosters[i] = gen.Street(s.code, f.seed, gen.Options{})
		total += rosters[i].Len()
	}
	bar := newProgress(a.stderr, total, "writing sample rosters", "records", f.quiet)
	refused, errs := make([]int, len(streets)), make([]error, len(streets))
	var wg sync.WaitGroup
	for i, s := range streets {
		wg.Go(func() { refused[i], errs[i] = a.writeRoster(ctx, s.c, &rosters[i], bar) })
	}
	wg.Wait()
	_ = bar.Finish()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, s := range streets {
		fmt.Fprintf(a.stdout, "Wrote %d sample records (%d refused) to %s (%s, %s).\n",
			rosters[i].Len()-refused[i], refused[i], s.name(), s.code, s.parent.name())
	}
	return nil
}

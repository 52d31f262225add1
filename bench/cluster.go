package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"fedsync/area"
	"fedsync/node"
	"fedsync/storage"
)

// cluster is the nodes of one mode's run, each with its own data directory
// under dir and every address on loopback.
type cluster struct {
	dir    string
	noSync bool
	log    *slog.Logger
	topo   topology
	pki    *clusterPKI

	city    *member
	county  *member // nil in ShapeFlat
	streets []*member

	holdMu sync.Mutex
	holds  map[string]*hold // reserved sync addresses of parents not started yet
}

// hold keeps a parent's sync port bound until the parent starts, so that
// no other process takes it meanwhile (the streets are configured with it
// and may run for a while before their parent). It accepts connections and
// closes them at once: a street dialling early sees a refusal, as if the
// port were closed.
type hold struct {
	ln   net.Listener
	done chan struct{}
}

// reserveAddr binds a free loopback port and holds it (see hold).
func (c *cluster) reserveAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("reserve a loopback port: %w", err)
	}
	h := &hold{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	addr := ln.Addr().String()
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if c.holds == nil {
		c.holds = map[string]*hold{}
	}
	c.holds[addr] = h
	return addr, nil
}

// release frees a held address just before its node binds it.
func (c *cluster) release(addr string) {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if h, ok := c.holds[addr]; ok {
		_ = h.ln.Close()
		<-h.done
		delete(c.holds, addr)
	}
}

// member is one node of the cluster.
type member struct {
	code area.Code
	cfg  node.Config
	n    *node.Node // nil until started
}

// newCluster prepares the members' configurations; nothing is started.
// The city's and county's sync addresses are reserved now (a loopback port
// each, held until their node starts), so that the streets can be
// configured with their parent's address before the parent runs
// (catch-up).
func newCluster(dir string, topo topology, noSync bool, log *slog.Logger) (*cluster, error) {
	c := &cluster{dir: dir, noSync: noSync, log: log, topo: topo}
	var err error
	if c.pki, err = newClusterPKI(dir); err != nil {
		return nil, err
	}
	cityAddr, err := c.reserveAddr()
	if err != nil {
		return nil, err
	}
	c.city = c.member(topo.city, cityAddr, nil)
	parent := cityAddr
	if topo.county != "" {
		countyAddr, err := c.reserveAddr()
		if err != nil {
			return nil, err
		}
		c.county = c.member(topo.county, countyAddr, []string{cityAddr})
		parent = countyAddr
	}
	for _, s := range topo.streets {
		c.streets = append(c.streets, c.member(s, "127.0.0.1:0", []string{parent}))
	}
	return c, nil
}

// member returns the configuration of code's node.
func (c *cluster) member(code area.Code, syncAddr string, parent []string) *member {
	cfg := node.DefaultConfig()
	cfg.Area, cfg.Name = code, string(code)+"-bench"
	cfg.DataDir = filepath.Join(c.dir, string(code))
	cfg.HTTPAddr, cfg.RaftAddr, cfg.SyncAddr = "127.0.0.1:0", "127.0.0.1:0", syncAddr
	cfg.Parent = parent
	cfg.UnsafeNoSync = c.noSync
	cfg.Privacy.UnsafeDevKey = true    // generated rosters, no real residents
	cfg.ACL.MetricsWithoutToken = true // the bench scrapes /metrics as Prometheus would
	return &member{code: code, cfg: cfg}
}

// start starts m's node.
func (c *cluster) start(ctx context.Context, m *member) error {
	if err := c.pki.secure(m); err != nil {
		return err
	}
	n, err := node.New(m.cfg, c.log)
	if err != nil {
		return fmt.Errorf("node %s: %w", m.code, err)
	}
	c.release(m.cfg.SyncAddr)
	if err := n.Start(ctx); err != nil {
		return fmt.Errorf("start node %s: %w", m.code, err)
	}
	m.n = n
	return nil
}

// startAll starts ms concurrently (each waits for its raft leader).
func (c *cluster) startAll(ctx context.Context, ms []*member) error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { errs[i] = c.start(ctx, m) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// upper returns the city and, in ShapeTree, the county, in start order.
func (c *cluster) upper() []*member {
	if c.county == nil {
		return []*member{c.city}
	}
	return []*member{c.city, c.county}
}

// stop stops every started node, streets first, frees the held ports, and
// removes nothing.
func (c *cluster) stop() error {
	c.holdMu.Lock()
	held := make([]string, 0, len(c.holds))
	for addr := range c.holds {
		held = append(held, addr)
	}
	c.holdMu.Unlock()
	for _, addr := range held {
		c.release(addr)
	}
	var errs []error
	for _, m := range append(append([]*member(nil), c.streets...), c.county, c.city) {
		if m != nil && m.n != nil {
			errs = append(errs, m.n.Stop())
		}
	}
	return errors.Join(errs...)
}

// remove deletes the cluster's data directories.
func (c *cluster) remove() error { return os.RemoveAll(c.dir) }

// own returns the street's own log head: the seq of its last entry.
func (m *member) own() uint64 {
	for _, w := range m.n.Status().Watermarks {
		if w.Origin == m.code {
			return w.Seq
		}
	}
	return 0
}

// heads returns every street's own seq now.
func (c *cluster) heads() map[area.Code]uint64 {
	out := make(map[area.Code]uint64, len(c.streets))
	for _, s := range c.streets {
		out[s.code] = s.own()
	}
	return out
}

// marks returns the watermarks the city holds, by origin (none before it
// starts).
func (c *cluster) marks() map[area.Code]storage.Watermark {
	if c.city.n == nil {
		return nil
	}
	wms := c.city.n.Status().Watermarks
	out := make(map[area.Code]storage.Watermark, len(wms))
	for _, w := range wms {
		out[w.Origin] = w
	}
	return out
}

// discard is the logger of nodes when the scenario names none.
func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

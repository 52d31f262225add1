// Package node composes one fedsync server: the store, raft, and the HTTP
// API. It is the only package that wires the others together; nothing but
// cmd/fedsync imports it.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"fedsync/api"
	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
	"fedsync/sync/sender"
	"fedsync/sync/wire"
)

// Version is the binary's version, set by cmd/fedsync.
var Version = "dev"

// Errors of the node package.
var (
	// ErrDataDirLocked is returned by Start when another process (a second
	// agent) holds the data directory's files.
	ErrDataDirLocked = errors.New("data directory is in use by another fedsync agent")
	// ErrNotLeader is returned by Write on a server that is not its
	// node's raft leader.
	ErrNotLeader = errors.New("this server is not the raft leader")
	// ErrStopped is returned by calls on a stopped node.
	ErrStopped = errors.New("node is stopped")
)

var _ api.Backend = (*Node)(nil)

// Node is one running server.
type Node struct {
	cfg     Config
	log     *slog.Logger
	started time.Time

	store *storage.Store
	fsm   *fsm
	raft  *raft.Raft
	http  *api.Server
	ln    net.Listener
	reg   *prometheus.Registry
	tls   *tlsMaterial // nil with insecure_plaintext

	sender     notifier       // wakes the upward sender; nil when the node has no parent
	up         *sender.Sender // the upward sender; nil when the node has no parent
	syncLn     net.Listener
	metrics    *syncMetrics
	aclm       *aclMetrics
	linkSeen   sync.Map // child sender area.Code → Unix ns of its last hello, batch or ping
	syncLimits wire.Limits
	gossip     gossipHolder // gossip membership and bypass (gossip.go)

	grp raftGroup // this server's place in a group of several (raftgroup.go)

	closers  []func() error // in order of construction; Stop runs them in reverse
	stopOnce sync.Once
	stopErr  error
	wg       sync.WaitGroup // the HTTP server's goroutine
	syncWG   sync.WaitGroup // the link server's and the sender's goroutines
}

// New checks the configuration and prepares a node; Start opens it.
func New(cfg Config, logger *slog.Logger) (*Node, error) {
	if cfg.Name == "" {
		host, _ := os.Hostname()
		cfg.Name = string(cfg.Area) + "-" + host
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Node{cfg: cfg, log: logger.With("server", cfg.Name), metrics: newSyncMetrics(), aclm: newACLMetrics(), syncLimits: cfg.Limits.wire()}, nil
}

// Start opens the store and raft, waits for a leader, seeds the street's
// communities on first start, and serves the API. On error everything
// opened so far is closed.
func (n *Node) Start(ctx context.Context) error {
	n.started = time.Now()
	if err := n.start(ctx); err != nil {
		n.Stop()
		return err
	}
	n.log.Info("fedsync server started", "area", n.cfg.Area, "name", area.Name(n.cfg.Area), "http", n.HTTPAddr(), "raft", n.cfg.RaftAddr, "sync", n.SyncAddr(), "parent", n.cfg.Parent)
	return nil
}

func (n *Node) start(ctx context.Context) error {
	if err := ensureDir(n.cfg.DataDir); err != nil {
		return err
	}
	if err := n.setupTLS(); err != nil {
		return err
	}
	red, err := n.redactor()
	if err != nil {
		return err
	}
	st, err := storage.Open(filepath.Join(n.cfg.DataDir, "fedsync.db"), n.cfg.Area, storage.Options{NoSync: n.cfg.UnsafeNoSync, Redactor: red})
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("%w: %s", ErrDataDirLocked, n.cfg.DataDir)
	}
	if err != nil {
		return err
	}
	n.store = st
	n.closers = append(n.closers, st.Close)
	n.fsm = &fsm{store: st, limits: n.syncLimits, applied: n.notifySender}
	if err := n.setupSender(); err != nil {
		return err
	}
	if err := n.setupRaft(); err != nil {
		return err
	}
	if err := n.awaitGroup(ctx); err != nil {
		return err
	}
	if err := n.startSync(); err != nil {
		return err
	}
	if err := n.serveHTTP(); err != nil {
		return err
	}
	if err := n.startLeaderDuties(); err != nil {
		return err
	}
	return n.startGossip(ctx)
}

func (n *Node) serveHTTP() error {
	n.reg = prometheus.NewRegistry()
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.reg.MustRegister(newNodeCollector(n))
	n.metrics.register(n.reg)
	n.reg.MustRegister(n.aclm.auditRefused)
	n.reg.MustRegister(newSenderCollector(n))
	acfg := api.DefaultConfig()
	acfg.Logger = n.log
	acfg.Registry, acfg.Gatherer = n.reg, n.reg
	acfg = n.aclAPIConfig(acfg)
	srv, err := api.New(acfg, n)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http_addr %s: %w", n.cfg.HTTPAddr, err)
	}
	ln = n.httpListener(ln)
	n.http, n.ln = srv, ln
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server stopped", "err", err)
		}
	}()
	n.closers = append(n.closers, func() error {
		// Requests in flight may wait for one raft apply.
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout.Duration+5*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		n.wg.Wait()
		return err
	})
	return nil
}

// Stop shuts the node down in reverse order of construction. It is safe
// to call more than once; later calls return the first result.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		var errs []error
		for i := len(n.closers) - 1; i >= 0; i-- {
			if err := n.closers[i](); err != nil && !errors.Is(err, storage.ErrClosed) {
				errs = append(errs, err)
			}
		}
		n.stopErr = errors.Join(errs...)
	})
	return n.stopErr
}

// HTTPAddr returns the address the API listens on ("" before Start).
func (n *Node) HTTPAddr() string {
	if n.ln == nil {
		return ""
	}
	return n.ln.Addr().String()
}

// Config returns the node's configuration.
func (n *Node) Config() Config { return n.cfg }

// Area implements api.Backend.
func (n *Node) Area() area.Code { return n.cfg.Area }

// Write implements api.Backend: one raft entry for the whole batch.
func (n *Node) Write(ctx context.Context, muts []storage.Mutation) ([]storage.Result, error) {
	if n.raft == nil {
		return nil, ErrStopped
	}
	if n.raft.State() != raft.Leader {
		return nil, ErrNotLeader
	}
	timeout := n.cfg.ApplyTimeout.Duration
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	f := n.raft.Apply(encodeCommandZ(command{Time: time.Now().UnixNano(), Muts: muts}), timeout)
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("apply through raft: %w", err)
	}
	res, ok := f.Response().(applyResult)
	if !ok {
		return nil, fmt.Errorf("apply through raft: unexpected response %T", f.Response())
	}
	return res.results, res.err
}

// Get implements api.Backend.
func (n *Node) Get(k registry.Kind, origin area.Code, id string) (storage.Stored, error) {
	if origin == "" {
		origin = n.cfg.Area
	}
	return n.store.Get(k, origin, id)
}

// List implements api.Backend.
func (n *Node) List(q storage.ListQuery) (storage.ListPage, error) { return n.store.List(q) }

// Summary implements api.Backend.
func (n *Node) Summary(code area.Code, year int) (*rollup.Summary, error) {
	var s *rollup.Summary
	err := n.store.ReadCounters(func(c rollup.Counters) error {
		var err error
		s, err = rollup.Summarize(c, code, year)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Freshness, err = n.freshness(code)
	return s, err
}

// freshness lists the watermarks of the origins whose data lies in code's
// area: origins inside it, and the origin (a street) that contains it.
func (n *Node) freshness(code area.Code) ([]rollup.Freshness, error) {
	wms, err := n.store.Watermarks()
	if err != nil {
		return nil, err
	}
	var out []rollup.Freshness
	for _, w := range wms {
		if !code.Contains(w.Origin) && !w.Origin.Contains(code) {
			continue
		}
		out = append(out, rollup.Freshness{Origin: w.Origin, Name: area.Name(w.Origin), Seq: w.Seq,
			OriginTime: time.Unix(0, w.Time).UTC(), HeardFrom: time.Unix(0, w.HeardFrom).UTC(),
			Via: w.Via, ViaName: area.Name(w.Via), Bypass: w.Via != "" && w.Via.Level() > n.cfg.Area.Level()+1})
	}
	return out, nil
}

// Verify implements api.Backend.
func (n *Node) Verify(ctx context.Context) (*storage.VerifyReport, error) {
	return n.store.Verify(ctx)
}

// Status implements api.Backend.
func (n *Node) Status() api.Status {
	st := api.Status{Area: n.cfg.Area, Name: area.Name(n.cfg.Area), Level: n.cfg.Area.Level().String(),
		Server: n.cfg.Name, Version: Version, Started: n.started, DataDir: n.cfg.DataDir, Records: map[string]int64{}}
	if n.raft != nil {
		st.RaftState = n.raft.State().String()
		_, id := n.raft.LeaderWithID()
		st.Leader = string(id)
	}
	if c, err := n.store.AreaCounters(n.cfg.Area); err == nil {
		for _, k := range registry.Kinds {
			st.Records[string(k)] = c[rollup.DimCount+"."+string(k)]
		}
	}
	st.Watermarks, _ = n.store.Watermarks()
	st.Stale = n.stale(st.Watermarks)
	st.StaleAfter = n.cfg.StaleAfter.String()
	st.Upstream = n.SyncStatus()
	st.SyncAddr = n.SyncAddr()
	st.Raft = n.raftInfo()
	return st
}

package raftstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// recordFSM records every command it applies, in order.
type recordFSM struct {
	mu      sync.Mutex
	applied []string // guarded by mu
}

func (f *recordFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, string(l.Data))
	return len(f.applied)
}

func (f *recordFSM) Snapshot() (raft.FSMSnapshot, error) {
	return recordSnapshot(f.entries()), nil
}

func (f *recordFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var applied []string
	if err := json.NewDecoder(rc).Decode(&applied); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = applied
	return nil
}

func (f *recordFSM) entries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applied)
}

type recordSnapshot []string

func (s recordSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode([]string(s)); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist: %w", err)
	}
	return sink.Close()
}

func (recordSnapshot) Release() {}

// testNode is one raft server whose log and stable storage is a Store on
// a file that survives restarts of the node.
type testNode struct {
	id    raft.ServerID
	path  string
	snaps *raft.InmemSnapshotStore
	store *Store
	fsm   *recordFSM
	trans *raft.InmemTransport
	raft  *raft.Raft
}

func newTestNode(t *testing.T, id string) *testNode {
	return &testNode{
		id:    raft.ServerID(id),
		path:  filepath.Join(t.TempDir(), id+".db"),
		snaps: raft.NewInmemSnapshotStore(),
	}
}

func (n *testNode) addr() raft.ServerAddress { return raft.ServerAddress(n.id) }

// start opens the store and a fresh transport and FSM, bootstraps with
// servers if the store holds no state yet, and starts raft.
func (n *testNode) start(t *testing.T, servers []raft.Server) {
	t.Helper()
	store, err := Open(n.path, Options{})
	if err != nil {
		t.Fatalf("%s: open store: %v", n.id, err)
	}
	n.store, n.fsm = store, &recordFSM{}
	_, n.trans = raft.NewInmemTransport(n.addr())
	conf := testRaftConfig(n.id)
	existing, err := raft.HasExistingState(store, store, n.snaps)
	if err != nil {
		t.Fatalf("%s: HasExistingState: %v", n.id, err)
	}
	if !existing {
		cfg := raft.Configuration{Servers: servers}
		if err := raft.BootstrapCluster(conf, store, store, n.snaps, n.trans, cfg); err != nil {
			t.Fatalf("%s: bootstrap: %v", n.id, err)
		}
	}
	n.raft, err = raft.NewRaft(conf, n.fsm, store, store, n.snaps, n.trans)
	if err != nil {
		t.Fatalf("%s: NewRaft: %v", n.id, err)
	}
}

// stop shuts raft down and closes the store; it is a no-op when stopped.
func (n *testNode) stop(t *testing.T) {
	t.Helper()
	if n.raft == nil {
		return
	}
	if err := n.raft.Shutdown().Error(); err != nil {
		t.Errorf("%s: shutdown: %v", n.id, err)
	}
	_ = n.trans.Close()
	if err := n.store.Close(); err != nil {
		t.Errorf("%s: close store: %v", n.id, err)
	}
	n.raft = nil
}

func testRaftConfig(id raft.ServerID) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = id
	conf.HeartbeatTimeout = 100 * time.Millisecond
	conf.ElectionTimeout = 100 * time.Millisecond
	conf.LeaderLeaseTimeout = 100 * time.Millisecond
	conf.CommitTimeout = 5 * time.Millisecond
	conf.SnapshotThreshold = 1 << 20 // keep every entry in the log store
	conf.SnapshotInterval = time.Hour
	conf.Logger = hclog.NewNullLogger()
	return conf
}

// startCluster starts n voters on connected in-memory transports and stops
// them when the test ends.
func startCluster(t *testing.T, n int) []*testNode {
	t.Helper()
	nodes := make([]*testNode, n)
	var servers []raft.Server
	for i := range nodes {
		nodes[i] = newTestNode(t, fmt.Sprintf("node%d", i+1))
		servers = append(servers, raft.Server{ID: nodes[i].id, Address: nodes[i].addr()})
	}
	for _, node := range nodes {
		node.start(t, servers)
		t.Cleanup(func() { node.stop(t) })
	}
	connectAll(nodes)
	return nodes
}

// connectAll links the transports of every running pair of nodes.
func connectAll(nodes []*testNode) {
	for _, a := range running(nodes) {
		for _, b := range running(nodes) {
			if a != b {
				a.trans.Connect(b.addr(), b.trans)
			}
		}
	}
}

func running(nodes []*testNode) []*testNode {
	var out []*testNode
	for _, n := range nodes {
		if n.raft != nil {
			out = append(out, n)
		}
	}
	return out
}

// waitFor polls cond every 10ms until it returns nil, failing the test with
// cond's last error after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaderOf returns the running node that is leader and that every running
// node agrees on, or an error saying why there is none.
func leaderOf(nodes []*testNode) (*testNode, error) {
	var leader *testNode
	for _, n := range running(nodes) {
		if n.raft.State() == raft.Leader {
			if leader != nil {
				return nil, fmt.Errorf("both %s and %s are leader", leader.id, n.id)
			}
			leader = n
		}
	}
	if leader == nil {
		return nil, errors.New("no leader")
	}
	for _, n := range running(nodes) {
		if _, id := n.raft.LeaderWithID(); id != leader.id {
			return nil, fmt.Errorf("%s sees leader %q, want %s", n.id, id, leader.id)
		}
	}
	return leader, nil
}

func waitLeader(t *testing.T, nodes []*testNode) *testNode {
	t.Helper()
	var leader *testNode
	waitFor(t, 10*time.Second, "a leader", func() (err error) {
		leader, err = leaderOf(nodes)
		return err
	})
	return leader
}

// apply submits cmd to the current leader, retrying across leader changes.
// A retry after ErrLeadershipLost may commit cmd twice.
func apply(t *testing.T, nodes []*testNode, cmd string) {
	t.Helper()
	waitFor(t, 10*time.Second, "apply "+cmd, func() error {
		leader, err := leaderOf(nodes)
		if err != nil {
			return err
		}
		return leader.raft.Apply([]byte(cmd), time.Second).Error()
	})
}

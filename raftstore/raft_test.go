package raftstore

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func commands(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("cmd-%03d", i))
	}
	return out
}

// TestRaftSingleVoterRestart runs a real raft server on a Store, stops it,
// restarts it from the same file and checks that the log and the FSM state
// rebuilt from it survived.
func TestRaftSingleVoterRestart(t *testing.T) {
	node := newTestNode(t, "node1")
	servers := []raft.Server{{ID: node.id, Address: node.addr()}}
	node.start(t, servers)
	t.Cleanup(func() { node.stop(t) })
	waitLeader(t, []*testNode{node})

	want := commands(0, 100)
	futures := make([]raft.ApplyFuture, 0, len(want))
	for _, cmd := range want {
		futures = append(futures, node.raft.Apply([]byte(cmd), 5*time.Second))
	}
	for i, f := range futures {
		if err := f.Error(); err != nil {
			t.Fatalf("apply %s: %v", want[i], err)
		}
	}
	if got := node.fsm.entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("FSM before restart applied %d entries, want %d", len(got), len(want))
	}
	node.stop(t)

	node.start(t, nil) // existing state: no bootstrap
	last, err := node.store.LastIndex()
	if err != nil || last < 100 {
		t.Fatalf("LastIndex after reopen = %d, %v; want >= 100", last, err)
	}
	waitLeader(t, []*testNode{node})
	waitFor(t, 10*time.Second, "FSM replay", func() error {
		if got := node.fsm.entries(); !reflect.DeepEqual(got, want) {
			return fmt.Errorf("FSM has %d of %d entries", len(got), len(want))
		}
		return nil
	})
}

// TestRaftThreeNodes elects a leader among three servers, replicates, loses
// the leader, replicates under the new one, then restarts the old leader
// from its file and checks it catches up. Every store must end up holding
// identical logs.
func TestRaftThreeNodes(t *testing.T) {
	nodes := startCluster(t, 3)
	leader := waitLeader(t, nodes)
	for _, cmd := range commands(0, 30) {
		apply(t, nodes, cmd)
	}
	waitConverged(t, nodes, commands(0, 30))

	leader.stop(t)
	for _, n := range running(nodes) {
		n.trans.Disconnect(leader.addr())
	}
	if next := waitLeader(t, nodes); next == leader {
		t.Fatal("stopped node is still leader")
	}
	for _, cmd := range commands(30, 40) {
		apply(t, nodes, cmd)
	}
	waitConverged(t, nodes, commands(0, 40))

	leader.start(t, nil)
	connectAll(nodes)
	waitConverged(t, nodes, commands(0, 40))
}

// waitConverged waits until every running node's FSM holds want (each
// command at least once, in the same order on every node) and every store
// holds the same log entries.
func waitConverged(t *testing.T, nodes []*testNode, want []string) {
	t.Helper()
	waitFor(t, 10*time.Second, "FSMs to converge", func() error {
		return fsmsConverged(running(nodes), want)
	})
	waitFor(t, 10*time.Second, "stores to converge", func() error {
		return storesConverged(running(nodes))
	})
}

func fsmsConverged(nodes []*testNode, want []string) error {
	first := nodes[0].fsm.entries()
	if got := slices.Compact(slices.Clone(first)); !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%s applied %d distinct entries, want %d", nodes[0].id, len(got), len(want))
	}
	for _, n := range nodes[1:] {
		if got := n.fsm.entries(); !reflect.DeepEqual(got, first) {
			return fmt.Errorf("%s applied %d entries, %s applied %d", n.id, len(got), nodes[0].id, len(first))
		}
	}
	return nil
}

// storesConverged compares every entry of every store with the first's.
func storesConverged(nodes []*testNode) error {
	ref := nodes[0].store
	first, err := ref.FirstIndex()
	if err != nil {
		return err
	}
	last, err := ref.LastIndex()
	if err != nil {
		return err
	}
	for _, n := range nodes[1:] {
		if got, err := n.store.LastIndex(); err != nil || got != last {
			return fmt.Errorf("%s LastIndex = %d (%v), %s has %d", n.id, got, err, nodes[0].id, last)
		}
		for i := first; i <= last; i++ {
			if err := sameEntry(ref, n.store, i); err != nil {
				return fmt.Errorf("%s index %d: %w", n.id, i, err)
			}
		}
	}
	return nil
}

func sameEntry(a, b *Store, index uint64) error {
	var want, got raft.Log
	errA, errB := a.GetLog(index, &want), b.GetLog(index, &got)
	if errA != nil || errB != nil {
		return errors.Join(errA, errB)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("entry %+v, want %+v", got, want)
	}
	return nil
}

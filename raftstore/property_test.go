package raftstore

import (
	"errors"
	"maps"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hashicorp/raft"
	"pgregory.net/rapid"
)

// TestStoreMatchesModel runs random sequences of StoreLogs, DeleteRange and
// reopen against a Store and a map, checking after every step that both
// hold the same entries and that First/LastIndex are the model's min/max.
func TestStoreMatchesModel(t *testing.T) {
	// One file for all runs, emptied at the start of each: creating a
	// bbolt file costs several fsyncs.
	path := filepath.Join(t.TempDir(), "model.db")
	rapid.Check(t, func(rt *rapid.T) {
		m := &modelTest{path: path, model: map[uint64]raft.Log{}}
		m.open(rt)
		defer func() { _ = m.store.Close() }()
		if err := m.store.DeleteRange(0, math.MaxUint64); err != nil {
			rt.Fatalf("empty the store: %v", err)
		}
		rt.Repeat(map[string]func(*rapid.T){
			"":            m.check,
			"StoreLogs":   m.storeLogs,
			"DeleteRange": m.deleteRange,
			"Reopen":      m.reopen,
		})
	})
}

type modelTest struct {
	path  string
	store *Store
	model map[uint64]raft.Log
}

// indexGen keeps indexes small so that operations overlap.
var indexGen = rapid.Uint64Range(1, 40)

func (m *modelTest) open(t *rapid.T) {
	s, err := Open(m.path, Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	m.store = s
}

func (m *modelTest) storeLogs(t *rapid.T) {
	indexes := rapid.SliceOfN(indexGen, 1, 8).Draw(t, "indexes")
	logs := make([]*raft.Log, 0, len(indexes))
	for _, idx := range indexes {
		l := raft.Log{
			Index: idx,
			Term:  rapid.Uint64Range(1, 5).Draw(t, "term"),
			Data:  rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, "data"),
		}
		if len(l.Data) == 0 {
			l.Data = nil // the codec returns empty as nil
		}
		logs = append(logs, &l)
	}
	if err := m.store.StoreLogs(logs); err != nil {
		t.Fatalf("StoreLogs: %v", err)
	}
	for _, l := range logs { // later entries in a batch win, as in bbolt
		m.model[l.Index] = *l
	}
}

func (m *modelTest) deleteRange(t *rapid.T) {
	lo := rapid.Uint64Range(0, 42).Draw(t, "min")
	hi := rapid.Uint64Range(0, 42).Draw(t, "max")
	if err := m.store.DeleteRange(lo, hi); err != nil {
		t.Fatalf("DeleteRange(%d, %d): %v", lo, hi, err)
	}
	for idx := range m.model {
		if lo <= idx && idx <= hi {
			delete(m.model, idx)
		}
	}
}

func (m *modelTest) reopen(t *rapid.T) {
	if err := m.store.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	m.open(t)
}

func (m *modelTest) check(t *rapid.T) {
	keys := slices.Sorted(maps.Keys(m.model))
	var wantFirst, wantLast uint64
	if len(keys) > 0 {
		wantFirst, wantLast = keys[0], keys[len(keys)-1]
	}
	first, err1 := m.store.FirstIndex()
	last, err2 := m.store.LastIndex()
	if err := errors.Join(err1, err2); err != nil || first != wantFirst || last != wantLast {
		t.Fatalf("First, LastIndex = %d, %d (%v); want %d, %d", first, last, err, wantFirst, wantLast)
	}
	for idx := uint64(0); idx <= 41; idx++ {
		var got raft.Log
		err := m.store.GetLog(idx, &got)
		want, ok := m.model[idx]
		switch {
		case !ok && !errors.Is(err, raft.ErrLogNotFound):
			t.Fatalf("GetLog(%d) = %+v, %v; want ErrLogNotFound", idx, got, err)
		case ok && (err != nil || !reflect.DeepEqual(got, want)):
			t.Fatalf("GetLog(%d) = %+v, %v; want %+v", idx, got, err, want)
		}
	}
}

package raftstore

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
)

// openTemp opens a Store on a new file under t.TempDir and closes it when
// the test ends.
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "raft.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustStore(t *testing.T, s *Store, logs ...*raft.Log) {
	t.Helper()
	if err := s.StoreLogs(logs); err != nil {
		t.Fatalf("StoreLogs: %v", err)
	}
}

// indexRange returns entries min..max with a small payload.
func indexRange(min, max uint64, size int) []*raft.Log {
	var logs []*raft.Log
	for i := min; i <= max; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Data: bytes.Repeat([]byte{byte(i)}, size)})
	}
	return logs
}

// storedIndexes lists every stored index by probing first..last.
func storedIndexes(t *testing.T, s *Store) []uint64 {
	t.Helper()
	first, last := mustFirstLast(t, s)
	var got []uint64
	for i := first; first != 0 && i <= last; i++ {
		var l raft.Log
		err := s.GetLog(i, &l)
		if errors.Is(err, raft.ErrLogNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("GetLog(%d): %v", i, err)
		}
		got = append(got, l.Index)
	}
	return got
}

func mustFirstLast(t *testing.T, s *Store) (first, last uint64) {
	t.Helper()
	first, err := s.FirstIndex()
	if err != nil {
		t.Fatalf("FirstIndex: %v", err)
	}
	last, err = s.LastIndex()
	if err != nil {
		t.Fatalf("LastIndex: %v", err)
	}
	return first, last
}

func TestEmptyStore(t *testing.T) {
	s := openTemp(t, Options{})
	if first, last := mustFirstLast(t, s); first != 0 || last != 0 {
		t.Errorf("FirstIndex, LastIndex = %d, %d; want 0, 0", first, last)
	}
	var l raft.Log
	if err := s.GetLog(1, &l); err != raft.ErrLogNotFound {
		t.Errorf("GetLog(1) error = %v, want raft.ErrLogNotFound unwrapped", err)
	}
}

func TestStoreAndGetLogs(t *testing.T) {
	s := openTemp(t, Options{})
	samples := sampleLogs()
	delete(samples, "zero") // index 0 is never stored by raft
	var logs []*raft.Log
	for _, l := range samples {
		logs = append(logs, &l)
	}
	mustStore(t, s, logs...)
	for name, want := range samples {
		var got raft.Log
		if err := s.GetLog(want.Index, &got); err != nil {
			t.Fatalf("%s: GetLog(%d): %v", name, want.Index, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: GetLog(%d):\n got %+v\nwant %+v", name, want.Index, got, want)
		}
	}
}

func TestFirstLastIndexWithGaps(t *testing.T) {
	s := openTemp(t, Options{})
	mustStore(t, s, &raft.Log{Index: 10}, &raft.Log{Index: 3}, &raft.Log{Index: 7})
	if first, last := mustFirstLast(t, s); first != 3 || last != 10 {
		t.Errorf("FirstIndex, LastIndex = %d, %d; want 3, 10", first, last)
	}
	// Numeric order, not byte order of a decimal string: 256 > 255.
	mustStore(t, s, &raft.Log{Index: 255}, &raft.Log{Index: 256})
	if _, last := mustFirstLast(t, s); last != 256 {
		t.Errorf("LastIndex = %d, want 256", last)
	}
}

func TestStoreLogOverwrites(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.StoreLog(&raft.Log{Index: 5, Term: 1, Data: []byte("old")}); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLog(&raft.Log{Index: 5, Term: 2, Data: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	var got raft.Log
	if err := s.GetLog(5, &got); err != nil {
		t.Fatal(err)
	}
	if got.Term != 2 || string(got.Data) != "new" {
		t.Errorf("GetLog(5) = term %d data %q, want term 2 data %q", got.Term, got.Data, "new")
	}
}

func TestStoreLogsIsAtomic(t *testing.T) {
	s := openTemp(t, Options{})
	err := s.StoreLogs([]*raft.Log{{Index: 1}, nil, {Index: 3}})
	if !errors.Is(err, ErrNilLog) {
		t.Fatalf("StoreLogs with nil entry: error = %v, want ErrNilLog", err)
	}
	if first, last := mustFirstLast(t, s); first != 0 || last != 0 {
		t.Errorf("after failed batch FirstIndex, LastIndex = %d, %d; want 0, 0", first, last)
	}
	if err := s.StoreLogs(nil); err != nil {
		t.Errorf("StoreLogs(nil) = %v, want nil", err)
	}
}

func TestDeleteRange(t *testing.T) {
	// 300 entries of 512 bytes span many bbolt pages.
	const n = 300
	all := make([]uint64, 0, n)
	for i := uint64(1); i <= n; i++ {
		all = append(all, i)
	}
	tests := []struct {
		name     string
		min, max uint64
		want     []uint64
	}{
		{"prefix", 1, 100, all[100:]},
		{"suffix", 201, n, all[:200]},
		{"middle", 50, 250, append(append([]uint64{}, all[:49]...), all[250:]...)},
		{"single", 7, 7, append(append([]uint64{}, all[:6]...), all[7:]...)},
		{"everything", 1, n, nil},
		{"wider than stored", 0, ^uint64(0), nil},
		{"beyond last", n + 1, n + 100, all},
		{"min above max", 10, 5, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t, Options{NoSync: true})
			mustStore(t, s, indexRange(1, n, 512)...)
			if err := s.DeleteRange(tt.min, tt.max); err != nil {
				t.Fatalf("DeleteRange(%d, %d): %v", tt.min, tt.max, err)
			}
			if got := storedIndexes(t, s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("after DeleteRange(%d, %d) stored %v\nwant %v", tt.min, tt.max, got, tt.want)
			}
		})
	}
}

func TestStable(t *testing.T) {
	s := openTemp(t, Options{})
	got, err := s.Get([]byte("missing"))
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Get(missing) = %q (nil %t), %v; want empty non-nil, nil", got, got == nil, err)
	}
	n, err := s.GetUint64([]byte("missing"))
	if err != nil || n != 0 {
		t.Errorf("GetUint64(missing) = %d, %v; want 0, nil", n, err)
	}
	for _, val := range []string{"v1", "v2", ""} {
		if err := s.Set([]byte("k"), []byte(val)); err != nil {
			t.Fatalf("Set(k, %q): %v", val, err)
		}
		if got, err := s.Get([]byte("k")); err != nil || string(got) != val {
			t.Errorf("Get(k) = %q, %v; want %q, nil", got, err, val)
		}
	}
	for _, val := range []uint64{1, 1 << 40, ^uint64(0), 0} {
		if err := s.SetUint64([]byte("term"), val); err != nil {
			t.Fatalf("SetUint64(term, %d): %v", val, err)
		}
		if got, err := s.GetUint64([]byte("term")); err != nil || got != val {
			t.Errorf("GetUint64(term) = %d, %v; want %d, nil", got, err, val)
		}
	}
	if err := s.Set(nil, []byte("v")); err == nil {
		t.Error("Set with empty key succeeded, want error")
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	s := openTemp(t, Options{})
	mustStore(t, s, &raft.Log{Index: 1, Data: []byte("data")})
	if err := s.Set([]byte("k"), []byte("value")); err != nil {
		t.Fatal(err)
	}
	var l raft.Log
	if err := s.GetLog(1, &l); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	copy(l.Data, "XXXX")
	copy(v, "XXXXX")
	var again raft.Log
	if err := s.GetLog(1, &again); err != nil || string(again.Data) != "data" {
		t.Errorf("GetLog(1) after caller mutation = %q, %v; want %q", again.Data, err, "data")
	}
	if v, err := s.Get([]byte("k")); err != nil || string(v) != "value" {
		t.Errorf("Get(k) after caller mutation = %q, %v; want %q", v, err, "value")
	}
}

func TestReopenPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := raft.Log{Index: 3, Term: 2, Type: raft.LogCommand, Data: []byte("x"),
		AppendedAt: time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC)}
	mustStore(t, s, &raft.Log{Index: 2, Term: 1}, &want)
	if err := s.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("n1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if first, last := mustFirstLast(t, s); first != 2 || last != 3 {
		t.Errorf("after reopen FirstIndex, LastIndex = %d, %d; want 2, 3", first, last)
	}
	var got raft.Log
	if err := s.GetLog(3, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen GetLog(3) = %+v, %v; want %+v", got, err, want)
	}
	if term, err := s.GetUint64([]byte("CurrentTerm")); err != nil || term != 2 {
		t.Errorf("after reopen GetUint64(CurrentTerm) = %d, %v; want 2", term, err)
	}
	if cand, err := s.Get([]byte("LastVoteCand")); err != nil || string(cand) != "n1" {
		t.Errorf("after reopen Get(LastVoteCand) = %q, %v; want n1", cand, err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.db")
	holder, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a held file: error = %v, want ErrLocked", err)
	}

	// Open waits for the lock: release it while a second Open is waiting.
	released := make(chan error, 1)
	time.AfterFunc(100*time.Millisecond, func() { released <- holder.Close() })
	waiter, err := Open(path, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Open while the holder releases the lock: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatalf("holder Close: %v", err)
	}
	_ = waiter.Close()
}

func TestClosed(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	var l raft.Log
	_, errFirst := s.FirstIndex()
	_, errGet := s.Get([]byte("k"))
	for name, err := range map[string]error{
		"FirstIndex": errFirst,
		"GetLog":     s.GetLog(1, &l),
		"StoreLog":   s.StoreLog(&raft.Log{Index: 1}),
		"DeleteRng":  s.DeleteRange(1, 2),
		"Set":        s.Set([]byte("k"), nil),
		"Get":        errGet,
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: error = %v, want ErrClosed", name, err)
		}
	}
}

// TestCorruptData writes bad bytes with bbolt directly and checks that the
// Store reports them instead of returning garbage.
func TestCorruptData(t *testing.T) {
	s := openTemp(t, Options{})
	valid := encodeLog(&raft.Log{Index: 9})
	put := func(bucket, key, val []byte) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, val) })
		if err != nil {
			t.Fatal(err)
		}
	}
	put(bucketLogs, keyFromIndex(1), []byte{logFormatV1, 0})
	put(bucketLogs, keyFromIndex(2), append([]byte{9}, valid[1:]...))
	put(bucketLogs, keyFromIndex(3), valid) // entry says index 9
	put(bucketConf, []byte("term"), []byte{1, 2, 3})

	tests := []struct {
		index uint64
		want  error
	}{{1, ErrCorrupt}, {2, ErrUnsupportedVersion}, {3, ErrCorrupt}}
	for _, tt := range tests {
		var l raft.Log
		if err := s.GetLog(tt.index, &l); !errors.Is(err, tt.want) {
			t.Errorf("GetLog(%d) error = %v, want %v", tt.index, err, tt.want)
		}
	}
	if _, err := s.GetUint64([]byte("term")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("GetUint64 of 3-byte value: error = %v, want ErrCorrupt", err)
	}
	put(bucketLogs, []byte{0}, valid)          // sorts first
	put(bucketLogs, []byte{0xff, 0xff}, valid) // sorts last
	if _, err := s.FirstIndex(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("FirstIndex with a 1-byte key: error = %v, want ErrCorrupt", err)
	}
	if _, err := s.LastIndex(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("LastIndex with a 2-byte key: error = %v, want ErrCorrupt", err)
	}
}

func TestSyncAndStats(t *testing.T) {
	s := openTemp(t, Options{NoSync: true})
	mustStore(t, s, indexRange(1, 10, 8)...)
	if err := s.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
	stats := s.Stats()
	if got := stats.TxStats.GetWrite(); got == 0 {
		t.Errorf("Stats().TxStats.GetWrite() = 0 after writes, want > 0")
	}
}

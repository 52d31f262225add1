package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
)

// fakeBackend is an in-memory Backend honouring the put modes and the
// storage sentinels the way the real store does.
type fakeBackend struct {
	area area.Code

	mu       sync.Mutex
	seq      uint64
	recs     map[fakeKey]storage.Stored
	writes   int   // Write calls
	writeErr error // when set, Write fails as a whole with it
	panicGet bool  // when set, Get panics (recovery tests)
	tokens   map[string]storage.Token
	audits   []fakeAudit
}

type fakeKey struct {
	kind registry.Kind
	id   string
}

var _ Backend = (*fakeBackend)(nil)

func newFakeBackend(a area.Code) *fakeBackend {
	return &fakeBackend{area: a, recs: make(map[fakeKey]storage.Stored)}
}

func (f *fakeBackend) Area() area.Code { return f.area }

func (f *fakeBackend) Write(ctx context.Context, muts []storage.Mutation) ([]storage.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.writeErr != nil {
		return nil, f.writeErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]storage.Result, len(muts))
	for i, m := range muts {
		if m.Kind == storage.KindAudit {
			out[i] = f.audit(m, out[:i])
			continue
		}
		out[i] = f.apply(m)
	}
	return out, nil
}

// apply is one mutation; f.mu is held.
func (f *fakeBackend) apply(m storage.Mutation) storage.Result {
	key := fakeKey{m.Kind, m.ID}
	old, exists := f.recs[key]
	switch {
	case m.Op == storage.OpDelete && !exists:
		return storage.Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, storage.ErrNotFound)}
	case m.Op == storage.OpDelete:
		delete(f.recs, key)
		f.seq++
		return storage.Result{Seq: f.seq}
	case exists && bytes.Equal(old.Body, m.Body):
		return storage.Result{Unchanged: true, Body: old.Body}
	case exists && m.Mode == storage.ModeCreate:
		return storage.Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, storage.ErrExists)}
	case !exists && m.Mode == storage.ModeUpdate:
		return storage.Result{Err: fmt.Errorf("%s %q: %w", m.Kind, m.ID, storage.ErrNotFound)}
	}
	f.seq++
	f.recs[key] = storage.Stored{Kind: m.Kind, Origin: f.area, ID: m.ID, Seq: f.seq,
		Updated: time.Unix(1700000000, 0).UTC(), Body: slices.Clone(m.Body)}
	return storage.Result{Seq: f.seq, Body: m.Body, Created: !exists}
}

func (f *fakeBackend) Get(kind registry.Kind, origin area.Code, id string) (storage.Stored, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panicGet {
		panic("fake backend: Get panics on request")
	}
	st, ok := f.recs[fakeKey{kind, id}]
	if !ok || (origin != "" && origin != f.area) {
		return storage.Stored{}, storage.ErrNotFound
	}
	return st, nil
}

// List pages through records sorted by id; the cursor is the last id.
func (f *fakeBackend) List(q storage.ListQuery) (storage.ListPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := q.Limit
	if limit == 0 {
		limit = storage.DefaultPageSize
	}
	var all []storage.Stored
	for k, st := range f.recs {
		if k.kind == q.Kind && k.id > q.After && fakeMatch(st, q) {
			all = append(all, st)
		}
	}
	slices.SortFunc(all, func(a, b storage.Stored) int { return cmpString(a.ID, b.ID) })
	var page storage.ListPage
	if len(all) > limit {
		all = all[:limit]
		page.Next = all[limit-1].ID
	}
	page.Items = all
	return page, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fakeMatch applies the area and field filters of q to st.
func fakeMatch(st storage.Stored, q storage.ListQuery) bool {
	rec, err := registry.Decode(st.Kind, st.Body)
	if err != nil {
		return false
	}
	if q.Area != "" && !q.Area.Contains(rec.Area()) {
		return false
	}
	var fields map[string]any
	if err := json.Unmarshal(st.Body, &fields); err != nil {
		return false
	}
	for name, want := range q.Where {
		if fmt.Sprint(fields[name]) != want {
			return false
		}
	}
	return true
}

func (f *fakeBackend) Summary(code area.Code, year int) (*rollup.Summary, error) {
	return &rollup.Summary{Area: code, Name: area.Name(code), Year: year}, nil
}

func (f *fakeBackend) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Status{Area: f.area, Name: area.Name(f.area), Level: f.area.Level().String(),
		RaftState: "Leader", Records: map[string]int64{"all": int64(len(f.recs))}}
}

func (f *fakeBackend) Verify(ctx context.Context) (*storage.VerifyReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &storage.VerifyReport{OK: true, Records: int64(len(f.recs)), Entries: int64(f.seq)}, nil
}

// writeCalls is the number of Write calls so far.
func (f *fakeBackend) writeCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

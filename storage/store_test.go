package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// testStreet is 浑河湾街道 of Shenyang's 和平区.
var testStreet = area.MustParse("210102001000")

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "fedsync.db"), testStreet, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type fataler interface {
	Helper()
	Fatal(args ...any)
}

func put(t fataler, mode Mode, r registry.Record) Mutation {
	t.Helper()
	b, err := registry.Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return Mutation{Op: OpPut, Mode: mode, Kind: r.Kind(), ID: r.RecordID(), Body: b}
}

func communities(t testing.TB) []registry.Community {
	var out []registry.Community
	for _, d := range area.Children(testStreet) {
		out = append(out, registry.Community{ID: string(d.Code), Code: d.Code, Name: d.Name, UrbanRural: d.UrbanRural})
	}
	if len(out) < 2 {
		t.Fatalf("street %s has %d communities in the division data", testStreet, len(out))
	}
	return out
}

func org(id string, c area.Code, cat registry.Category) registry.Org {
	return registry.Org{ID: id, Community: c, Name: "邻里互助队" + id, Category: cat, Tier: registry.TierFiled,
		Founded: "2022-03-01", Members: 12, Status: registry.StatusActive}
}

func mustApply(t testing.TB, s *Store, muts ...Mutation) []Result {
	t.Helper()
	res, err := s.ApplyLocal(0, time.Now().UnixNano(), muts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustVerify(t testing.TB, s *Store) {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: %v", rep.Problems)
	}
}

func TestCreateModes(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	o := org("o1", cs[0].Code, registry.CatCulture)
	res := mustApply(t, s, put(t, ModeCreate, cs[0]), put(t, ModeCreate, o))
	if res[1].Err != nil || res[1].Seq != 2 {
		t.Fatalf("create: got %+v, want seq 2", res[1])
	}
	res = mustApply(t, s, put(t, ModeCreate, o))
	if !res[0].Unchanged || res[0].Seq != 0 {
		t.Fatalf("repeat create: got %+v, want unchanged", res[0])
	}
	o2 := o
	o2.Members = 99
	res = mustApply(t, s, put(t, ModeCreate, o2))
	if !errors.Is(res[0].Err, ErrExists) {
		t.Fatalf("create with other content: got %v, want ErrExists", res[0].Err)
	}
	res = mustApply(t, s, put(t, ModeUpdate, org("nope", cs[0].Code, registry.CatCulture)))
	if !errors.Is(res[0].Err, ErrNotFound) {
		t.Fatalf("update of missing: got %v, want ErrNotFound", res[0].Err)
	}
	res = mustApply(t, s, Mutation{Op: OpDelete, Kind: registry.KindOrg, ID: "nope"})
	if !errors.Is(res[0].Err, ErrNotFound) {
		t.Fatalf("delete of missing: got %v, want ErrNotFound", res[0].Err)
	}
	got, err := s.Get(registry.KindOrg, testStreet, "o1")
	if err != nil || got.Seq != 2 {
		t.Fatalf("get: %+v %v", got, err)
	}
	mustVerify(t, s)
}

func TestRefusalsChangeNothing(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	mustApply(t, s, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	before, _ := s.AreaCounters(testStreet)
	outside := org("o2", area.MustParse("210102002001"), registry.CatCulture)
	act := registry.Activity{ID: "a1", Org: "ghost", Community: cs[0].Code, Theme: registry.ThemeSafety, Type: "讲座", Date: "2023-05-01", Participants: 30}
	res := mustApply(t, s, put(t, ModeCreate, outside), put(t, ModeCreate, act),
		Mutation{Op: OpPut, Mode: ModeCreate, Kind: registry.KindOrg, ID: "x", Body: []byte(`{"id":"x","bogus":1}`)})
	for i, r := range res {
		if r.Err == nil {
			t.Errorf("mutation %d: accepted, want refused", i)
		}
	}
	after, _ := s.AreaCounters(testStreet)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Fatalf("counters changed by refused mutations:\n%v\n%v", before, after)
	}
	wms, _ := s.Watermarks()
	if len(wms) != 1 || wms[0].Seq != 2 {
		t.Fatalf("watermarks: %+v, want seq 2", wms)
	}
}

func TestMeetingTarget(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	c := cs[0]
	min := int64(registry.RuralMinimum)
	class := "rural"
	if c.Urban() {
		min, class = registry.UrbanMinimum, "urban"
	}
	mustApply(t, s, put(t, ModeCreate, c))
	meet := func() int64 {
		m, _ := s.AreaCounters(testStreet)
		return m["meet."+class+".now"]
	}
	for i := int64(1); i <= min; i++ {
		if got := meet(); got != 0 {
			t.Fatalf("with %d orgs: meeting = %d, want 0", i-1, got)
		}
		mustApply(t, s, put(t, ModeCreate, org(fmt.Sprintf("o%d", i), c.Code, registry.CatCulture)))
	}
	if got := meet(); got != 1 {
		t.Fatalf("with %d orgs: meeting = %d, want 1", min, got)
	}
	dissolved := org("o1", c.Code, registry.CatCulture)
	dissolved.Status = registry.StatusDissolved
	mustApply(t, s, put(t, ModeUpdate, dissolved))
	if got := meet(); got != 0 {
		t.Fatalf("after dissolving one: meeting = %d, want 0", got)
	}
	mustVerify(t, s)
}

func TestReopenAndAreaMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fedsync.db")
	s, err := Open(path, testStreet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, testStreet, Options{LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
	s.Close()
	if _, err := Open(path, area.MustParse("210102002000"), Options{}); !errors.Is(err, ErrSchema) {
		t.Fatalf("open for another area: got %v, want ErrSchema", err)
	}
}

func TestReplayIsSkipped(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	m := put(t, ModeUpsert, cs[0])
	if _, err := s.ApplyLocal(7, 1, []Mutation{m}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyLocal(7, 1, []Mutation{put(t, ModeUpsert, org("o1", cs[0].Code, registry.CatOther))})
	if err != nil || res != nil {
		t.Fatalf("replayed index: got %v %v, want skipped", res, err)
	}
	if idx, _ := s.AppliedIndex(); idx != 7 {
		t.Fatalf("applied index %d, want 7", idx)
	}
}

func TestVerifyDetectsDrift(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	mustApply(t, s, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	mustVerify(t, s)
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRollup).Put(rollupKey(testStreet, "org.active"), u64(5))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(rep.Problems) != 1 {
		t.Fatalf("verify after drift: ok=%v problems=%v, want exactly one problem", rep.OK, rep.Problems)
	}
	err = s.update(func(tx *bolt.Tx) error {
		lb := tx.Bucket(bucketLog).Bucket([]byte(testStreet))
		e, _ := decodeEntry(testStreet, 1, lb.Get(u64(1)))
		e.Body = []byte(`{}`)
		return lb.Put(u64(1), encodeEntry(e))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, _ = s.Verify(context.Background())
	if rep.Origins[0].ChainOK {
		t.Fatalf("verify after log tampering: chain reported ok")
	}
}

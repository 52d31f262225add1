package storage

import (
	"errors"
	"maps"
	"testing"

	"fedsync/area"
	"fedsync/registry"
)

func TestPruneAndStateTransfer(t *testing.T) {
	street, county, city := openTest(t), openArea(t, testCounty), openArea(t, area.MustParse("210100000000"))
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)),
		put(t, ModeCreate, org("o2", cs[0].Code, registry.CatCharity)))
	// The county holds seq 1..2 from before; then the street prunes 1..3.
	es := entries(t, street, testStreet, 1)
	if _, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es[:2]}}); err != nil {
		t.Fatal(err)
	}
	mustApply(t, street, Mutation{Op: OpDelete, Kind: registry.KindOrg, ID: "o1"})
	if n, err := street.Prune(0, testStreet, 3); err != nil || n != 3 {
		t.Fatalf("prune: %d %v, want 3 removed", n, err)
	}
	mustVerify(t, street)
	var pe *PrunedError
	if err := street.Entries(testStreet, 3, func(Entry) bool { return true }); !errors.As(err, &pe) || pe.Floor != 3 {
		t.Fatalf("entries from a pruned seq: %v, want PrunedError at floor 3", err)
	}
	st, err := street.State(testStreet)
	if err != nil || st.Seq != 4 || len(st.Records) != 2 {
		t.Fatalf("state: seq %d, %d records, %v; want seq 4 with a community and o2", st.Seq, len(st.Records), err)
	}
	res, err := county.InstallState(0, testStreet, st)
	if err != nil || res.Status != RangeApplied || res.Watermark != 4 {
		t.Fatalf("install: %+v %v", res, err)
	}
	if res, _ := county.InstallState(0, testStreet, st); res.Status != RangeDuplicate {
		t.Fatalf("second install: %v, want duplicate", res.Status)
	}
	// The street goes on writing; the county continues from the state's seq.
	mustApply(t, street, put(t, ModeCreate, org("o3", cs[0].Code, registry.CatOther)))
	more := entries(t, street, testStreet, 5)
	if r, _ := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: more}}); r[0].Status != RangeApplied {
		t.Fatalf("after install: %+v", r[0])
	}
	// The city, new, gets the street's state from the county (whose log of
	// the street starts above 4), then the entries after it.
	if err := county.Entries(testStreet, 1, func(Entry) bool { return true }); !errors.As(err, &pe) {
		t.Fatalf("county entries below its floor: %v, want PrunedError", err)
	}
	cst, _ := county.State(testStreet)
	if r, err := city.InstallState(0, testCounty, cst); err != nil || r.Status != RangeApplied {
		t.Fatalf("city install: %+v %v", r, err)
	}
	want, _ := street.AreaCounters(testStreet)
	for name, s := range map[string]*Store{"county": county, "city": city} {
		got, _ := s.AreaCounters(testStreet)
		if !maps.Equal(got, want) {
			t.Fatalf("%s counters of the street:\n got %v\nwant %v", name, got, want)
		}
		mustVerify(t, s)
	}
	a, _ := street.Digests("")
	b, _ := city.Digests(testStreet)
	if a[0] != b[0] {
		t.Fatalf("digests differ after state transfer:\nstreet %+v\ncity   %+v", a[0], b[0])
	}
}

func TestInstallStateRefusals(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	st, _ := street.State(testStreet)
	bad := *st
	bad.Records = append([]Stored(nil), st.Records...)
	bad.Records[1].Body = []byte(`{"id":"o1","community":"210103001001"}`)
	other := area.MustParse("210102002000")
	for name, c := range map[string]struct {
		sender area.Code
		st     *OriginState
	}{
		"invalid record":        {testStreet, &bad},
		"origin outside sender": {other, st},
	} {
		res, err := county.InstallState(0, c.sender, c.st)
		if err != nil || res.Status != RangeRefused {
			t.Errorf("%s: %+v %v, want refused", name, res, err)
		}
	}
	if c, _ := county.AreaCounters(testCounty); len(c) != 0 {
		t.Fatalf("refused states left counters %v", c)
	}
}

func TestPruneBefore(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	for i, ts := range []int64{100, 200, 300, 400} {
		if _, err := s.ApplyLocal(0, ts, []Mutation{put(t, ModeUpsert, org("o1", cs[0].Code, registry.Categories()[i]))}); err != nil {
			t.Fatal(err)
		}
	}
	// Acked up to 3, retention keeps entries from time 250 on: prunes 1..2.
	if n, err := s.PruneBefore(0, testStreet, 3, 250); err != nil || n != 2 {
		t.Fatalf("PruneBefore: %d %v, want 2", n, err)
	}
	if n, _ := s.PruneBefore(0, testStreet, 1, 1000); n != 0 {
		t.Fatalf("PruneBefore below the floor removed %d", n)
	}
	got := entries(t, s, testStreet, 3)
	if len(got) != 2 || got[0].Seq != 3 {
		t.Fatalf("entries after pruning: %d from %d", len(got), got[0].Seq)
	}
	mustVerify(t, s)
}

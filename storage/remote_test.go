package storage

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"pgregory.net/rapid"

	"fedsync/area"
	"fedsync/registry"
)

var testCounty = area.MustParse("210102000000")

func openArea(t testing.TB, a area.Code) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "fedsync.db"), a, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func entries(t testing.TB, s *Store, origin area.Code, from uint64) []Entry {
	t.Helper()
	var out []Entry
	if err := s.Entries(origin, from, func(e Entry) bool { out = append(out, e); return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApplyRemote(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)),
		put(t, ModeCreate, org("o2", cs[0].Code, registry.CatCharity)))
	mustApply(t, street, Mutation{Op: OpDelete, Kind: registry.KindOrg, ID: "o1"})
	es := entries(t, street, testStreet, 1)

	apply := func(rs ...RemoteRange) []RangeResult {
		t.Helper()
		res, err := county.ApplyRemote(0, testStreet, rs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if r := apply(RemoteRange{Origin: testStreet, Entries: es[2:]})[0]; r.Status != RangeGap || r.Watermark != 0 {
		t.Fatalf("gap: got %v wm %d, want gap at 0", r.Status, r.Watermark)
	}
	if r := apply(RemoteRange{Origin: testStreet, Entries: es[:2]})[0]; r.Status != RangeApplied || r.Watermark != 2 {
		t.Fatalf("first part: got %v wm %d %v", r.Status, r.Watermark, r.Err)
	}
	if r := apply(RemoteRange{Origin: testStreet, Entries: es[:2]})[0]; r.Status != RangeDuplicate || r.Watermark != 2 {
		t.Fatalf("replay: got %v wm %d", r.Status, r.Watermark)
	}
	if r := apply(RemoteRange{Origin: testStreet, Entries: es})[0]; r.Status != RangeApplied || r.Applied != 2 || r.Watermark != 4 {
		t.Fatalf("overlapping: got %+v", r)
	}
	want, _ := street.AreaCounters(testStreet)
	got, _ := county.AreaCounters(testStreet)
	if !maps.Equal(got, want) {
		t.Fatalf("county's counters of the street:\n got %v\nwant %v", got, want)
	}
	mustVerify(t, county)
}

func TestApplyRemoteRefusals(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	es := entries(t, street, testStreet, 1)
	other := area.MustParse("210102002000")
	broken := append([]Entry(nil), es...)
	broken[1].Body = []byte(`{"id":"o1"}`)
	tampered := append([]Entry(nil), es...)
	tampered[1].Chain[0] ^= 1
	cases := []struct {
		name   string
		sender area.Code
		r      RemoteRange
		want   error
	}{
		{"origin outside sender", other, RemoteRange{Origin: testStreet, Entries: es}, ErrJurisdiction},
		{"sender outside node", area.MustParse("210103001000"), RemoteRange{Origin: area.MustParse("210103001000"), Entries: es}, ErrJurisdiction},
		{"broken chain", testStreet, RemoteRange{Origin: testStreet, Entries: tampered}, ErrChain},
		{"wrong origin in entries", testStreet, RemoteRange{Origin: testStreet, Entries: []Entry{es[0], {Origin: other, Seq: 2}}}, ErrRange},
	}
	for _, c := range cases {
		res, err := county.ApplyRemote(0, c.sender, []RemoteRange{c.r})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != RangeRefused || !errors.Is(res[0].Err, c.want) {
			t.Errorf("%s: got %v %v, want refused with %v", c.name, res[0].Status, res[0].Err, c.want)
		}
	}
	// An invalid body with a consistent chain (a forged sender) is refused too.
	forged := append([]Entry(nil), es...)
	forged[1].Body = broken[1].Body
	forged[1].Chain = ChainNext(forged[0].Chain, forged[1])
	res, _ := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: forged}})
	var fe *registry.FieldError
	if res[0].Status != RangeRefused || !errors.As(res[0].Err, &fe) {
		t.Errorf("invalid record: got %v %v, want refused with a field error", res[0].Status, res[0].Err)
	}
	if wms, _ := county.Watermarks(); len(wms) != 0 {
		t.Fatalf("refused ranges left watermarks %+v", wms)
	}
	if c, _ := county.AreaCounters(testCounty); len(c) != 0 {
		t.Fatalf("refused ranges left counters %v", c)
	}
}

// TestRemoteConvergence writes random changes at two streets and delivers
// their logs to the county in random, overlapping, duplicated and
// reordered ranges; once everything has been delivered, the county's
// counters of each street equal the street's own, and its store verifies.
func TestRemoteConvergence(t *testing.T) {
	streets := []area.Code{testStreet, area.MustParse("210102002000")}
	rapid.Check(t, func(rt *rapid.T) {
		county := openArea(t, testCounty)
		var stores []*Store
		for _, a := range streets {
			s := openArea(t, a)
			var muts []Mutation
			comms := area.Children(a)
			for i := range rapid.IntRange(1, 30).Draw(rt, "n") {
				c := comms[rapid.IntRange(0, len(comms)-1).Draw(rt, "c")]
				switch rapid.IntRange(0, 3).Draw(rt, "op") {
				case 0:
					muts = append(muts, put(rt, ModeUpsert, registry.Community{ID: string(c.Code), Code: c.Code, Name: c.Name, UrbanRural: c.UrbanRural}))
				case 1:
					muts = append(muts, Mutation{Op: OpDelete, Kind: registry.KindOrg, ID: fmt.Sprintf("o%d", i%5)})
				default:
					muts = append(muts, put(rt, ModeUpsert, org(fmt.Sprintf("o%d", i%5), c.Code, registry.CatMutualAid)))
				}
			}
			if _, err := s.ApplyLocal(0, 1, muts); err != nil {
				rt.Fatal(err)
			}
			stores = append(stores, s)
		}
		// Deliver random slices until every street's log is applied.
		for round := 0; round < 200; round++ {
			i := rapid.IntRange(0, len(streets)-1).Draw(rt, "street")
			all := entries(t, stores[i], streets[i], 1)
			if len(all) == 0 {
				continue
			}
			lo := rapid.IntRange(0, len(all)-1).Draw(rt, "lo")
			hi := rapid.IntRange(lo+1, len(all)).Draw(rt, "hi")
			res, err := county.ApplyRemote(0, streets[i], []RemoteRange{{Origin: streets[i], Entries: all[lo:hi]}})
			if err != nil {
				rt.Fatal(err)
			}
			if res[0].Status == RangeRefused {
				rt.Fatalf("refused: %v", res[0].Err)
			}
			if res[0].Status == RangeGap { // the sender rewinds to the watermark
				county.ApplyRemote(0, streets[i], []RemoteRange{{Origin: streets[i], Entries: all[res[0].Watermark:]}})
			}
		}
		for i, a := range streets {
			all := entries(t, stores[i], a, 1)
			county.ApplyRemote(0, a, []RemoteRange{{Origin: a, Entries: all}})
			want, _ := stores[i].AreaCounters(a)
			got, _ := county.AreaCounters(a)
			if !maps.Equal(got, want) {
				rt.Fatalf("street %s: county counters\n got %v\nwant %v", a, got, want)
			}
		}
		rep, err := county.Verify(t.Context())
		if err != nil || !rep.OK {
			rt.Fatalf("county verify: %v %v", err, rep.Problems)
		}
	})
}

func TestDigestsAgreeAfterReplication(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	es := entries(t, street, testStreet, 1)
	if _, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es}}); err != nil {
		t.Fatal(err)
	}
	a, _ := street.Digests("")
	b, _ := county.Digests(testStreet)
	if len(a) != 1 || len(b) != 1 || a[0] != b[0] {
		t.Fatalf("digests differ:\nstreet %+v\ncounty %+v", a, b)
	}
	mustApply(t, street, put(t, ModeUpsert, org("o1", cs[0].Code, registry.CatOther)))
	a, _ = street.Digests("")
	if a[0].Digest == b[0].Digest || a[0].Seq != 3 {
		t.Fatalf("digest after a change: %+v, want a new digest at seq 3", a[0])
	}
	c2, err := street.ChainAt(testStreet, 2)
	if err != nil || c2 != es[1].Chain {
		t.Fatalf("ChainAt(2): %x %v", c2, err)
	}
}

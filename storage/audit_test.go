package storage

import (
	"encoding/json"
	"errors"
	"testing"

	"fedsync/registry"
)

func attribution() Attribution {
	return Attribution{Accessor: acc1, Name: "clerk", Role: RoleOperator, TokenArea: testStreet, Remote: "127.0.0.1:5000", Route: "POST /v1/batch"}
}

func mustAudit(t testing.TB, a Attribution) Mutation {
	t.Helper()
	m, err := AuditMutation(a)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestAuditLocal: an attributed batch writes its entries, then one audit
// entry naming their seqs, in the same log; a batch that changes nothing
// writes no audit entry.
func TestAuditLocal(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	res := mustApply(t, s, put(t, ModeCreate, cs[0]), put(t, ModeCreate, cs[1]), mustAudit(t, attribution()))
	if res[0].Seq != 1 || res[1].Seq != 2 || res[2].Seq != 3 {
		t.Fatalf("seqs %d %d %d, want 1 2 3", res[0].Seq, res[1].Seq, res[2].Seq)
	}
	es := entries(t, s, testStreet, 1)
	if len(es) != 3 || es[2].Kind != KindAudit || es[2].ID != acc1 {
		t.Fatalf("log: %+v", es)
	}
	res = mustApply(t, s, put(t, ModeCreate, cs[0]), mustAudit(t, attribution()))
	if !res[0].Unchanged || res[1].Seq != 0 {
		t.Fatalf("unchanged batch: %+v", res)
	}
	page, err := s.Audit(AuditQuery{Area: testStreet})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("audit: %+v %v", page, err)
	}
	got := page.Items[0]
	if got.Seq != 3 || got.First != 1 || got.Last != 2 || got.Accessor != acc1 || got.Remote != "127.0.0.1:5000" || got.Role != RoleOperator {
		t.Fatalf("audit entry: %+v", got)
	}
	mustVerify(t, s)
	if c, _ := s.AreaCounters(testStreet); c["n.community"] != 2 {
		t.Fatalf("audit entries moved counters: %v", c)
	}
}

// TestBadAuditMutationStoresNothing: data is never stored without the
// attribution it came with: a misplaced or invalid audit mutation aborts
// the batch.
func TestBadAuditMutationStoresNothing(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	outside := attribution()
	outside.TokenArea = "210103001000"
	bad := mustAudit(t, attribution())
	bad.Body = []byte(`{"accessor":"x"}`)
	for name, muts := range map[string][]Mutation{
		"audit first":             {mustAudit(t, attribution()), put(t, ModeCreate, cs[0])},
		"token area outside node": {put(t, ModeCreate, cs[0]), {Op: OpPut, Kind: KindAudit, ID: acc1, Body: mustJSON(outside)}},
		"malformed":               {put(t, ModeCreate, cs[0]), bad},
	} {
		if _, err := s.ApplyLocal(0, 1, muts); !errors.Is(err, ErrAudit) {
			t.Errorf("%s: ApplyLocal = %v, want ErrAudit", name, err)
		}
		if wms, _ := s.Watermarks(); len(wms) != 0 {
			t.Fatalf("%s: stored %+v", name, wms)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestRemoteAuditReplicates: the county applies the street's audit entry
// with its data and can list it.
func TestRemoteAuditReplicates(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), mustAudit(t, attribution()))
	res, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: entries(t, street, testStreet, 1)}})
	if err != nil || res[0].Status != RangeApplied || res[0].Watermark != 2 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	p, err := county.Audit(AuditQuery{Area: testCounty})
	if err != nil || len(p.Items) != 1 || p.Items[0].Origin != testStreet || p.Items[0].Accessor != acc1 {
		t.Fatalf("county audit: %+v %v", p, err)
	}
	mustVerify(t, county)
}

// TestRemoteForgedAudit: a receiver refuses ranges whose audit entry is
// malformed or claims a token area outside its origin, and keeps nothing
// of them.
func TestRemoteForgedAudit(t *testing.T) {
	street := openTest(t)
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]))
	data := entries(t, street, testStreet, 1)[0]
	forge := func(body string, id string) []Entry {
		e := Entry{Origin: testStreet, Seq: 2, Time: data.Time, Kind: KindAudit, ID: id, Op: OpPut, Body: []byte(body)}
		e.Chain = ChainNext(data.Chain, e)
		return []Entry{data, e}
	}
	good := AuditRecord{Version: 1, Attribution: attribution(), First: 1, Last: 1}
	enc := func(r AuditRecord) string { b, _ := json.Marshal(r); return string(b) }
	outside := good
	outside.TokenArea = "210102002000" // another street
	viewer := good
	viewer.Role = RoleViewer
	future := good
	future.Last = 2
	cases := map[string][]Entry{
		"token area outside origin": forge(enc(outside), acc1),
		"viewer wrote":              forge(enc(viewer), acc1),
		"covers itself":             forge(enc(future), acc1),
		"id not accessor":           forge(enc(good), acc2),
		"unknown field":             forge(`{"v":1,"accessor":"`+acc1+`","role":"operator","token_area":"210102001000","remote":"x","first_seq":1,"last_seq":1,"admin":true}`, acc1),
		"not json":                  forge(`{`, acc1),
	}
	for name, es := range cases {
		county := openArea(t, testCounty)
		res, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es}})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != RangeRefused || !errors.Is(res[0].Err, ErrAudit) {
			t.Errorf("%s: got %v %v, want refused with ErrAudit", name, res[0].Status, res[0].Err)
		}
		if wms, _ := county.Watermarks(); len(wms) != 0 {
			t.Errorf("%s: refused range left watermarks %+v", name, wms)
		}
		if _, err := county.Get(registry.KindCommunity, testStreet, cs[0].ID); err == nil {
			t.Errorf("%s: refused range left its record", name)
		}
	}
	county := openArea(t, testCounty)
	if res, _ := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: forge(enc(good), acc1)}}); res[0].Status != RangeApplied {
		t.Fatalf("well-formed audit entry: %+v", res[0])
	}
}

func FuzzDecodeAudit(f *testing.F) {
	b, _ := json.Marshal(AuditRecord{Version: 1, Attribution: attribution(), First: 1, Last: 3})
	f.Add(b)
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeAudit(b)
		if err != nil {
			if !errors.Is(err, ErrAudit) {
				t.Fatalf("refusal does not wrap ErrAudit: %v", err)
			}
			return
		}
		if r.check() != nil || r.First == 0 || r.Last < r.First {
			t.Fatalf("accepted an invalid record %+v", r)
		}
	})
}

package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"pgregory.net/rapid"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
)

var testHashKey = bytes.Repeat([]byte{0x5a}, registry.HashKeySize)

// openRedacting opens a store of area a that hashes personal data with
// testHashKey under the default policy.
func openRedacting(t testing.TB, a area.Code) *Store {
	t.Helper()
	r, err := registry.NewRedactor(registry.DefaultPolicy(), testHashKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(t.TempDir(), "fedsync.db"), a, Options{NoSync: true, Redactor: r})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// personal holds the personal data the tests write, each of which must
// never appear above the street.
var personal = []string{"王秀英", "13912345678", "024-23456789", "02423456789", "11010519491231002X", "赵建国", "13698765432"}

// personMuts writes an org with a leader and two talents with names,
// phones and ID numbers.
func personMuts(t testing.TB, c area.Code) []Mutation {
	o := org("o1", c, registry.CatCulture)
	o.Leader, o.LeaderPhone = "赵建国", "13698765432"
	t1 := registry.Talent{ID: "t1", Org: "o1", Community: c, Name: "王秀英", Phone: "13912345678", IDNumber: "11010519491231002X", Role: "队长", Trained: true}
	t2 := registry.Talent{ID: "t2", Org: "o1", Community: c, Name: "王秀英", Phone: "024-23456789", Role: "队员", SocialWorker: true}
	return []Mutation{put(t, ModeCreate, o), put(t, ModeCreate, t1), put(t, ModeCreate, t2)}
}

func assertNoPersonalData(t testing.TB, where string, b []byte) {
	t.Helper()
	for _, p := range personal {
		if bytes.Contains(b, []byte(p)) {
			t.Fatalf("%s holds %q: %s", where, p, b)
		}
	}
}

// TestApplyLocalLogsRedacted: the origin keeps the full record and logs
// the redacted form with the policy version; Verify passes.
func TestApplyLocalLogsRedacted(t *testing.T) {
	s := openRedacting(t, testStreet)
	cs := communities(t)
	muts := personMuts(t, cs[0].Code)
	res := mustApply(t, s, append([]Mutation{put(t, ModeCreate, cs[0])}, muts...)...)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("mutation %d: %v", i, r.Err)
		}
	}
	if !bytes.Equal(res[2].Body, muts[1].Body) {
		t.Fatalf("result body is not the full record:\n%s", res[2].Body)
	}
	got, err := s.Get(registry.KindTalent, testStreet, "t1")
	if err != nil || !bytes.Equal(got.Body, muts[1].Body) {
		t.Fatalf("origin's record: %s %v, want the full record", got.Body, err)
	}
	var hashes []string
	for _, e := range entries(t, s, testStreet, 1) {
		assertNoPersonalData(t, "log entry", e.Body)
		if !bytes.HasSuffix(e.Body, []byte(`,"_policy":1}`)) {
			t.Fatalf("log entry %d does not state the policy: %s", e.Seq, e.Body)
		}
		if e.Kind == registry.KindTalent {
			rec, err := registry.ValidateRedacted(e.Kind, e.Body)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, rec.(registry.Talent).Name)
		}
	}
	if len(hashes) != 2 || hashes[0] != hashes[1] || !registry.IsHash(hashes[0]) {
		t.Fatalf("one person's name at two talents hashes to %v, want one equal hash", hashes)
	}
	if r := mustApply(t, s, muts[1]); !r[0].Unchanged {
		t.Fatalf("repeating a create: %+v, want unchanged", r[0])
	}
	mustVerify(t, s)
}

// TestApplyLocalWithoutKeyRefusesPII: a store without a hash key refuses a
// record with personal data to hash, and changes nothing.
func TestApplyLocalWithoutKeyRefusesPII(t *testing.T) {
	s := openTest(t)
	cs := communities(t)
	mustApply(t, s, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	before, _ := s.AreaCounters(testStreet)
	res := mustApply(t, s, personMuts(t, cs[0].Code)[1:]...)
	for i, r := range res {
		if !errors.Is(r.Err, registry.ErrNoHashKey) {
			t.Fatalf("talent %d without a key: %v, want ErrNoHashKey", i, r.Err)
		}
	}
	after, _ := s.AreaCounters(testStreet)
	if wms, _ := s.Watermarks(); !maps.Equal(before, after) || wms[0].Seq != 2 {
		t.Fatalf("a refused write changed the store: %v → %v, %+v", before, after, wms)
	}
}

// replicate writes persons at a street and delivers its log to a county
// and the county's to a city.
func replicate(t *testing.T) (street, county, city *Store) {
	street, county, city = openRedacting(t, testStreet), openArea(t, testCounty), openArea(t, area.MustParse("210100000000"))
	cs := communities(t)
	mustApply(t, street, append([]Mutation{put(t, ModeCreate, cs[0])}, personMuts(t, cs[0].Code)...)...)
	deliver := func(from, to *Store, sender area.Code) {
		t.Helper()
		r, err := to.ApplyRemote(0, sender, []RemoteRange{{Origin: testStreet, Entries: entries(t, from, testStreet, 1)}})
		if err != nil || r[0].Status != RangeApplied {
			t.Fatalf("deliver to %s: %+v %v", to.Area(), r, err)
		}
	}
	deliver(street, county, testStreet)
	deliver(county, city, testCounty)
	return street, county, city
}

// TestRedactedReplicasAgree: county and city hold the redacted form only,
// their counters equal the street's, and street, county and city digests
// agree.
func TestRedactedReplicasAgree(t *testing.T) {
	street, county, city := replicate(t)
	want, _ := street.AreaCounters(testStreet)
	if want[rollup.DimTalent] != 2 {
		t.Fatalf("street counters %v, want 2 talents", want)
	}
	d0, _ := street.Digests("")
	for _, s := range []*Store{county, city} {
		got, _ := s.AreaCounters(testStreet)
		if !maps.Equal(got, want) {
			t.Fatalf("%s counters of the street:\n got %v\nwant %v", s.Area(), got, want)
		}
		mustVerify(t, s)
		page, _ := s.List(ListQuery{Kind: registry.KindTalent, Area: testStreet})
		for _, it := range page.Items {
			assertNoPersonalData(t, string(s.Area())+" record", it.Body)
		}
		if d, _ := s.Digests(testStreet); len(d) != 1 || d[0] != d0[0] {
			t.Fatalf("%s digest %+v, street %+v", s.Area(), d, d0)
		}
		st, err := s.State(testStreet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range st.Records {
			assertNoPersonalData(t, string(s.Area())+" state", r.Body)
		}
	}
	mustVerify(t, street)
}

// forge returns es with entry i's body replaced and its chain (and the
// following ones) recomputed, as a sender that forges a log would.
func forge(es []Entry, i int, body []byte) []Entry {
	out := append([]Entry(nil), es...)
	out[i].Body = body
	for j := i; j < len(out); j++ {
		prev := [32]byte{}
		if j > 0 {
			prev = out[j-1].Chain
		}
		out[j].Chain = ChainNext(prev, out[j])
	}
	return out
}

// TestApplyRemoteRefusesUnredacted: a child sending a phone or ID number in
// clear, no policy version or an unknown one, is refused naming the rule,
// and the county's store does not change.
func TestApplyRemoteRefusesUnredacted(t *testing.T) {
	street, county := openRedacting(t, testStreet), openArea(t, testCounty)
	cs := communities(t)
	muts := personMuts(t, cs[0].Code)
	mustApply(t, street, append([]Mutation{put(t, ModeCreate, cs[0])}, muts...)...)
	es := entries(t, street, testStreet, 1)
	redacted := string(es[2].Body)
	rec, _ := registry.ValidateRedacted(registry.KindTalent, es[2].Body)
	tal := rec.(registry.Talent)
	cases := []struct {
		name, field string
		body        string
	}{
		{"full body, no policy", "_policy", string(muts[1].Body)},
		{"clear phone", "phone", strings.Replace(redacted, tal.Phone, "13912345678", 1)},
		{"clear id number", "id_number", strings.Replace(redacted, tal.IDNumber, "11010519491231002X", 1)},
		{"unknown policy", "_policy", strings.Replace(redacted, `"_policy":1}`, `"_policy":2}`, 1)},
		{"clear body claiming the policy", "name", strings.Replace(string(muts[1].Body), `}`, `,"_policy":1}`, 1)},
	}
	for _, c := range cases {
		res, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: forge(es, 2, []byte(c.body))}})
		if err != nil {
			t.Fatal(err)
		}
		var fe *registry.FieldError
		if res[0].Status != RangeRefused || !errors.Is(res[0].Err, registry.ErrRedaction) || !errors.As(res[0].Err, &fe) || fe.Field != c.field {
			t.Errorf("%s: got %v %v, want refused under the redaction policy naming %s", c.name, res[0].Status, res[0].Err, c.field)
		}
		if res[0].Err != nil {
			assertNoPersonalData(t, c.name+" refusal", []byte(res[0].Err.Error()))
		}
	}
	if wms, _ := county.Watermarks(); len(wms) != 0 {
		t.Fatalf("refused ranges left watermarks %+v", wms)
	}
	st, _ := street.State(testStreet)
	st.Records[2].Body = muts[1].Body
	if r, _ := county.InstallState(0, testStreet, st); r.Status != RangeRefused || !errors.Is(r.Err, registry.ErrRedaction) {
		t.Fatalf("state with a full record: %v %v, want refused", r.Status, r.Err)
	}
	if c, _ := county.AreaCounters(testCounty); len(c) != 0 {
		t.Fatalf("refusals left counters %v", c)
	}
}

// TestStateTransferRedacted: a state sent by the street holds the redacted
// form, installs at the county, and passes on to the city unchanged.
func TestStateTransferRedacted(t *testing.T) {
	street, county, city := openRedacting(t, testStreet), openArea(t, testCounty), openArea(t, area.MustParse("210100000000"))
	cs := communities(t)
	mustApply(t, street, append([]Mutation{put(t, ModeCreate, cs[0])}, personMuts(t, cs[0].Code)...)...)
	st, err := street.State(testStreet)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Records {
		assertNoPersonalData(t, "street state", r.Body)
	}
	if r, err := county.InstallState(0, testStreet, st); err != nil || r.Status != RangeApplied {
		t.Fatalf("county install: %+v %v", r, err)
	}
	cst, _ := county.State(testStreet)
	if r, err := city.InstallState(0, testCounty, cst); err != nil || r.Status != RangeApplied {
		t.Fatalf("city install: %+v %v", r, err)
	}
	a, _ := street.Digests("")
	for _, s := range []*Store{county, city} {
		b, _ := s.Digests(testStreet)
		if len(b) != 1 || b[0] != a[0] {
			t.Fatalf("%s digest %+v, street %+v", s.Area(), b, a)
		}
		mustVerify(t, s)
	}
}

// TestRollupsIgnorePersonalData: for random persons, what a record adds to
// the counters is the same whether it is full (at the street) or redacted
// (above it): no counter reads a PII field.
func TestRollupsIgnorePersonalData(t *testing.T) {
	r, _ := registry.NewRedactor(registry.DefaultPolicy(), testHashKey)
	cs := communities(t)
	rapid.Check(t, func(rt *rapid.T) {
		c := rapid.SampledFrom(cs).Draw(rt, "c").Code
		var rec registry.Record
		if rapid.Bool().Draw(rt, "talent") {
			rec = registry.Talent{ID: "t", Org: "o", Community: c, Name: rapid.SampledFrom([]string{"王秀英", "李四", "张三丰"}).Draw(rt, "name"),
				Phone: "1" + rapid.StringMatching(`[3-9][0-9]{9}`).Draw(rt, "phone"), Trained: rapid.Bool().Draw(rt, "tr"), SocialWorker: rapid.Bool().Draw(rt, "sw")}
		} else {
			o := org("o", c, rapid.SampledFrom(registry.Categories()).Draw(rt, "cat"))
			o.Leader, o.LeaderPhone, o.Brand = "赵建国", "1"+rapid.StringMatching(`[3-9][0-9]{9}`).Draw(rt, "phone"), rapid.Bool().Draw(rt, "brand")
			rec = o
		}
		body, err := r.Redact(rec)
		if err != nil {
			rt.Fatal(err)
		}
		red, err := registry.ValidateRedacted(rec.Kind(), body)
		if err != nil {
			rt.Fatal(err)
		}
		full, hashed := rollup.Map{}, rollup.Map{}
		rollup.Apply(full, nil, rec)
		rollup.Apply(hashed, nil, red)
		if fmt.Sprint(full) != fmt.Sprint(hashed) {
			rt.Fatalf("counters differ:\nfull     %v\nredacted %v", full, hashed)
		}
	})
}

// TestVerifyFlagsClearPersonalData: a replica record holding personal data
// in clear (written behind the store's back) is a verify problem at the
// county; the street's own full records are not.
func TestVerifyFlagsClearPersonalData(t *testing.T) {
	street, county, _ := replicate(t)
	mustVerify(t, street)
	full, err := street.Get(registry.KindTalent, testStreet, "t1")
	if err != nil {
		t.Fatal(err)
	}
	_ = county.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRec).Put(recKey(registry.KindTalent, testStreet, "t1"), encodeEnvelope(full.Seq, full.Updated.UnixNano(), full.Body))
	})
	rep, err := county.Verify(context.Background())
	if err != nil || rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "redaction policy") {
		t.Fatalf("verify of a replica with a clear record: %v %+v", err, rep)
	}
	assertNoPersonalData(t, "verify report", []byte(strings.Join(rep.Problems, "\n")))
}

// TestDistinctPeopleFromHashes: one person serving at two streets, and
// two others, are three distinct ID-number hashes at the county, which
// never sees an ID number.
func TestDistinctPeopleFromHashes(t *testing.T) {
	county := openArea(t, testCounty)
	ids := map[area.Code][]string{
		testStreet:                     {"11010519491231002X", "110105198001010032"},
		area.MustParse("210102002000"): {"11010519491231002X", "210102199003150046"},
	}
	for origin, people := range ids {
		s := openRedacting(t, origin)
		c := area.Children(origin)[0].Code
		muts := []Mutation{put(t, ModeCreate, org("o1", c, registry.CatCulture))}
		for i, id := range people {
			muts = append(muts, put(t, ModeCreate, registry.Talent{ID: fmt.Sprintf("t%d", i), Org: "o1", Community: c, IDNumber: id}))
		}
		for _, r := range mustApply(t, s, muts...) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		if r, err := county.ApplyRemote(0, origin, []RemoteRange{{Origin: origin, Entries: entries(t, s, origin, 1)}}); err != nil || r[0].Status != RangeApplied {
			t.Fatalf("deliver %s: %+v %v", origin, r, err)
		}
	}
	page, err := county.List(ListQuery{Kind: registry.KindTalent, Area: testCounty})
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, it := range page.Items {
		assertNoPersonalData(t, "county talent", it.Body)
		rec, _, _ := registry.DecodeStored(registry.KindTalent, it.Body)
		distinct[rec.(registry.Talent).IDNumber] = true
	}
	if len(page.Items) != 4 || len(distinct) != 3 {
		t.Fatalf("county holds %d talents with %d distinct ID hashes, want 4 and 3", len(page.Items), len(distinct))
	}
}

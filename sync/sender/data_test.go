package sender_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/sender"
)

// The areas of the test topology: two streets of 和平区, the county and the
// city above it.
var (
	street1 = area.MustParse("210102001000") // 浑河湾街道
	street2 = area.MustParse("210102002000") // 新华街道
	county  = area.MustParse("210102000000") // 和平区
	city    = area.MustParse("210100000000") // 沈阳市
)

var _ sender.Source = (*storage.Store)(nil)

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// openStore opens a fresh store of area a under dir; the caller closes it.
func openStore(t tb, dir string, a area.Code) *storage.Store {
	t.Helper()
	s, err := storage.Open(filepath.Join(dir, string(a)+".db"), a, storage.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open store %s: %v", a, err)
	}
	return s
}

func putOf(t tb, r registry.Record) storage.Mutation {
	t.Helper()
	b, err := registry.Encode(r)
	if err != nil {
		t.Fatalf("encode %s %s: %v", r.Kind(), r.RecordID(), err)
	}
	return storage.Mutation{Op: storage.OpPut, Mode: storage.ModeUpsert, Kind: r.Kind(), ID: r.RecordID(), Body: b}
}

// sentOf returns the body of r as its origin logs it: redacted by the
// default policy (a record without personal data needs no hash key).
func sentOf(t tb, r registry.Record) []byte {
	t.Helper()
	red, err := registry.NewRedactor(registry.DefaultPolicy(), nil)
	if err != nil {
		t.Fatalf("redactor: %v", err)
	}
	b, err := red.Redact(r)
	if err != nil {
		t.Fatalf("redact %s %s: %v", r.Kind(), r.RecordID(), err)
	}
	return b
}

// communityPuts returns the community records of street, from the division
// data.
func communityPuts(t tb, street area.Code) []storage.Mutation {
	t.Helper()
	var out []storage.Mutation
	for _, d := range area.Children(street) {
		out = append(out, putOf(t, registry.Community{ID: string(d.Code), Code: d.Code, Name: d.Name + "居委会", UrbanRural: d.UrbanRural}))
	}
	if len(out) == 0 {
		t.Fatalf("street %s has no communities in the division data", street)
	}
	return out
}

var (
	cats     = []registry.Category{registry.CatLifeService, registry.CatCharity, registry.CatMutualAid, registry.CatCulture, registry.CatOther}
	tiers    = []registry.Tier{registry.TierRegistered, registry.TierFiled, registry.TierGuided}
	statuses = []registry.Status{registry.StatusActive, registry.StatusActive, registry.StatusSuspended, registry.StatusDissolved}
	kinds    = []string{"志愿服务队", "互助会", "文体队", "读书会", "调解委员会", "合唱团"}
)

// orgOf returns a valid org with id in a community of street, its fields
// drawn from r.
func orgOf(r *rand.Rand, street area.Code, id string) registry.Org {
	comms := area.Children(street)
	c := comms[r.IntN(len(comms))]
	return registry.Org{
		ID: id, Community: c.Code, Name: c.Name + kinds[r.IntN(len(kinds))] + id,
		Category: cats[r.IntN(len(cats))], Tier: tiers[r.IntN(len(tiers))],
		Founded: fmt.Sprintf("20%02d-%02d-%02d", 15+r.IntN(9), 1+r.IntN(12), 1+r.IntN(28)),
		Members: 5 + r.IntN(80), Charter: r.IntN(2) == 0, PartyBuilding: r.IntN(3) == 0,
		Brand: r.IntN(15) == 0, Status: statuses[r.IntN(len(statuses))],
	}
}

// randomMuts returns n random changes at street: org upserts and deletes
// over a small id space (so records are replaced and deleted), and
// community upserts.
func randomMuts(t tb, r *rand.Rand, street area.Code, n int) []storage.Mutation {
	t.Helper()
	out := make([]storage.Mutation, 0, n)
	for range n {
		id := fmt.Sprintf("org-%02d", r.IntN(12))
		switch r.IntN(6) {
		case 0:
			out = append(out, storage.Mutation{Op: storage.OpDelete, Kind: registry.KindOrg, ID: id})
		case 1:
			cs := communityPuts(t, street)
			out = append(out, cs[r.IntN(len(cs))])
		default:
			out = append(out, putOf(t, orgOf(r, street, id)))
		}
	}
	return out
}

// write applies muts at s as its own origin. Refused mutations (a delete
// of an absent org) are fine; a storage failure is not.
func write(t tb, s *storage.Store, muts []storage.Mutation) {
	t.Helper()
	if _, err := s.ApplyLocal(0, time.Now().UnixNano(), muts); err != nil {
		t.Fatalf("write at %s: %v", s.Area(), err)
	}
}

// writeOrgs writes n new orgs at street in chunks, ids prefix-0, prefix-1…
func writeOrgs(t tb, s *storage.Store, prefix string, n int) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := 0; i < n; i += 2000 {
		var muts []storage.Mutation
		for j := i; j < min(n, i+2000); j++ {
			muts = append(muts, putOf(t, orgOf(r, s.Area(), fmt.Sprintf("%s-%d", prefix, j))))
		}
		write(t, s, muts)
	}
}

// watermark returns s's watermark of origin (0 when absent).
func watermark(t tb, s *storage.Store, origin area.Code) uint64 {
	t.Helper()
	wms, err := s.Watermarks()
	if err != nil {
		t.Fatalf("watermarks of %s: %v", s.Area(), err)
	}
	for _, w := range wms {
		if w.Origin == origin {
			return w.Seq
		}
	}
	return 0
}

// seed applies an origin's entries to s as its child would have sent them.
func seed(t tb, s *storage.Store, origin area.Code, es []storage.Entry) {
	t.Helper()
	res, err := s.ApplyRemote(0, origin, []storage.RemoteRange{{Origin: origin, Entries: es}})
	if err != nil || res[0].Status != storage.RangeApplied {
		t.Fatalf("seed %s with %s: %v %+v", s.Area(), origin, err, res)
	}
}

// entriesOf returns origin's whole log in s.
func entriesOf(t tb, s *storage.Store, origin area.Code) []storage.Entry {
	t.Helper()
	var out []storage.Entry
	if err := s.Entries(origin, 1, func(e storage.Entry) bool { out = append(out, e); return true }); err != nil {
		t.Fatalf("entries: %v", err)
	}
	return out
}

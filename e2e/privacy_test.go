package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/importer"
	"fedsync/internal/piiscan"
	"fedsync/node"
	"fedsync/registry"
)

// TestPersonalDataStaysHome runs the federation as agent processes, the
// streets hashing with one federation key made by `fedsync privacy key
// create`, imports generated rosters with residents' names, phone numbers
// and ID numbers into every street (`fedsync import` of org and talent
// CSVs), waits until the counties and the city hold everything with equal
// digests, stops every agent and reads every file of the counties' and the
// city's data directories: no phone or ID number written at a street
// appears there in any common written form, while the same scan finds them
// in the streets' own stores.
func TestPersonalDataStaysHome(t *testing.T) {
	t.Parallel()
	k := loadFedKnobs(t)
	k.Seed = 0
	f := newFederation(t, k)
	key := filepath.Join(t.TempDir(), "hash.key")
	if r := runCLI(t, "privacy", "key", "create", key); r.code != 0 {
		t.Fatalf("privacy key create:\n%s", r)
	}
	for _, s := range f.streets {
		editConfig(t, s.config, func(c *node.Config) { c.Privacy = node.PrivacyConfig{HashKeyFile: key} })
	}
	f.start()
	var numbers []string
	dir := t.TempDir()
	for i, s := range f.streets {
		ros := gen.Street(area.Code(s.area), int64(i+1), gen.Options{ActivitiesPerOrg: -1, ProjectsPerOrg: -1, TalentsPerOrg: 1})
		for _, o := range ros.Orgs {
			numbers = append(numbers, o.LeaderPhone)
		}
		for _, tl := range ros.Talents {
			numbers = append(numbers, tl.Phone, tl.IDNumber)
		}
		importRoster(t, s, filepath.Join(dir, s.area+"-org.csv"), registry.KindOrg, slices.Values(toRecords(ros.Orgs)))
		importRoster(t, s, filepath.Join(dir, s.area+"-talent.csv"), registry.KindTalent, slices.Values(toRecords(ros.Talents)))
	}
	scan := piiscan.New(numbers)
	if scan.Len() < 100 {
		t.Fatalf("only %d phone and ID numbers generated", scan.Len())
	}
	t.Logf("%d phone and ID numbers written at %d streets; converged after %v", scan.Len(), len(f.streets), f.waitConverged())
	for _, s := range f.all() {
		s.proc.stop(t)
	}
	for _, s := range append([]*server{f.city}, f.counties...) {
		hits, sizes, err := scan.ScanDir(s.dataDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			t.Errorf("%s holds personal data %s", h.Path, h.Number)
		}
		if sizes["fedsync.db"] == 0 || sizes["raft.db"] == 0 {
			t.Errorf("%s: scanned %v, want the store and the raft log", s.area, sizes)
		}
		// The people did arrive, as hashes.
		if raw, err := os.ReadFile(filepath.Join(s.dataDir, "fedsync.db")); err != nil || !bytes.Contains(raw, []byte(`"id_number":"`+registry.HashPrefix)) {
			t.Errorf("%s's store holds no hashed ID number (%v): the streets' talents did not arrive", s.area, err)
		}
	}
	for _, s := range f.streets {
		raw, err := os.ReadFile(filepath.Join(s.dataDir, "fedsync.db"))
		if err != nil {
			t.Fatal(err)
		}
		if scan.Find(raw) == "" {
			t.Errorf("street %s's own store holds none of the numbers imported there: the scan cannot see them", s.area)
		}
	}
}

func toRecords[T registry.Record](recs []T) []registry.Record {
	out := make([]registry.Record, len(recs))
	for i, r := range recs {
		out[i] = r
	}
	return out
}

// importRoster writes recs as a CSV roster of kind and imports it into s.
func importRoster(t *testing.T, s *server, path string, kind registry.Kind, recs func(func(registry.Record) bool)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := importer.WriteCSV(f, kind, recs, false); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if r := s.cli("import", path, "--kind", string(kind), "--quiet"); r.code != 0 {
		t.Fatalf("import %s into %s:\n%s", kind, s.area, r)
	}
}

package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/internal/piiscan"
	"fedsync/raftstore"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// TestPersonalDataStaysAtStreet writes generated rosters with residents'
// names, phone numbers and ID numbers at two streets, replicates them to
// their county and on to the city, takes raft snapshots everywhere, stops
// every node and reads every file of the county's and the city's data
// directories (store, raft log, snapshots) byte by byte: no phone number
// and no ID number written at the streets appears there, in any common
// written form. The same scan finds them in the streets' own stores, so it
// can fail. Bytes that are zstd-compressed on disk (the county's raft log
// holds remote batches as received) cannot be scanned raw, so the test also
// decodes the county's and the city's records, log entries and raft log
// entries and checks every body.
func TestPersonalDataStaysAtStreet(t *testing.T) {
	mk := func(a area.Code, name string, parent *Node) *Node {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name = a, name
		if parent != nil {
			cfg.Parent = []string{parent.SyncAddr()}
		}
		return startNode(t, cfg)
	}
	city := mk(area.MustParse("210100000000"), "city", nil)
	county := mk(testCounty, "county", city)
	streets := []*Node{mk(testStreet, "street-1", county), mk(area.MustParse("210102002000"), "street-2", county)}

	var secrets []string
	for i, s := range streets {
		ros := gen.Street(s.cfg.Area, int64(i+1), gen.Options{ActivitiesPerOrg: -1, ProjectsPerOrg: -1, TalentsPerOrg: 2})
		var recs []registry.Record
		for _, o := range ros.Orgs {
			recs = append(recs, o)
			secrets = append(secrets, o.LeaderPhone)
		}
		for _, tl := range ros.Talents {
			recs = append(recs, tl)
			secrets = append(secrets, tl.Phone, tl.IDNumber)
		}
		writeRecords(t, s, recs)
	}
	secrets = nonEmpty(secrets)
	if len(secrets) < 100 {
		t.Fatalf("only %d phone and ID numbers generated", len(secrets))
	}
	for _, s := range streets {
		waitEqual(t, s, county, s.cfg.Area)
		waitEqual(t, s, city, s.cfg.Area)
	}
	for _, n := range append([]*Node{city, county}, streets...) {
		if err := n.raft.Snapshot().Error(); err != nil {
			t.Fatalf("%s snapshot: %v", n.cfg.Name, err)
		}
		if err := n.Stop(); err != nil {
			t.Fatal(err)
		}
	}

	scan := piiscan.New(secrets)
	for _, n := range []*Node{county, city} {
		hits, sizes, err := scan.ScanDir(n.cfg.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			t.Errorf("%s holds personal data %s", h.Path, h.Number)
		}
		if !hasFiles(sizes, "fedsync.db", "raft.db", "state.bin") {
			t.Fatalf("%s: scanned %v, want the store, the raft log and a snapshot", n.cfg.Name, sizes)
		}
		checkDecoded(t, n, scan)
	}
	// The control: the same scan finds the streets' own data in their stores.
	for _, s := range streets {
		raw, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "fedsync.db"))
		if err != nil {
			t.Fatal(err)
		}
		if scan.Find(raw) == "" {
			t.Fatalf("%s's own store holds none of the numbers written there: the scan cannot see them", s.cfg.Name)
		}
	}
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// writeRecords writes recs at n in batches.
func writeRecords(t *testing.T, n *Node, recs []registry.Record) {
	t.Helper()
	for len(recs) > 0 {
		batch := recs[:min(len(recs), 300)]
		recs = recs[len(batch):]
		muts := make([]storage.Mutation, len(batch))
		for i, r := range batch {
			b, err := registry.Encode(r)
			if err != nil {
				t.Fatal(err)
			}
			muts[i] = storage.Mutation{Op: storage.OpPut, Mode: storage.ModeUpsert, Kind: r.Kind(), ID: r.RecordID(), Body: b}
		}
		res, err := n.Write(context.Background(), muts)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("%s %s: %v", batch[i].Kind(), batch[i].RecordID(), r.Err)
			}
		}
	}
}

// checkDecoded opens n's store and raft log again and checks every record,
// log entry and remote batch held: no phone or ID number in any form, and
// every body in the redacted form (names, phones, ID numbers hashed).
func checkDecoded(t *testing.T, n *Node, scan *piiscan.Scanner) {
	t.Helper()
	check := func(where string, k registry.Kind, body []byte) {
		if hit := scan.Find(body); hit != "" {
			t.Fatalf("%s %s holds %q: %s", n.cfg.Name, where, hit, body)
		}
		if len(body) == 0 {
			return // a delete
		}
		rec, err := registry.ValidateRedacted(k, body)
		if err != nil {
			t.Fatalf("%s %s: %v", n.cfg.Name, where, err)
		}
		for _, v := range piiValues(rec) {
			if v != "" && !registry.IsHash(v) {
				t.Fatalf("%s %s: personal data %q is not a hash", n.cfg.Name, where, v)
			}
		}
	}
	st, err := storage.Open(filepath.Join(n.cfg.DataDir, "fedsync.db"), n.cfg.Area, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	talents := 0
	for _, k := range []registry.Kind{registry.KindOrg, registry.KindTalent} {
		q := storage.ListQuery{Kind: k, Limit: storage.MaxPageSize}
		for {
			page, err := st.List(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				check("record", k, it.Body)
				if k == registry.KindTalent {
					talents++
				}
			}
			if q.After = page.Next; q.After == "" {
				break
			}
		}
	}
	wms, _ := st.Watermarks()
	for _, w := range wms {
		if err := st.Entries(w.Origin, 1, func(e storage.Entry) bool { check("log entry", e.Kind, e.Body); return true }); err != nil {
			t.Fatal(err)
		}
	}
	batches := checkRaftLog(t, filepath.Join(n.cfg.DataDir, "raft.db"), check)
	if talents == 0 || batches == 0 {
		t.Fatalf("%s: decoded %d talents and %d remote batches, want some of each", n.cfg.Name, talents, batches)
	}
}

// checkRaftLog decodes every remote batch (command type 2) in a raft log
// and checks each entry's body; it returns the number of batches.
func checkRaftLog(t *testing.T, path string, check func(string, registry.Kind, []byte)) int {
	t.Helper()
	rs, err := raftstore.Open(path, raftstore.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	first, _ := rs.FirstIndex()
	last, _ := rs.LastIndex()
	batches := 0
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		if err := rs.GetLog(i, &l); err != nil {
			t.Fatal(err)
		}
		if l.Type != raft.LogCommand || len(l.Data) < 14 || l.Data[0] != commandVersion || l.Data[1] != cmdRemoteBatch {
			continue
		}
		b, err := wire.Decode(l.Data[14:], wire.DefaultLimits())
		if err != nil {
			t.Fatalf("raft entry %d: %v", i, err)
		}
		for _, r := range b.Ranges {
			for _, e := range r.Entries {
				check("raft log entry", e.Kind, e.Body)
			}
		}
		batches++
	}
	return batches
}

// piiValues returns the values of a record's PII fields.
func piiValues(rec registry.Record) []string {
	switch r := rec.(type) {
	case registry.Org:
		return []string{r.Leader, r.LeaderPhone}
	case registry.Talent:
		return []string{r.Name, r.Phone, r.IDNumber}
	}
	return nil
}

// hasFiles reports whether sizes holds a non-empty file of each base name.
func hasFiles(sizes map[string]int64, names ...string) bool {
	for _, name := range names {
		found := false
		for p, n := range sizes {
			found = found || filepath.Base(p) == name && n > 0
		}
		if !found {
			return false
		}
	}
	return true
}

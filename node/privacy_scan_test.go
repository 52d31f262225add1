package node

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"fedsync/area"
	"fedsync/gen"
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

	for _, n := range []*Node{county, city} {
		files := scanDir(t, n.cfg.DataDir, secrets)
		if !files["fedsync.db"] || !files["raft.db"] || !files["state.bin"] {
			t.Fatalf("%s: scanned %v, want the store, the raft log and a snapshot", n.cfg.Name, files)
		}
		checkDecoded(t, n, secrets)
	}
	// The control: the same scan finds the streets' own data in their stores.
	for _, s := range streets {
		raw, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "fedsync.db"))
		if err != nil {
			t.Fatal(err)
		}
		want, lens := numberSet(secrets)
		if findNumber(raw, want, lens) == "" {
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

// normalizeNumber returns a phone or ID number as digits (and a final X).
func normalizeNumber(v string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(v))
}

// numberRuns returns every run of digits in raw, normalized: ASCII and
// fullwidth digits (０-９) and x/X count as digits, and a run continues
// across single hyphens, spaces and plus signs, so a number written
// 139-1234-5678, 139 1234 5678, +8613912345678, 13912345678 or in
// fullwidth digits yields a run that contains 13912345678.
func numberRuns(raw []byte) []string {
	var runs []string
	var cur []byte
	gap := false
	flush := func() {
		if len(cur) >= 7 {
			runs = append(runs, string(cur))
		}
		cur, gap = cur[:0], false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			cur, gap = append(cur, c), false
		case c == 'x' || c == 'X':
			if len(cur) == 0 {
				flush()
				continue
			}
			cur, gap = append(cur, 'X'), false
		case c == 0xEF && i+2 < len(raw) && raw[i+1] == 0xBC && raw[i+2] >= 0x90 && raw[i+2] <= 0x99:
			cur, gap = append(cur, '0'+raw[i+2]-0x90), false
			i += 2
		case (c == '-' || c == ' ' || c == '+') && len(cur) > 0 && !gap:
			gap = true
		default:
			flush()
		}
	}
	flush()
	return runs
}

// scanDir reads every file under dir and fails on any written form of any
// secret (numberRuns). It returns the base names of the files it read.
func scanDir(t *testing.T, dir string, secrets []string) map[string]bool {
	t.Helper()
	want, lens := numberSet(secrets)
	files := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[d.Name()] = len(raw) > 0
		if hit := findNumber(raw, want, lens); hit != "" {
			t.Errorf("%s holds personal data %q", path, hit)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// numberSet returns the normalized secrets and their lengths.
func numberSet(secrets []string) (map[string]bool, map[int]bool) {
	want, lens := map[string]bool{}, map[int]bool{}
	for _, s := range secrets {
		n := normalizeNumber(s)
		want[n], lens[len(n)] = true, true
	}
	return want, lens
}

// findNumber returns the first number of want found in raw, or "".
func findNumber(raw []byte, want map[string]bool, lens map[int]bool) string {
	for _, run := range numberRuns(raw) {
		for l := range lens {
			for i := 0; i+l <= len(run); i++ {
				if want[run[i:i+l]] {
					return run[i : i+l]
				}
			}
		}
	}
	return ""
}

func TestNumberRuns(t *testing.T) {
	want := map[string]bool{"13912345678": true, "11010519491231002X": true, "02423456789": true}
	lens := map[int]bool{11: true, 18: true}
	for _, s := range []string{"13912345678", "139-1234-5678", "139 1234 5678", "+86 13912345678", "１３９１２３４５６７８",
		"110105 19491231 002x", "11010519491231002X", "024-23456789", `"phone":"13912345678"}`} {
		if findNumber([]byte("..."+s+"..."), want, lens) == "" {
			t.Errorf("%q not found", s)
		}
	}
	for _, s := range []string{"1391234567", "139--1234-5678", "h1:13912345670abc", "1391234a5678"} {
		if hit := findNumber([]byte(s), want, lens); hit != "" {
			t.Errorf("%q: found %q", s, hit)
		}
	}
}

// checkDecoded opens n's store and raft log again and checks every record,
// log entry and remote batch held: no phone or ID number in any form, and
// every body in the redacted form (names, phones, ID numbers hashed).
func checkDecoded(t *testing.T, n *Node, secrets []string) {
	t.Helper()
	want, lens := numberSet(secrets)
	check := func(where string, k registry.Kind, body []byte) {
		if hit := findNumber(body, want, lens); hit != "" {
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

package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedsync/client/clienttest"
	"fedsync/registry"
)

// writeCSV writes rows under the org header and returns the path.
func writeCSV(t *testing.T, rows ...[]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orgs.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"id", "community", "name", "category", "tier", "founded", "members", "status"})
	_ = w.WriteAll(rows)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func orgRow(id, community, name, category string) []string {
	return []string{id, community, name, category, "guided", "2021-03-01", "10", "active"}
}

// refuseOtherStreets makes the fake refuse records outside the test street,
// as the real agent's jurisdiction check does.
func refuseOtherStreets(f *clienttest.Fake) {
	f.Check = func(_ registry.Kind, rec registry.Record) *clienttest.Problem {
		if !testStreet.Contains(rec.Area()) {
			return &clienttest.Problem{Status: 422, Title: "invalid record", Field: "community", Rule: "must lie inside 210102001000"}
		}
		return nil
	}
}

func TestImportReportsRowNumbers(t *testing.T) {
	f, addr := fakeAgent(t)
	refuseOtherStreets(f)
	path := writeCSV(t,
		orgRow("o1", "210102001002", "舞蹈队", "文体活动类"),
		orgRow("o2", "210102001002", "读书会", "不存在的类别"),
		orgRow("o3", "210102002001", "外街道队", "culture"),
		orgRow("o4", "210102001005", "义诊队", "charity"),
	)
	r := runCLI(t, "", append(addr, "import", path, "--kind", "org", "--batch", "2", "--quiet")...)
	if r.code != exitPartial {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitPartial, r)
	}
	for _, want := range []string{"row 3: category: must be one of", "row 4: community: must lie inside 210102001000",
		"created 2, unchanged 0, updated 0, errors 2", "2 of 4 rows were refused"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("import output lacks %q:\n%s", want, r)
		}
	}
	if got := f.Count(registry.KindOrg); got != 2 {
		t.Errorf("fake holds %d orgs, want 2", got)
	}
}

func TestImportTwiceIsUnchanged(t *testing.T) {
	f, addr := fakeAgent(t)
	path := writeCSV(t,
		orgRow("o1", "210102001002", "舞蹈队", "culture"),
		orgRow("o2", "210102001002", "读书会", "文体活动类"),
		orgRow("o3", "210102001005", "义诊队", "公益慈善类"),
	)
	args := append(addr, "import", path, "--kind", "org", "-o", "json")
	for i, want := range []importResult{{Rows: 3, Created: 3}, {Rows: 3, Unchanged: 3}} {
		r := runCLI(t, "", args...)
		if r.code != 0 {
			t.Fatalf("import %d:\n%s", i+1, r)
		}
		var got importResult
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("import -o json: %v\n%s", err, r)
		}
		if got.Rows != want.Rows || got.Created != want.Created || got.Unchanged != want.Unchanged || len(got.Errors) != 0 {
			t.Errorf("import %d = %+v, want %+v", i+1, got, want)
		}
	}
	if got := f.Count(registry.KindOrg); got != 3 {
		t.Errorf("fake holds %d orgs, want 3", got)
	}
}

func TestImportFatal(t *testing.T) {
	_, addr := fakeAgent(t)
	r := runCLI(t, "", append(addr, "import", "roster.xls", "--kind", "org")...)
	if r.code != exitError || !strings.Contains(r.stderr, ".xlsx") {
		t.Errorf("import of .xls:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "import", "x.csv", "--kind", "orgs")...)
	if r.code != exitError || !strings.Contains(r.stderr, "--kind") {
		t.Errorf("import --kind orgs:\n%s", r)
	}
	path := writeCSV(t, orgRow("o1", "210102001002", "舞蹈队", "culture"))
	r = runCLI(t, "", "import", path, "--kind", "org", "--http-addr", "127.0.0.1:1")
	if r.code != exitError || !strings.Contains(r.stderr, "no fedsync agent") {
		t.Errorf("import without agent:\n%s", r)
	}
}

func TestExportCSV(t *testing.T) {
	f, addr := fakeAgent(t)
	f.Put(testOrg("o1", "舞蹈队", registry.CatCulture))
	f.Put(testOrg("o2", "义诊队", registry.CatCharity))
	out := filepath.Join(t.TempDir(), "orgs.csv")
	r := runCLI(t, "", append(addr, "export", "--kind", "org", "-f", out, "--labels", "--quiet")...)
	if r.code != 0 || !strings.Contains(r.stdout, "wrote 2 org records") {
		t.Fatalf("export:\n%s", r)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"组织名称", "舞蹈队", "文体活动类", "公益慈善类"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("export lacks %q:\n%s", want, data)
		}
	}
	r = runCLI(t, "", append(addr, "export", "--kind", "org", "-f", out)...)
	if r.code != exitError || !strings.Contains(r.stderr, "--force") {
		t.Errorf("export over an existing file:\n%s", r)
	}
	// The export imports back unchanged.
	r = runCLI(t, "", append(addr, "import", out, "--kind", "org", "-o", "json")...)
	if r.code != 0 || !strings.Contains(r.stdout, `"unchanged": 2`) {
		t.Errorf("import of the export:\n%s", r)
	}
}

package e2e

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/importer"
	"fedsync/registry"
)

// testBadFiles imports files that must be refused as a whole or row by row.
func testBadFiles(t *testing.T, s *server, dir string, b *baseline) {
	valid := writeOrgXLSX(t, dir, "valid.xlsx", 40)
	whole, err := os.ReadFile(valid)
	if err != nil {
		t.Fatal(err)
	}
	comms := area.Communities(area.Code(crashStreet))
	badRow := func(i int, col int, v string) []string {
		r := orgRow(1000+i, comms)
		r[col] = v
		return r
	}
	tests := []struct {
		name     string // each file is damaged as a whole or row by row
		file     string
		data     []byte
		wantCode int      // exitError or exitPartial
		wantOut  []string // each must appear in stdout+stderr
	}{
		{"truncated xlsx", "truncated.xlsx", whole[:len(whole)/2], exitError, []string{"truncated.xlsx"}},
		{"xlsx cut to its first bytes", "stub.xlsx", whole[:64], exitError, []string{"stub.xlsx"}},
		{"text named xlsx", "text.xlsx", []byte("id,community\nnot,a workbook\n"), exitError, []string{"text.xlsx"}},
		{"empty xlsx", "empty.xlsx", nil, exitError, []string{"empty.xlsx"}},
		{"old xls format", "old.xls", whole, exitError, []string{"xlsx"}},
		{"csv with unknown column", "columns.csv", csvBytes(t, slices.Concat(orgHeader, []string{"colour"}), slices.Concat(orgRow(1, comms), []string{"red"})), exitError, []string{"colour"}},
		{"csv with every row invalid", "rows.csv", csvBytes(t, orgHeader,
			badRow(0, 3, "sports"), badRow(1, 1, "210102002001"), badRow(2, 5, "2021-13-01"), badRow(3, 6, "-1")),
			exitPartial, []string{"row 2", "category", "row 3", "community", "row 4", "founded", "row 5", "members"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			r := s.cli("import", path, "--kind", "org", "--quiet")
			checkRefusedImport(t, r, tt.wantCode, tt.wantOut)
			b.unchanged(t)
		})
	}
	t.Run("xlsx whose sheet is cut mid-row", func(t *testing.T) { testCutSheet(t, s, dir, whole, b) })
}

// testCutSheet imports a workbook whose sheet XML stops mid-row. The
// import must fail, say so, and store nothing: the whole file is read and
// checked before any row is sent.
func testCutSheet(t *testing.T, s *server, dir string, whole []byte, b *baseline) {
	path := filepath.Join(dir, "cutsheet.xlsx")
	if err := os.WriteFile(path, cutSheet(t, whole), 0o644); err != nil {
		t.Fatal(err)
	}
	before := s.count("org")
	r := s.cli("import", path, "--kind", "org", "--quiet")
	checkRefusedImport(t, r, exitError, []string{"cutsheet.xlsx"})
	stored := s.count("org") - before
	t.Logf("rows of the cut workbook stored before the import stopped: %d of 40", stored)
	if stored != 0 {
		t.Errorf("the cut workbook changed the org count by %d, want 0: a damaged file stores nothing", stored)
	}
	b.reset() // also requires verify to pass
}

// checkRefusedImport requires exit code wantCode, an explanation on stderr,
// output that mentions every wantOut, and no panic.
func checkRefusedImport(t *testing.T, r result, wantCode int, wantOut []string) {
	t.Helper()
	if r.code != wantCode {
		t.Errorf("exit code %d, want %d:\n%s", r.code, wantCode, r)
	}
	out := r.stdout + r.stderr
	if strings.Contains(out, "panic:") || strings.Contains(out, "goroutine ") {
		t.Fatalf("import panicked:\n%s", r)
	}
	if strings.TrimSpace(r.stderr) == "" {
		t.Errorf("import said nothing on stderr:\n%s", r)
	}
	for _, w := range wantOut {
		if !strings.Contains(out, w) {
			t.Errorf("import output does not mention %q:\n%s", w, r)
		}
	}
}

// cutSheet rewrites the workbook xlsx as a well-formed zip whose first
// sheet's XML stops in the middle: the damage a copy interrupted inside
// the sheet leaves once the archive has been repaired. Opening the file
// succeeds; reading it must fail.
func cutSheet(t *testing.T, xlsx []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatalf("read workbook: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	cut := false
	for _, f := range zr.File {
		b := readZipFile(t, f)
		if strings.HasPrefix(f.Name, "xl/worksheets/sheet") && !cut {
			b, cut = b[:len(b)/2], true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !cut {
		t.Fatal("workbook has no sheet to cut")
	}
	return buf.Bytes()
}

func readZipFile(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("open %s in workbook: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s in workbook: %v", f.Name, err)
	}
	return b
}

// csvBytes encodes rows as CSV.
func csvBytes(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				buf.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			buf.WriteString(c)
		}
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// writeOrgXLSX writes n valid orgs (ids from 5000 on, so none is stored
// yet) as a workbook with Chinese headers and labels, using the
// importer's own writer.
func writeOrgXLSX(t *testing.T, dir, name string, n int) string {
	t.Helper()
	comms := area.Communities(area.Code(crashStreet))
	recs := func(yield func(registry.Record) bool) {
		for i := range n {
			if !yield(orgRecord(t, orgRow(5000+i, comms))) {
				return
			}
		}
	}
	var buf bytes.Buffer
	if err := importer.WriteXLSX(&buf, registry.KindOrg, iter.Seq[registry.Record](recs), true); err != nil {
		t.Fatalf("write workbook: %v", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// orgRecord decodes a roster row (orgHeader order) into a registry.Org.
func orgRecord(t *testing.T, row []string) registry.Record {
	t.Helper()
	m := make(map[string]any, len(row))
	for i, h := range orgHeader {
		m[h] = row[i]
	}
	var members int
	if _, err := fmt.Sscan(row[6], &members); err != nil {
		t.Fatal(err)
	}
	m["members"] = members
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := registry.Decode(registry.KindOrg, b)
	if err != nil {
		t.Fatalf("decode row %v: %v", row, err)
	}
	return rec
}

package importer

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
	"time"

	"fedsync/registry"
)

// readBytes reads a roster held in memory to the end and checks the
// Reader's promises: a row is a valid record or carries a *RowError, lines
// increase, stats add up. Errors are expected; panics are not.
func readBytes(t *testing.T, name string, data []byte, kind registry.Kind) {
	r, err := OpenReader(bytes.NewReader(data), int64(len(data)), name, kind, Options{MaxRows: 10_000})
	if err != nil {
		return
	}
	defer r.Close()
	last := 0
	for {
		row, err := r.Next()
		if err != nil {
			if _, again := r.Next(); again != err && err != io.EOF {
				t.Fatalf("fatal error not sticky: %v then %v", err, again)
			}
			break
		}
		if row.Line <= last {
			t.Fatalf("line %d after line %d", row.Line, last)
		}
		last = row.Line
		switch {
		case row.Err != nil && row.Record != nil:
			t.Fatalf("row %d has both a record and an error", row.Line)
		case row.Err != nil:
			rowErr(t, row)
		case row.Record == nil:
			t.Fatalf("row %d has neither record nor error", row.Line)
		default:
			if err := row.Record.Validate(); err != nil {
				t.Fatalf("row %d: invalid record returned: %v", row.Line, err)
			}
		}
	}
	if s := r.Stats(); s.Records+s.Errors+s.Duplicates != s.Rows {
		t.Fatalf("stats do not add up: %+v", s)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(orgHeaderJSON + "A1,210102001002,甲队,culture,guided,2021-03-05,12,王秀英,13912345678,true,false,false,active\n"))
	f.Add([]byte("\ufeff编号,所属社区,组织名称,组织类别,管理层级,成立日期,组织状态\r\nA1,210102001002,\"甲\"\"队\",文体活动类,社区指导,2021/3/5,正常\r\nA1,210102001002,乙队,culture,guided,2021-03-05,active\n"))
	f.Add([]byte("id,community,name,category,tier,founded,status\nA1,\"2101,culture\n"))
	f.Add([]byte("标题\n\nid,community\n\xcb\xae\xd4\xb4\xb5\xd8\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		readBytes(t, "fuzz.csv", data, registry.KindOrg)
	})
}

// FuzzXLSX reads arbitrary workbooks. Input starting with "PK" is a whole
// file; anything else is the XML of the first sheet inside an otherwise
// valid workbook, which reaches the row parser far more often than
// mutated zips do.
func FuzzXLSX(f *testing.F) {
	valid := xlsxBytes(f, "Sheet1", [][]any{
		{"编号", "所属社区", "组织名称", "组织类别", "管理层级", "成立日期", "成员人数", "有无章程", "组织状态"},
		{"A1", "210102001002", "甲队", "文体活动类", "社区指导", time.Date(2021, 3, 5, 0, 0, 0, 0, time.UTC), 12, true, "正常"},
		{"A2", 210102001002, "乙队", "culture", "guided", "2021/3/5", "x", "是", "active"},
	})
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(zipEntry(f, valid, sheetPath))
	f.Add([]byte(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>id</t></is></c></row><row r="3"><c r="A3" t="s"><v>99</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte("PK")) {
			data = replaceZipEntry(t, valid, sheetPath, data)
		}
		readBytes(t, "fuzz.xlsx", data, registry.KindOrg)
	})
}

const sheetPath = "xl/worksheets/sheet1.xml"

// zipEntry returns the content of the file name in the zip archive z.
func zipEntry(t testing.TB, z []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replaceZipEntry returns a copy of the zip archive z with the file name
// holding content.
func replaceZipEntry(t testing.TB, z []byte, name string, content []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			_, err = w.Write(content)
		} else {
			var rc io.ReadCloser
			if rc, err = f.Open(); err == nil {
				_, err = io.Copy(w, rc)
				rc.Close()
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

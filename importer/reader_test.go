package importer

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fedsync/registry"
)

const orgHeaderJSON = "id,community,name,category,tier,founded,members,leader,leader_phone,charter,party_building,brand,status\n"

func TestCSVHeaders(t *testing.T) {
	want := registry.Org{
		ID: "A1", Community: "210102001002", Name: "水源地社区邻里互助队", Category: registry.CatMutualAid,
		Tier: registry.TierGuided, Founded: "2021-03-05", Members: 12, Leader: "王秀英", LeaderPhone: "13912345678",
		Charter: true, Status: registry.StatusActive,
	}
	for _, tc := range []struct{ name, csv string }{
		{"json names", orgHeaderJSON +
			"A1,210102001002,水源地社区邻里互助队,mutual_aid,guided,2021-03-05,12,王秀英,13912345678,true,false,false,active\n"},
		{"labels with BOM and CRLF", "\ufeff编号,所属社区,组织名称,组织类别,管理层级,成立日期,成员人数,负责人,负责人电话,有无章程,是否开展党建,是否品牌组织,组织状态\r\n" +
			"A1,210102001002,水源地社区邻里互助队,居民互助类,社区指导,2021/3/5,12,王秀英,13912345678,是,否,否,正常\r\n"},
		{"subset of columns, any order, marks", "组织名称*,ID,所属社区（必填）,组织状态,管理层级,成员人数,Founded,组织类别,有无章程,负责人,负责人电话\n" +
			" 水源地社区邻里互助队 ,A1,210102001002,active,guided,\"1,2\",2021年3月5日,居民互助类,yes,王秀英,13912345678\n"},
		{"title row and blank lines", "和平区社区社会组织花名册,,,,,,,,,,,,\n\n" + orgHeaderJSON + "\n" +
			"A1,210102001002,水源地社区邻里互助队,mutual_aid,guided,2021.03.05,12.0,王秀英,13912345678,1,0,0,active\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, stats, err := readAll(t, writeFile(t, "o.csv", []byte(tc.csv)), registry.KindOrg, Options{})
			if err != nil || len(rows) != 1 {
				t.Fatalf("got %d rows, err %v", len(rows), err)
			}
			if rows[0].Err != nil {
				t.Fatalf("row error: %v", rows[0].Err)
			}
			if got := rows[0].Record.(registry.Org); got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
			if stats.Records != 1 || stats.Rows != 1 {
				t.Fatalf("stats %+v", stats)
			}
		})
	}
}

func TestRowErrors(t *testing.T) {
	csv := orgHeaderJSON +
		"A1,210102001002,甲队,culture,guided,2021-03-05,12,,,true,false,false,active\n" + // 2 ok
		"A2,210102001002,乙队,culture,guided,2021-13-05,12,,,true,false,false,active\n" + // 3 bad date
		",210102001002,丙队,culture,guided,2021-03-05,12,,,true,false,false,active\n" + // 4 no id
		"A4,210102001002,丁队,舞蹈类,guided,2021-03-05,12,,,true,false,false,active\n" + // 5 bad category
		"A5,210102001002,戊队,culture,guided,2021-03-05,很多,,,true,false,false,active\n" + // 6 bad int
		"A1,210102001002,甲队,文体活动类,guided,2021/3/5,12,,,是,否,否,正常\n" + // 7 same as 2: skipped
		"A1,210102001002,另一个队,culture,guided,2021-03-05,12,,,true,false,false,active\n" + // 8 dup id
		"A8,210102001002,己队,culture,guided,2021-03-05,12,,,true,false,false\n" + // 9 too few cells
		"A9,210102001002,庚队,culture,guided,2021-03-05,12,,,maybe,false,false,active\n" + // 10 bad bool
		"A10,2101020010,辛队,culture,guided,2021-03-05,12,,,true,false,false,active\n" + // 11 bad code (Validate)
		"A11,210102001002,壬队,culture,guided,2021-03-05,12,,,true,false,false,active\n" // 12 ok
	rows, stats, err := readAll(t, writeFile(t, "o.csv", []byte(csv)), registry.KindOrg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		line   int
		column string
		is     error
		text   string
	}
	wants := []want{
		{2, "", nil, ""},
		{3, "founded", ErrCell, "2021-13-05"},
		{4, "id", ErrNoID, "needs an id"},
		{5, "category", nil, "生活服务类"},
		{6, "members", ErrCell, "whole number"},
		{8, "id", ErrDuplicateID, "row 2"},
		{9, "", ErrCellCount, "12 cells but the header has 13"},
		{10, "charter", ErrCell, "是 or 否"},
		{11, "community", nil, "community"},
		{12, "", nil, ""},
	}
	if len(rows) != len(wants) {
		t.Fatalf("got %d rows, want %d", len(rows), len(wants))
	}
	for i, w := range wants {
		row := rows[i]
		if row.Line != w.line {
			t.Errorf("rows[%d].Line = %d, want %d", i, row.Line, w.line)
		}
		if w.text == "" {
			if row.Err != nil || row.Record == nil {
				t.Errorf("row %d: unexpected error %v", row.Line, row.Err)
			}
			continue
		}
		re := rowErr(t, row)
		if re.Column != w.column || re.Line != w.line || row.Record != nil {
			t.Errorf("row %d: error at column %q line %d, want %q line %d", row.Line, re.Column, re.Line, w.column, w.line)
		}
		if w.is != nil && !errors.Is(row.Err, w.is) {
			t.Errorf("row %d: %v is not %v", row.Line, row.Err, w.is)
		}
		if msg := row.Err.Error(); !strings.Contains(msg, w.text) || !strings.HasPrefix(msg, "row ") {
			t.Errorf("row %d: error %q does not mention %q", row.Line, msg, w.text)
		}
	}
	if got := (Stats{Rows: 11, Records: 2, Errors: 8, Duplicates: 1}); stats != got {
		t.Errorf("stats %+v, want %+v", stats, got)
	}
	var fe *registry.FieldError
	if !errors.As(rows[3].Err, &fe) || fe.Field != "category" {
		t.Errorf("row 5: want a *registry.FieldError for category, got %v", rows[3].Err)
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ name, csv, want string }{
		{"unknown", "id,community,name,地址,category,tier,founded,status,备注\n", `unknown column(s) "地址", "备注"`},
		{"lists accepted", "id,地址\n", "founded (成立日期) [required]"},
		{"missing required", "id,community,name\n", "missing required column(s) category (组织类别), tier (管理层级), founded (成立日期), status (组织状态)"},
		{"missing id", "community,name,category,tier,founded,status\n", "missing required column(s) id (编号)"},
		{"twice", "id,编号,community,name,category,tier,founded,status\n", `"id" and "编号" both name id`},
		{"empty", "", "the file is empty"},
		{"blank only", "\n\n,,,\n", "the file is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(writeFile(t, "o.csv", []byte(tc.csv)), registry.KindOrg, Options{})
			if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "o.csv: ") {
				t.Fatalf("got %v, want ErrHeader mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNotUTF8(t *testing.T) {
	// GBK for 水源地社区 on line 2.
	content := []byte("id,community,name,category,tier,founded,status\nA1,210102001002,\xcb\xae\xd4\xb4\xb5\xd8\xc9\xe7\xc7\xf8,culture,guided,2021-01-01,active\n")
	_, err := Open(writeFile(t, "gbk.csv", content), registry.KindOrg, Options{})
	if !errors.Is(err, ErrNotUTF8) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "CSV UTF-8") {
		t.Fatalf("got %v, want ErrNotUTF8 on line 2 suggesting CSV UTF-8", err)
	}
	// A multi-byte rune split across the scanner's 64 KiB chunks is fine.
	long := "id,community,name,category,tier,founded,status\n" + strings.Repeat("水", 70_000) + "\n"
	if _, err := scanCSV(strings.NewReader(long)); err != nil {
		t.Fatalf("valid UTF-8 across chunks: %v", err)
	}
}

func TestMalformedCSV(t *testing.T) {
	csv := "id,community,name,category,tier,founded,status\n" +
		"A1,210102001002,甲队,culture,guided,2021-01-01,active\n" +
		"A2,210102001002,\"乙队,culture,guided,2021-01-01,active\n" // unterminated quote from line 3
	path := writeFile(t, "o.csv", []byte(csv))
	rows, _, err := readAll(t, path, registry.KindOrg, Options{})
	if len(rows) != 1 || rows[0].Err != nil {
		t.Fatalf("want the good first row before the error, got %+v", rows)
	}
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("got %v, want ErrMalformed naming line 3", err)
	}
	bare := "id,community,name,category,tier,founded,status\nA1,2101\"02001002,甲队,culture,guided,2021-01-01,active\n"
	if _, _, err := readAll(t, writeFile(t, "b.csv", []byte(bare)), registry.KindOrg, Options{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bare quote: got %v", err)
	}
}

func TestLimits(t *testing.T) {
	csv := orgHeaderJSON + strings.Repeat("A1,210102001002,甲队,culture,guided,2021-03-05,12,,,true,false,false,active\n", 5)
	path := writeFile(t, "o.csv", []byte(csv))
	if _, err := Open(path, registry.KindOrg, Options{MaxFileBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxFileBytes: got %v", err)
	}
	if _, err := Open(path, registry.KindOrg, Options{MaxRows: 4}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("MaxRows: got %v", err)
	}
	if _, err := Open(writeFile(t, "o.txt", []byte(csv)), registry.KindOrg, Options{}); !errors.Is(err, ErrFormat) {
		t.Fatalf("extension: got %v", err)
	}
	if _, err := Open(path, "nosuchkind", Options{}); !errors.Is(err, registry.ErrUnknownKind) {
		t.Fatalf("kind: got %v", err)
	}
	r, err := Open(path, registry.KindOrg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Total() != 5 {
		t.Fatalf("Total() = %d, want 5", r.Total())
	}
}

func TestXLSX(t *testing.T) {
	date := time.Date(2021, 3, 5, 0, 0, 0, 0, time.UTC)
	rows := [][]any{
		{"组织花名册"},
		{"编号", "所属社区", "组织名称", "组织类别", "管理层级", "成立日期", "成员人数", "有无章程", "组织状态"},
		{"A1", "210102001002", "甲队", "文体活动类", "社区指导", date, 12, true, "正常"},
		{1002, 210102001002, "乙队", "culture", "guided", "2021/3/5", "12", "是", "active"},
		{},
		{"A3", "210102001002", "丙队", "culture", "guided", "someday", 12, false, "active"},
		{"A4", "210102001002", "丁队", "culture", "guided", date, 12, false, "active", "", "stray"},
	}
	path := writeFile(t, "o.xlsx", xlsxBytes(t, "组织", rows))
	got, stats, err := readAll(t, path, registry.KindOrg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || stats.Records != 2 || stats.Errors != 2 {
		t.Fatalf("got %d rows, stats %+v", len(got), stats)
	}
	for i, id := range []string{"A1", "1002"} {
		o, ok := got[i].Record.(registry.Org)
		if !ok {
			t.Fatalf("row %d: %v", got[i].Line, got[i].Err)
		}
		if o.ID != id || o.Founded != "2021-03-05" || o.Members != 12 || o.Community != "210102001002" || o.Category != registry.CatCulture {
			t.Errorf("row %d: got %+v", got[i].Line, o)
		}
	}
	if got[2].Line != 6 || rowErr(t, got[2]).Column != "成立日期" {
		t.Errorf("bad date: line %d, %v", got[2].Line, got[2].Err)
	}
	if got[3].Line != 7 || !errors.Is(got[3].Err, ErrCellCount) || !strings.Contains(got[3].Err.Error(), "column K") {
		t.Errorf("stray cell: line %d, %v", got[3].Line, got[3].Err)
	}
}

func TestXLSXSheets(t *testing.T) {
	data := xlsxBytes(t, "组织", [][]any{{"id"}})
	path := writeFile(t, "o.xlsx", data)
	_, err := Open(path, registry.KindOrg, Options{Sheet: "活动"})
	if !errors.Is(err, ErrSheet) || !strings.Contains(err.Error(), `"组织"`) {
		t.Fatalf("missing sheet: got %v", err)
	}
	for _, n := range []int{len(data) / 2, 100, 0} {
		_, err := Open(writeFile(t, "t.xlsx", data[:n]), registry.KindOrg, Options{})
		if !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d bytes: got %v", n, err)
		}
	}
	if _, err := Open(writeFile(t, "x.xls", data), registry.KindOrg, Options{}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), ".xlsx") {
		t.Fatalf(".xls: got %v", err)
	}
}

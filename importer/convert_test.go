package importer

import (
	"encoding/json"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestConvert(t *testing.T) {
	csv, xlsx := cellContext{}, cellContext{serialDates: true}
	for _, tc := range []struct {
		cc       cellContext
		typ, in  string
		want     string
		wantFail bool
	}{
		{csv, "int", "12", "12", false},
		{csv, "int", "1,200", "1200", false},
		{csv, "int", "12.0", "12", false},
		{csv, "int", "1.5", "", true},
		{csv, "int", "十二", "", true},
		{csv, "bool", "是", "true", false},
		{csv, "bool", "否", "false", false},
		{csv, "bool", "TRUE", "true", false},
		{csv, "bool", "No", "false", false},
		{csv, "bool", "0", "false", false},
		{csv, "bool", "maybe", "", true},
		{csv, "date", "2021-03-05", `"2021-03-05"`, false},
		{csv, "date", "2021/3/5", `"2021-03-05"`, false},
		{csv, "date", "2021.03.05", `"2021-03-05"`, false},
		{csv, "date", "2021年3月5日", `"2021-03-05"`, false},
		{csv, "date", "2021-03-05T00:00:00Z", `"2021-03-05"`, false},
		{csv, "date", "2021-02-30", "", true},
		{csv, "date", "44260", "", true}, // serials only in .xlsx
		{xlsx, "date", "44260", `"2021-03-05"`, false},
		{xlsx, "date", "44260.5", `"2021-03-05"`, false},
		{csv, "code", "2.10102001002E+11", `"210102001002"`, false},
		{csv, "code", "210102001002", `"210102001002"`, false},
		{csv, "enum", "文体活动类", `"文体活动类"`, false},
		{csv, "string", `a"b\c`, `"a\"b\\c"`, false},
	} {
		got, err := tc.cc.convert(tc.typ, tc.in)
		if tc.wantFail {
			if !errors.Is(err, ErrCell) {
				t.Errorf("convert(%s, %q): want ErrCell, got %s, %v", tc.typ, tc.in, got, err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("convert(%s, %q) = %s, %v; want %s", tc.typ, tc.in, got, err, tc.want)
		}
	}
}

// TestQuoteMatchesJSON checks appendQuoted against encoding/json: any
// string, valid UTF-8 or not, decodes back to its runes.
func TestQuoteMatchesJSON(t *testing.T) {
	bytesString := rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) })
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), bytesString).Draw(t, "s")
		var got string
		if err := json.Unmarshal(quote(s), &got); err != nil {
			t.Fatalf("quote(%q) = %s: %v", s, quote(s), err)
		}
		if want := string([]rune(s)); got != want {
			t.Fatalf("quote(%q) decodes to %q, want %q", s, got, want)
		}
	})
}

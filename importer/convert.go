package importer

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// cellContext says how a source stores values: .xlsx cells may hold Excel
// date serials, .csv cells only text.
type cellContext struct {
	serialDates bool // numbers in date columns are Excel date serials
	date1904    bool // the workbook counts serials from 1904
	strictWidth bool // every row has as many cells as the header (CSV)
}

// convert turns the text of a cell into the JSON value of a field of type
// typ ("string", "int", "bool", "date", "enum", "code"). Unknown types pass
// as strings. The error says what the value must look like.
func (cc cellContext) convert(typ, s string) (json.RawMessage, error) {
	switch typ {
	case "int":
		n, err := parseInt(s)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, n, 10), nil
	case "bool":
		b, err := parseBool(s)
		if err != nil {
			return nil, err
		}
		return strconv.AppendBool(nil, b), nil
	case "date":
		d, err := cc.parseDate(s)
		if err != nil {
			return nil, err
		}
		return quote(d), nil
	case "code":
		return quote(normalizeCode(s)), nil
	default:
		return quote(s), nil
	}
}

// quote returns s as a JSON string.
func quote(s string) json.RawMessage { return appendQuoted(make([]byte, 0, len(s)+2), s) }

// appendQuoted appends s to b as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// parseInt accepts "12", "1,200", "12.0" and "1.2E+3" (as spreadsheets
// write whole numbers).
func parseInt(s string) (int64, error) {
	t := strings.ReplaceAll(s, ",", "")
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%w: must be a whole number (got %q)", ErrCell, s)
	}
	return int64(f), nil
}

var boolWords = map[string]bool{
	"是": true, "否": false, "true": true, "false": false, "1": true, "0": false,
	"yes": true, "no": false, "y": true, "n": false, "有": true, "无": false,
	"√": true, "×": false,
}

// parseBool accepts 是/否, true/false, 1/0, yes/no (any case).
func parseBool(s string) (bool, error) {
	if b, ok := boolWords[strings.ToLower(s)]; ok {
		return b, nil
	}
	return false, fmt.Errorf("%w: must be 是 or 否 (or true/false, 1/0, yes/no) (got %q)", ErrCell, s)
}

// dateSeparators turns 2021/3/5, 2021.3.5 and 2021年3月5日 into 2021-3-5.
var dateSeparators = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "")

// parseDate accepts 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日, an
// ISO timestamp whose date part is one of those, and, in .xlsx files, an
// Excel date serial. It returns YYYY-MM-DD.
func (cc cellContext) parseDate(s string) (string, error) {
	if i := strings.IndexAny(s, "T "); i == 10 {
		s = s[:i] // 2021-03-05T00:00:00Z, 2021-03-05 00:00:00
	}
	if cc.serialDates {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, cc.date1904)
			if err == nil {
				return t.Format(time.DateOnly), nil
			}
		}
	}
	parts := strings.Split(dateSeparators.Replace(s), "-")
	if len(parts) == 3 && len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2 {
		y, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		d, e3 := strconv.Atoi(parts[2])
		if e1 == nil && e2 == nil && e3 == nil {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Year() == y && int(t.Month()) == m && t.Day() == d {
				return t.Format(time.DateOnly), nil
			}
		}
	}
	return "", fmt.Errorf("%w: must be a date like 2021-03-05 or 2021/3/5 (got %q)", ErrCell, s)
}

// normalizeCode undoes what spreadsheets do to a 12-digit code typed as a
// number: "210102001002.0" or "2.10102001002E+11".
func normalizeCode(s string) string {
	if strings.ContainsAny(s, ".eE") {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && f >= 1 && f < 1e12 {
			return strconv.FormatFloat(f, 'f', 0, 64)
		}
	}
	return s
}

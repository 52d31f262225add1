package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// printJSON writes v as indented JSON (the -o json form of every command).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// displayWidth is the number of terminal columns s takes: East Asian wide
// and fullwidth characters (汉字, fullwidth punctuation) take two, combining
// marks and control characters none, everything else one.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError, unicode.Is(unicode.Mn, r), unicode.IsControl(r), r == '\u200b':
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// table lays out rows in aligned columns. text/tabwriter counts one column
// per rune, which misaligns Chinese text (two columns per character), so
// the table pads by displayWidth instead. Columns are separated by two
// spaces; right-aligned columns suit numbers.
type table struct {
	rows   [][]string
	right  map[int]bool // right-aligned columns
	indent string       // written before every row
}

// newTable starts a table whose first row is the header (may be nil).
func newTable(header ...string) *table {
	t := &table{right: map[int]bool{}}
	if header != nil {
		t.rows = append(t.rows, header)
	}
	return t
}

// alignRight right-aligns the given columns.
func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// add appends a row.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// addf appends a row of formatted values.
func (t *table) addf(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.add(row...)
}

// len returns the number of rows, the header included.
func (t *table) len() int { return len(t.rows) }

// write prints the table; trailing spaces are trimmed.
func (t *table) write(w io.Writer) error {
	var widths []int
	for _, row := range t.rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		b.WriteString(t.indent)
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		line := strings.TrimRight(b.String(), " ")
		b.Reset()
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// percent formats a 0..1 share as "80.0%".
func percent(share float64) string {
	return fmt.Sprintf("%.1f%%", share*100)
}

// thousands formats n with comma separators: 12,345.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// check renders a compliance flag: ✓ or ✗.
func check(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

package registry

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// recordsTable renders the field table of kind k as docs/RECORDS.md shows it.
func recordsTable(k Kind) string {
	var b strings.Builder
	b.WriteString("| field | 表头 (label) | type | required | PII | rule |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- |\n")
	for _, f := range Fields(k) {
		doc := f.Doc
		if f.Type == TypeEnum {
			doc += ": `" + strings.Join(f.Enum, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n",
			f.Name, f.Label, f.Type, yes(f.Required), yes(f.PII), doc)
	}
	return b.String()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}

// TestRecordsDoc keeps docs/RECORDS.md in step with Fields: every kind's
// table must appear there verbatim. Run with -v to print the tables.
func TestRecordsDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/RECORDS.md")
	if err != nil {
		t.Skipf("docs/RECORDS.md not readable: %v", err)
	}
	for _, k := range Kinds {
		table := recordsTable(k)
		if !strings.Contains(string(doc), table) {
			t.Errorf("docs/RECORDS.md lacks the current %s table:\n%s", k, table)
		}
	}
}

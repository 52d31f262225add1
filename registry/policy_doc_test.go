package registry

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// policyTable renders the default policy as docs/RECORDS.md shows it.
func policyTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| field | 表头 (label) | holds | leaves the street as (policy %d) | why |\n", PolicyVersion)
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, r := range DefaultPolicy().Rules() {
		label := ""
		for _, f := range Fields(r.Kind) {
			if f.Name == r.Field {
				label = f.Label
			}
		}
		fmt.Fprintf(&b, "| `%s.%s` | %s | %s | %s | %s |\n", r.Kind, r.Field, label, piiClasses[r.Kind][r.Field], r.Action, r.Why)
	}
	return b.String()
}

// TestPolicyDoc keeps the policy table of docs/RECORDS.md in step with
// DefaultPolicy. Run with -v to print it.
func TestPolicyDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/RECORDS.md")
	if err != nil {
		t.Fatalf("docs/RECORDS.md not readable: %v", err)
	}
	if table := policyTable(); !strings.Contains(string(doc), table) {
		t.Errorf("docs/RECORDS.md lacks the current redaction policy table:\n%s", table)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/client/clienttest"
	"fedsync/registry"
	"fedsync/rollup"
)

const testStreet = area.Code("210102001000")

// result is one run of the CLI.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs fedsync in-process with args.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// fakeAgent starts a fake agent for the test street and returns it with
// the --http-addr flag pointing at it.
func fakeAgent(t *testing.T) (*clienttest.Fake, []string) {
	t.Helper()
	f, srv := clienttest.NewServer(t, testStreet)
	return f, []string{"--http-addr", srv.URL}
}

func TestEveryCommandHelpHasExample(t *testing.T) {
	var walk func(c *cobra.Command)
	var paths [][]string
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&app{}))
	if len(paths) < 40 {
		t.Fatalf("walked %d commands, want the whole tree", len(paths))
	}
	for _, p := range paths {
		r := runCLI(t, "", append(p, "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:\n  fedsync") {
			t.Errorf("fedsync %s --help has no example:\n%s", strings.Join(p, " "), r)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "fedsync dev (go") {
		t.Errorf("version:\n%s", r)
	}
	r = runCLI(t, "", "version", "-o", "json")
	var v map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v["version"] != "dev" {
		t.Errorf("version -o json = %q (%v)", r.stdout, err)
	}
}

func TestBadOutputFlag(t *testing.T) {
	r := runCLI(t, "", "version", "-o", "yaml")
	if r.code != exitError || !strings.Contains(r.stderr, "want table or json") || !strings.Contains(r.stderr, "--help") {
		t.Errorf("-o yaml:\n%s", r)
	}
}

func TestNoAgent(t *testing.T) {
	r := runCLI(t, "", "status", "--http-addr", "127.0.0.1:1")
	if r.code != exitError {
		t.Fatalf("exit %d, want %d", r.code, exitError)
	}
	for _, want := range []string{"no fedsync agent at 127.0.0.1:1", "fedsync agent -config"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
}

func TestNormalizeArgs(t *testing.T) {
	got := strings.Join(normalizeArgs([]string{"agent", "-config", "a.toml", "-config=b", "--", "-config"}), " ")
	if want := "agent --config a.toml --config=b -- -config"; got != want {
		t.Errorf("normalizeArgs = %q, want %q", got, want)
	}
}

func TestDisplayWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"abc", 3}, {"水源地社区", 10}, {"✓", 1}, {"（一）", 6}, {"", 0}}
	for _, tt := range tests {
		if got := displayWidth(tt.in); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestEnumLabel(t *testing.T) {
	if got := enumLabel(registry.KindOrg, "category", "culture"); got != "文体活动类" {
		t.Errorf("enumLabel(category, culture) = %q", got)
	}
	if got := enumLabel(registry.KindActivity, "theme", "neighbour_watch"); got != "邻里守望" {
		t.Errorf("enumLabel(theme, neighbour_watch) = %q", got)
	}
	if got := enumLabel(registry.KindOrg, "category", "nonsense"); got != "nonsense" {
		t.Errorf("enumLabel(category, nonsense) = %q", got)
	}
}

// streetSummary is a street's summary with three communities.
func streetSummary() *rollup.Summary {
	return &rollup.Summary{
		Area: testStreet, Name: "浑河湾街道", Level: "street", Year: 2023, TargetYear: 2023,
		Orgs: rollup.OrgFigures{Total: 25, AsOfYear: 25, Brand: 2, ByCategory: map[string]int64{"culture": 20, "charity": 5}},
		Communities: rollup.CommunityFigures{Urban: 2, Rural: 1, UrbanMeeting: 1, RuralMeeting: 1,
			UrbanShare: 0.5, RuralShare: 1, UrbanRequired: 1, RuralRequired: 1, RuralOK: true},
		Talent:     rollup.TalentFigures{Total: 10, Trained: 8, TrainedShare: 0.8},
		Activities: rollup.ActivityFigures{Total: 7, ByTheme: map[string]int64{"neighbour_watch": 5, "culture": 2}},
		Children: []rollup.ChildStatus{
			{Area: "210102001002", Name: "水源地社区", Level: "community", Urban: true, Orgs: 12, Minimum: 10, Meets: true},
			{Area: "210102001005", Name: "南京南社区", Level: "community", Urban: true, Orgs: 3, Minimum: 10},
			{Area: "210102001099", Name: "某村", Level: "community", Orgs: 10, Minimum: 3, Meets: true},
		},
	}
}

func TestReportStreet(t *testing.T) {
	f, addr := fakeAgent(t)
	f.Summaries[testStreet] = streetSummary()
	r := runCLI(t, "", append(addr, "report", "--area", string(testStreet), "--year", "2023")...)
	if r.code != 0 {
		t.Fatalf("report failed:\n%s", r)
	}
	for _, want := range []string{"浑河湾街道 (210102001000) · street · year 2023 · targets of 2023",
		"水源地社区", "南京南社区", "✓", "✗", "1/2 = 50.0%", "required 100%", "8/10 = 80.0%",
		"邻里守望", "文化铸魂", "文体活动类 20"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	// Columns align although the names differ in characters and width.
	col := -1
	for _, line := range strings.Split(r.stdout, "\n") {
		i := strings.Index(line, "2101020010")
		if i < 0 || strings.Contains(line, "(") {
			continue
		}
		if w := displayWidth(line[:i]); col == -1 {
			col = w
		} else if w != col {
			t.Errorf("code column at width %d, want %d: %q", w, col, line)
		}
	}
	if col == -1 {
		t.Errorf("no community rows in:\n%s", r.stdout)
	}
}

func TestReportJSON(t *testing.T) {
	f, addr := fakeAgent(t)
	f.Summaries[testStreet] = streetSummary()
	r := runCLI(t, "", append(addr, "report", "--area", string(testStreet), "-o", "json")...)
	var s rollup.Summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("report -o json is not JSON: %v\n%s", err, r)
	}
	if len(s.Children) != 3 || s.Children[1].Name != "南京南社区" {
		t.Errorf("report -o json children = %+v", s.Children)
	}
}

func TestReportErrors(t *testing.T) {
	_, addr := fakeAgent(t)
	r := runCLI(t, "", append(addr, "report", "--area", "12345")...)
	if r.code != exitError || !strings.Contains(r.stderr, "--area") {
		t.Errorf("bad --area:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "report", "--area", "210103000000")...)
	if r.code != exitError || !strings.Contains(r.stderr, "404") {
		t.Errorf("unknown area:\n%s", r)
	}
}

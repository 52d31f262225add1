package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// importReport is the part of `fedsync import -o json` the tests read.
type importReport struct {
	Rows      int `json:"rows"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Errors    []struct {
		Row   int    `json:"row"`
		Field string `json:"field"`
		Rule  string `json:"rule"`
	} `json:"errors"`
	Fatal string `json:"fatal"`
}

// parseImport decodes the stdout of `fedsync import -o json`.
func parseImport(t testing.TB, r result) importReport {
	t.Helper()
	var rep importReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("decode import -o json: %v\n%s", err, r)
	}
	return rep
}

const (
	crashStreet = "210102001000" // 浑河湾街道, Heping district, Shenyang
	crashRows   = 30_000
	crashBatch  = "500"
	// killAfter is how many rows the agent must report before the kill:
	// enough that several batches are stored, few enough that the import
	// is surely still running.
	killAfter = crashRows / 5
)

// snapshot is what a client saw just before the kill.
type snapshot struct {
	acked int64    // records.org of GET /v1/status: every acknowledged row
	ids   []string // ids of a GET /v1/records/org?limit=1000 page
}

// TestCrashDuringImport kills the agent with SIGKILL in the middle of an
// import, restarts it on the same data directory and checks that nothing
// acknowledged was lost, that the store is consistent, and that importing
// the same file again completes it exactly.
func TestCrashDuringImport(t *testing.T) {
	t.Parallel()
	s := newServer(t, crashStreet)
	s.start()
	if n := s.count("org"); n != 0 {
		t.Fatalf("fresh agent holds %d orgs, want 0", n)
	}
	file := writeOrgCSV(t, t.TempDir(), crashStreet, crashRows)

	imp := s.cliBackground("import", file, "--kind", "org", "--batch", crashBatch, "--quiet", "-o", "json")
	before := waitMidImport(t, s, imp)
	s.kill()
	t.Logf("killed the agent %v into the import with %d rows acknowledged", time.Since(imp.start).Round(time.Millisecond), before.acked)

	r := imp.wait(t, cliTimeout)
	if r.code == 0 {
		t.Errorf("import whose agent was killed exited 0, want non-zero:\n%s", r)
	}
	t.Logf("the interrupted import exited %d: %s", r.code, firstLine(r.stderr))

	restart := time.Now()
	s.start()
	t.Logf("restarted agent healthy after %v", time.Since(restart).Round(time.Millisecond))
	checkAfterRestart(t, s, before)

	r = s.cli("import", file, "--kind", "org", "--batch", crashBatch, "--quiet", "-o", "json")
	if r.code != 0 {
		t.Fatalf("re-run of the import failed:\n%s", r)
	}
	rep := parseImport(t, r)
	t.Logf("re-run of the import: %d rows in %v (%.0f rows/s): created %d, unchanged %d, updated %d, errors %d",
		rep.Rows, r.elapsed.Round(time.Millisecond), float64(rep.Rows)/r.elapsed.Seconds(),
		rep.Created, rep.Unchanged, rep.Updated, len(rep.Errors))
	checkRerun(t, rep, before.acked)
	if got := s.count("org"); got != crashRows {
		t.Errorf("after the re-run the agent holds %d orgs, want exactly %d", got, crashRows)
	}
	requireVerifyOK(t, s)
	checkCLIViews(t, s, crashRows)
}

// checkCLIViews checks that `fedsync status -o json` and `fedsync org list
// --all -o json` both see exactly want orgs, each id once.
func checkCLIViews(t *testing.T, s *server, want int) {
	t.Helper()
	var st status
	decodeCLI(t, s.cli("status", "-o", "json"), &st)
	if got := st.Records["org"]; got != int64(want) {
		t.Errorf("fedsync status -o json: %d orgs, want %d", got, want)
	}
	var page listPage
	decodeCLI(t, s.cli("org", "list", "--all", "-o", "json"), &page)
	ids := make(map[string]bool, len(page.Items))
	for _, it := range page.Items {
		ids[it.ID] = true
	}
	if len(page.Items) != want || len(ids) != want {
		t.Errorf("fedsync org list --all -o json: %d items, %d distinct ids, want %d", len(page.Items), len(ids), want)
	}
}

// decodeCLI requires exit code 0 and decodes the JSON on stdout into v.
func decodeCLI(t *testing.T, r result, v any) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", r.code, r)
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("decode the JSON output: %v\n%.2000s", err, r)
	}
}

// waitMidImport polls the agent's org count until it passes killAfter
// while imp still runs, then takes a page of ids and the acknowledged
// count, in that order, so that every id on the page is acknowledged.
func waitMidImport(t *testing.T, s *server, imp *process) snapshot {
	t.Helper()
	deadline := time.Now().Add(cliTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		if imp.exited() {
			t.Fatalf("import ended before the agent reported %d rows; cannot kill mid-import:\n%s", killAfter, imp.result())
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not report %d rows within %v", killAfter, cliTimeout)
		}
		if s.count("org") < killAfter {
			continue
		}
		var snap snapshot
		for _, it := range s.list("org", 1000, "").Items {
			snap.ids = append(snap.ids, it.ID)
		}
		snap.acked = s.count("org")
		if imp.exited() {
			t.Fatalf("import ended before the kill:\n%s", imp.result())
		}
		return snap
	}
	panic("unreachable")
}

// checkAfterRestart checks the restarted agent against what was seen
// before the kill.
func checkAfterRestart(t *testing.T, s *server, before snapshot) {
	t.Helper()
	requireVerifyOK(t, s)
	after := s.count("org")
	t.Logf("rows acknowledged before the kill: %d; rows present after restart: %d", before.acked, after)
	if after < before.acked {
		t.Errorf("after restart the agent holds %d orgs, fewer than the %d acknowledged before the kill", after, before.acked)
	}
	if after >= crashRows {
		t.Errorf("after restart the agent holds %d orgs: the kill came after the import had finished", after)
	}
	if len(before.ids) == 0 {
		t.Fatal("the page taken before the kill was empty")
	}
	for _, id := range before.ids {
		if a := s.do(http.MethodGet, "/v1/records/org/"+url.PathEscape(id), nil); a.status != http.StatusOK {
			t.Errorf("org %s, listed before the kill, is gone after restart: %s", id, a)
		}
	}
	if ids := s.allIDs("org"); int64(len(ids)) != after {
		t.Errorf("after restart the list holds %d orgs but status counts %d", len(ids), after)
	}
}

// checkRerun checks the counts of the import run again after the restart.
func checkRerun(t *testing.T, rep importReport, acked int64) {
	t.Helper()
	if rep.Rows != crashRows || len(rep.Errors) != 0 || rep.Fatal != "" {
		t.Errorf("re-run read %d rows with %d errors (fatal %q), want %d rows and none: %+v", rep.Rows, len(rep.Errors), rep.Fatal, crashRows, rep.Errors)
	}
	if rep.Updated != 0 {
		t.Errorf("re-run updated %d rows, want 0: stored rows must come back unchanged", rep.Updated)
	}
	if int64(rep.Unchanged) < acked {
		t.Errorf("re-run found %d rows unchanged, fewer than the %d acknowledged before the kill", rep.Unchanged, acked)
	}
	if rep.Created+rep.Unchanged != crashRows {
		t.Errorf("re-run: created %d + unchanged %d = %d, want %d", rep.Created, rep.Unchanged, rep.Created+rep.Unchanged, crashRows)
	}
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// requireVerifyOK runs `fedsync verify` and fails the test unless it
// exits 0.
func requireVerifyOK(t *testing.T, s *server) {
	t.Helper()
	if r := s.cli("verify"); r.code != 0 {
		t.Fatalf("fedsync verify exited %d, want 0:\n%s", r.code, r)
	}
}

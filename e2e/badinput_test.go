package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
)

// storeState is what must not change when input is refused: the record
// counts of GET /v1/status and what `fedsync verify -o json` checked.
type storeState struct {
	Records map[string]int64
	Verify  verifyReport
}

// state reads the server's storeState; verify must exit 0.
func (s *server) state() storeState {
	s.t.Helper()
	r := s.cli("verify", "-o", "json")
	if r.code != 0 {
		s.t.Fatalf("fedsync verify exited %d, want 0:\n%s", r.code, r)
	}
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		s.t.Fatalf("decode verify -o json: %v\n%s", err, r)
	}
	return storeState{Records: s.status().Records, Verify: rep}
}

// validOrg is a well-formed org of the street, as JSON fields.
func validOrg(id string) map[string]any {
	return map[string]any{
		"id": id, "community": "210102001002", "name": "水源地社区书法协会",
		"category": "culture", "tier": "guided", "founded": "2021-05-04",
		"members": 25, "status": "active",
	}
}

// with returns a copy of m with the given fields set.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// Exit codes of the fedsync CLI (fedsync --help).
const (
	exitError   = 1 // could not do its job
	exitPartial = 2 // some rows refused, or verify found problems
)

// baseline is the store state that refused input must leave as it is.
type baseline struct {
	s    *server
	want storeState
}

// unchanged fails t if the store differs from the baseline. After a
// failure the baseline moves to the new state, so that one bad case does
// not fail every later one.
func (b *baseline) unchanged(t *testing.T) {
	t.Helper()
	if got := b.s.state(); !reflect.DeepEqual(got, b.want) {
		t.Errorf("store changed:\n got %+v\nwant %+v", got, b.want)
		b.want = got
	}
}

// reset takes the current state as the baseline (verify must pass).
func (b *baseline) reset() { b.want = b.s.state() }

// TestBadInputChangesNothing sends malformed and invalid records through
// the API and broken files through `fedsync import`: each is refused with
// an error that names what is wrong, and the store is left as it was.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t, crashStreet)
	s.start()
	dir := t.TempDir()
	if r := s.cli("import", writeOrgCSV(t, dir, crashStreet, 50), "--kind", "org", "--quiet"); r.code != 0 {
		t.Fatalf("import of the baseline roster failed:\n%s", r)
	}
	b := &baseline{s: s}
	b.reset()
	if n := b.want.Records["org"]; n != 50 {
		t.Fatalf("baseline holds %d orgs, want 50", n)
	}
	t.Run("api", func(t *testing.T) { testBadRecords(t, s, b) })
	t.Run("batch", func(t *testing.T) { testBadBatch(t, s, b) })
	t.Run("import", func(t *testing.T) { testBadFiles(t, s, dir, b) })
	t.Run("valid xlsx control", func(t *testing.T) {
		before := s.count("org")
		r := s.cli("import", writeOrgXLSX(t, dir, "control.xlsx", 40), "--kind", "org", "--quiet", "-o", "json")
		if r.code != 0 {
			t.Fatalf("import of the undamaged workbook failed:\n%s", r)
		}
		rep := parseImport(t, r)
		if rep.Rows != 40 || rep.Created+rep.Unchanged != 40 {
			t.Errorf("undamaged workbook: %+v, want 40 rows created or unchanged", rep)
		}
		if got, want := s.count("org"), before+int64(rep.Created); got != want {
			t.Errorf("after the undamaged workbook the agent holds %d orgs, want %d", got, want)
		}
	})
}

// testBadRecords posts bad records one by one.
func testBadRecords(t *testing.T, s *server, b *baseline) {
	org := validOrg("e2e-bad-1")
	tests := []struct {
		name      string
		path      string
		body      any
		wantCode  int    // 0: any 4xx
		wantField string // "": not checked
	}{
		{"truncated json", "/v1/records/org", []byte(`{"id":"e2e-bad-1","community":"2101020`), http.StatusBadRequest, "(record)"},
		{"not an object", "/v1/records/org", []byte(`[1,2,3]`), http.StatusBadRequest, "(record)"},
		{"members not a number", "/v1/records/org", with(org, "members", "many"), http.StatusBadRequest, "members"},
		{"unknown field", "/v1/records/org", with(org, "colour", "red"), http.StatusBadRequest, "colour"},
		{"unknown category", "/v1/records/org", with(org, "category", "sports"), 0, "category"},
		{"unknown status", "/v1/records/org", with(org, "status", "sleeping"), 0, "status"},
		{"impossible date", "/v1/records/org", with(org, "founded", "2021-02-30"), http.StatusUnprocessableEntity, "founded"},
		{"negative members", "/v1/records/org", with(org, "members", -3), http.StatusUnprocessableEntity, "members"},
		{"community outside the street", "/v1/records/org", with(org, "community", "210102002001"), http.StatusUnprocessableEntity, "community"},
		{"community not in the division data", "/v1/records/org", with(org, "community", "210102001999"), http.StatusUnprocessableEntity, "community"},
		{"street code as community", "/v1/records/org", with(org, "community", crashStreet), http.StatusUnprocessableEntity, "community"},
		{"unknown kind", "/v1/records/widget", org, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.do(http.MethodPost, tt.path, tt.body)
			checkProblem(t, a, tt.wantCode, tt.wantField)
			b.unchanged(t)
		})
	}
	t.Run("update to outside the street", func(t *testing.T) {
		a := s.do(http.MethodPut, "/v1/records/org/"+orgID(0), with(rowAsOrg(t, s, orgID(0)), "community", "210102002001"))
		checkProblem(t, a, http.StatusUnprocessableEntity, "community")
		b.unchanged(t)
	})
}

// rowAsOrg returns the stored org id as JSON fields.
func rowAsOrg(t *testing.T, s *server, id string) map[string]any {
	t.Helper()
	var st storedRecord
	s.getJSON("/v1/records/org/"+id, &st)
	var m map[string]any
	if err := json.Unmarshal(st.Record, &m); err != nil {
		t.Fatalf("decode stored org %s: %v", id, err)
	}
	return m
}

// checkProblem requires a 4xx problem+json answer, with wantCode and
// wantField when they are set.
func checkProblem(t *testing.T, a answer, wantCode int, wantField string) {
	t.Helper()
	if a.status < 400 || a.status > 499 || (wantCode != 0 && a.status != wantCode) {
		t.Fatalf("got %s, want status %d (any 4xx when 0)", a, wantCode)
	}
	p := decodeProblem(t, a)
	if wantField != "" && p.Field != wantField {
		t.Errorf("problem names field %q, want %q: %s", p.Field, wantField, a)
	}
}

// testBadBatch posts batches whose every record is refused.
func testBadBatch(t *testing.T, s *server, b *baseline) {
	org := validOrg("e2e-bad-2")
	t.Run("every record refused", func(t *testing.T) {
		recs := []any{
			with(org, "category", "sports"),
			with(org, "id", "e2e-bad-3", "community", "210102002001"),
			with(org, "id", "e2e-bad-4", "founded", "yesterday"),
		}
		wantFields := []string{"category", "community", "founded"}
		a := s.do(http.MethodPost, "/v1/batch", map[string]any{"kind": "org", "mode": "create", "records": recs})
		checkBatchRefused(t, a, wantFields)
		b.unchanged(t)
	})
	t.Run("existing id with other content", func(t *testing.T) {
		stored := rowAsOrg(t, s, orgID(1))
		a := s.do(http.MethodPost, "/v1/batch", map[string]any{"kind": "org", "mode": "create",
			"records": []any{with(stored, "name", "改了名字的组织")}})
		checkBatchRefused(t, a, []string{""})
		b.unchanged(t)
	})
	for _, tt := range []struct{ name, body string }{
		{"unknown kind", `{"kind":"widget","mode":"create","records":[{}]}`},
		{"unknown mode", `{"kind":"org","mode":"replace","records":[{}]}`},
		{"truncated", `{"kind":"org","mode":"create","records":[{"id":`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkProblem(t, s.do(http.MethodPost, "/v1/batch", []byte(tt.body)), 0, "")
			b.unchanged(t)
		})
	}
}

// checkBatchRefused requires a batch answer whose every result is an
// error naming the wanted field ("" = any field).
func checkBatchRefused(t *testing.T, a answer, wantFields []string) {
	t.Helper()
	var out struct {
		Results []struct {
			Index  int      `json:"index"`
			Status string   `json:"status"`
			Error  *problem `json:"error"`
		} `json:"results"`
	}
	if a.status != http.StatusOK {
		t.Fatalf("batch: got %s, want 200 with per-record results", a)
	}
	if err := json.Unmarshal(a.body, &out); err != nil || len(out.Results) != len(wantFields) {
		t.Fatalf("batch: want %d results: %v: %s", len(wantFields), err, a)
	}
	for _, r := range out.Results {
		if r.Status != "error" || r.Error == nil || r.Index < 0 || r.Index >= len(wantFields) {
			t.Errorf("batch result %+v: want status error with a problem", r)
			continue
		}
		if want := wantFields[r.Index]; want != "" && r.Error.Field != want {
			t.Errorf("batch record %d: problem names field %q, want %q (%+v)", r.Index, r.Error.Field, want, *r.Error)
		}
	}
}

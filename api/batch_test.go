package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// batchBody builds a batch request of raw records.
func batchBody(kind, mode string, records ...string) string {
	return `{"kind":"` + kind + `","mode":"` + mode + `","records":[` + strings.Join(records, ",") + `]}`
}

// batchOf posts a batch and decodes its 200 answer.
func batchOf(t *testing.T, ts *testServer, body string) []BatchResult {
	t.Helper()
	rec := ts.do("POST", "/v1/batch", body)
	wantStatus(t, rec, http.StatusOK)
	var resp BatchResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("decode batch answer %s: %v", rec.Body, err)
	}
	return resp.Results
}

func TestBatchMixed(t *testing.T) {
	ts := newTestServer(t)
	results := batchOf(t, ts, batchBody("org", "create",
		orgJSON("o1", commA),
		`"just a string"`,
		orgJSON("o3", commOutside),
		orgJSON("", commB),
		orgWith("o5", commA, "members", `"many"`),
		orgJSON("o6", commUnknown),
	))
	want := []struct {
		status, field string
		code          int
	}{
		{BatchCreated, "", 0},
		{BatchError, "(record)", 400},
		{BatchError, "community", 422},
		{BatchCreated, "", 0},
		{BatchError, "members", 400},
		{BatchError, "community", 422},
	}
	if len(results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(results), len(want), results)
	}
	for i, w := range want {
		r := results[i]
		if r.Index != i || r.Status != w.status {
			t.Errorf("result %d = %+v, want index %d status %s", i, r, i, w.status)
			continue
		}
		if w.status == BatchError && (r.Error == nil || r.Error.Field != w.field || r.Error.Status != w.code) {
			t.Errorf("result %d error = %+v, want field %q status %d", i, r.Error, w.field, w.code)
		}
		if w.status == BatchCreated && (r.ID == "" || r.Seq == 0) {
			t.Errorf("result %d = %+v, want an id and a seq", i, r)
		}
	}
	if n := ts.b.writeCalls(); n != 1 {
		t.Errorf("Write called %d times, want once for the whole batch", n)
	}
	wantStatus(t, ts.do("GET", "/v1/records/org/"+results[3].ID, ""), http.StatusOK)
}

func TestBatchUpsertAndCreateModes(t *testing.T) {
	ts := newTestServer(t)
	batchOf(t, ts, batchBody("org", "create", orgJSON("o1", commA), orgJSON("o2", commA)))

	results := batchOf(t, ts, batchBody("org", "create", orgJSON("o1", commA), orgJSON("o2", commB)))
	if results[0].Status != BatchUnchanged || results[1].Status != BatchError || results[1].Error.Status != http.StatusConflict {
		t.Errorf("create over existing = %+v, want unchanged and a 409 error", results)
	}

	results = batchOf(t, ts, batchBody("org", "upsert", orgJSON("o1", commA), orgJSON("o2", commB), orgJSON("o3", commB)))
	got := []string{results[0].Status, results[1].Status, results[2].Status}
	if want := []string{BatchUnchanged, BatchUpdated, BatchCreated}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("upsert statuses = %v, want %v", got, want)
	}
}

func TestBatchAllInvalidWritesNothing(t *testing.T) {
	ts := newTestServer(t)
	results := batchOf(t, ts, batchBody("org", "create", `{}`, `[]`, `null`))
	for _, r := range results {
		if r.Status != BatchError || r.Error == nil {
			t.Errorf("result = %+v, want an error", r)
		}
	}
	if n := ts.b.writeCalls(); n != 0 {
		t.Errorf("Write called %d times, want 0", n)
	}
}

func TestBatchEnvelopeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		field      string
	}{
		{"not JSON", `{"kind":`, 400, "(body)"},
		{"unknown member", `{"kind":"org","records":[],"extra":1}`, 400, "(body)"},
		{"trailing data", batchBody("org", "create", orgJSON("o1", commA)) + `[]`, 400, "(body)"},
		{"unknown kind", batchBody("widget", "create", `{}`), 400, "kind"},
		{"bad mode", batchBody("org", "replace", orgJSON("o1", commA)), 400, "mode"},
		{"no records", batchBody("org", "create"), 400, "records"},
		{"too many records", batchBody("org", "create", `{}`, `{}`, `{}`, `{}`), 413, "records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *Config) { c.MaxBatch = 3 })
			if p := problemOf(t, ts.do("POST", "/v1/batch", tt.body), tt.status); p.Field != tt.field {
				t.Errorf("field = %q, want %q (%+v)", p.Field, tt.field, p)
			}
		})
	}
}

func TestBatchFillsCommunityFromOrg(t *testing.T) {
	ts := newTestServer(t)
	batchOf(t, ts, batchBody("org", "create", orgJSON("o1", commB)))
	results := batchOf(t, ts, batchBody("activity", "", activityJSON("a1", "o1", ""), activityJSON("a2", "ghost", "")))
	if results[0].Status != BatchCreated || results[1].Status != BatchError || results[1].Error.Field != "org" {
		t.Fatalf("results = %+v, want created and an org error", results)
	}
	st := storedOf(t, ts.do("GET", "/v1/records/activity/a1", ""))
	if got := recordOf(t, st)["community"]; got != commB {
		t.Errorf("community = %v, want %s", got, commB)
	}
}

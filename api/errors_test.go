package api

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"fedsync/registry"
)

func TestErrorAnswers(t *testing.T) {
	big := orgWith("o1", commA, "name", `"`+strings.Repeat("长", registry.MaxRecordBytes/3+1)+`"`)
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string // "" when the problem names no field
		detail                   string // a substring of the detail
	}{
		{"invalid JSON", "POST", "/v1/records/org", `{"id":"o1",`, 400, "(record)", "JSON"},
		{"trailing data", "POST", "/v1/records/org", orgJSON("o1", commA) + `{}`, 400, "(record)", ""},
		{"unknown field", "POST", "/v1/records/org", orgWith("o1", commA, "colour", `"red"`), 400, "colour", "colour"},
		{"wrong type", "POST", "/v1/records/org", orgWith("o1", commA, "members", `"many"`), 400, "members", ""},
		{"outside area", "POST", "/v1/records/org", orgJSON("o1", commOutside), 422, "community", "community " + commOutside + " lies outside this node's area " + string(testStreet)},
		{"unknown community code", "POST", "/v1/records/org", orgJSON("o1", commUnknown), 422, "community", commUnknown},
		{"malformed community", "POST", "/v1/records/org", orgJSON("o1", "2101"), 422, "community", ""},
		{"missing community", "POST", "/v1/records/org", orgWith("o1", commA, "community", `""`), 422, "community", ""},
		{"bad id", "POST", "/v1/records/org", orgJSON("a/b", commA), 422, "id", ""},
		{"record too large", "POST", "/v1/records/org", big, 413, "", "bytes"},
		{"unknown kind", "POST", "/v1/records/widget", orgJSON("o1", commA), 404, "kind", `"widget"`},
		{"unknown kind get", "GET", "/v1/records/widget/x", "", 404, "kind", `"widget"`},
		{"unknown kind list", "GET", "/v1/records/widget", "", 404, "kind", `"widget"`},
		{"limit not a number", "GET", "/v1/records/org?limit=ten", "", 400, "limit", "ten"},
		{"limit too big", "GET", "/v1/records/org?limit=1001", "", 400, "limit", ""},
		{"limit zero", "GET", "/v1/records/org?limit=0", "", 400, "limit", ""},
		{"bad list area", "GET", "/v1/records/org?area=21x", "", 400, "area", ""},
		{"unknown filter", "GET", "/v1/records/org?colour=red", "", 400, "colour", "not a field of org"},
		{"unknown enum filter", "GET", "/v1/records/org?category=bogus", "", 400, "category", "bogus"},
		{"repeated filter", "GET", "/v1/records/org?name=a&name=b", "", 400, "name", ""},
		{"bad origin", "GET", "/v1/records/org/o1?origin=nope", "", 400, "origin", ""},
		{"year not a number", "GET", "/v1/areas/" + commA + "/summary?year=soon", "", 400, "year", "soon"},
		{"year too early", "GET", "/v1/areas/" + commA + "/summary?year=1999", "", 400, "year", ""},
		{"year too late", "GET", "/v1/areas/" + commA + "/summary?year=2101", "", 400, "year", ""},
		{"bad summary area", "GET", "/v1/areas/123/summary", "", 400, "code", ""},
		{"summary outside area", "GET", "/v1/areas/" + commOutside + "/summary", "", 404, "", "outside"},
		{"not found", "GET", "/v1/records/org/none", "", 404, "", `"none"`},
		{"unknown route", "GET", "/v2/things", "", 404, "", "/v2/things"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t)
			p := problemOf(t, ts.do(tt.method, tt.path, tt.body), tt.status)
			if p.Field != tt.field {
				t.Errorf("field = %q, want %q (problem %+v)", p.Field, tt.field, p)
			}
			if tt.field != "" && p.Rule == "" {
				t.Errorf("problem names field %q but no rule", p.Field)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.detail)
			}
			if got, want := p.Instance, strings.SplitN(tt.path, "?", 2)[0]; got != want {
				t.Errorf("instance = %q, want %q", got, want)
			}
		})
	}
}

func TestUnknownEnum(t *testing.T) {
	if rec, err := registry.Decode(registry.KindOrg, []byte(orgWith("o1", commA, "category", `"bogus"`))); err == nil && rec.Validate() == nil {
		t.Skip("registry does not check enum values yet")
	}
	ts := newTestServer(t)
	rec := ts.do("POST", "/v1/records/org", orgWith("o1", commA, "category", `"bogus"`))
	if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 400 or 422; body %s", rec.Code, rec.Body)
	}
	if p := problemOf(t, rec, rec.Code); p.Field != "category" {
		t.Errorf("field = %q, want category", p.Field)
	}
}

func TestBodyTooLarge(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 100 })
	p := problemOf(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusRequestEntityTooLarge)
	if !strings.Contains(p.Detail, "100 bytes") {
		t.Errorf("detail = %q, want the limit", p.Detail)
	}
	problemOf(t, ts.do("POST", "/v1/batch", `{"kind":"org","records":[`+orgJSON("o1", commA)+`]}`), http.StatusRequestEntityTooLarge)
	if n := ts.b.writeCalls(); n != 0 {
		t.Errorf("Write called %d times, want 0", n)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do("PATCH", "/v1/records/org/o1", "{}")
	p := problemOf(t, rec, http.StatusMethodNotAllowed)
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(p.Detail, "PATCH") {
		t.Errorf("Allow = %q, detail = %q; want PUT allowed and PATCH named", allow, p.Detail)
	}
}

func TestWriteUnavailable(t *testing.T) {
	ts := newTestServer(t)
	ts.b.writeErr = errors.New("node is not the raft leader")
	rec := ts.do("POST", "/v1/records/org", orgJSON("o1", commA))
	p := problemOf(t, rec, http.StatusServiceUnavailable)
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2", got)
	}
	if !strings.Contains(p.Detail, "not the raft leader") {
		t.Errorf("detail = %q, want the cause", p.Detail)
	}
	rec = ts.do("POST", "/v1/batch", `{"kind":"org","records":[`+orgJSON("o1", commA)+`]}`)
	problemOf(t, rec, http.StatusServiceUnavailable)
	problemOf(t, ts.do("DELETE", "/v1/records/org/o1", ""), http.StatusServiceUnavailable)
}

func TestPanicBecomesProblem(t *testing.T) {
	ts := newTestServer(t)
	ts.b.panicGet = true
	p := problemOf(t, ts.do("GET", "/v1/records/org/o1", ""), http.StatusInternalServerError)
	if p.Title != "internal error" {
		t.Errorf("title = %q, want internal error", p.Title)
	}
	if !strings.Contains(ts.logs.String(), "panic in handler") {
		t.Errorf("log does not record the panic:\n%s", ts.logs)
	}
}

func TestRequestLog(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusCreated)
	for _, want := range []string{`"method":"POST"`, `"route":"POST /v1/records/{kind}"`, `"status":201`, `"duration":`} {
		if !strings.Contains(ts.logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, ts.logs)
		}
	}
}

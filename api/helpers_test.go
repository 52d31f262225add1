package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fedsync/area"
	"fedsync/storage"
)

// Areas of the tests: a street of Shenyang's 和平区 and codes around it.
const (
	testStreet  = area.Code("210102001000") // 浑河湾街道
	commA       = "210102001002"            // 水源地社区, in testStreet
	commB       = "210102001003"            // 砂阳南社区, in testStreet
	commUnknown = "210102001001"            // well-formed, in testStreet, not in the data
	commOutside = "210103005003"            // 永顺社区, another district
	testCounty  = area.Code("210102000000") // 和平区, testStreet's county
	otherStreet = area.Code("210102002000") // another street of testCounty
)

// testServer is a Server over a fakeBackend, driven through its Handler.
type testServer struct {
	token string // an admin token of testStreet, sent by do
	srv   *Server
	b     *fakeBackend
	reg   *prometheus.Registry
	logs  *bytes.Buffer
}

// newTestServer builds a server for testStreet; opts adjust its config.
func newTestServer(t testing.TB, opts ...func(*Config)) *testServer {
	reg := prometheus.NewRegistry()
	logs := &bytes.Buffer{}
	cfg := DefaultConfig()
	cfg.Registry, cfg.Gatherer = reg, reg
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	cfg.Now = func() time.Time { return time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC) }
	for _, o := range opts {
		o(&cfg)
	}
	b := newFakeBackend(testStreet)
	if cfg.Addr == "county" { // newCountyServer's marker
		b = newFakeBackend(testCounty)
	}
	srv, err := New(cfg, b)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := &testServer{srv: srv, b: b, reg: reg, logs: logs}
	if !cfg.ACLDisabled {
		ts.token = ts.newToken(t, RoleAdmin, b.area)
	}
	return ts
}

// newToken puts a token of role and area into the fake and returns its
// secret.
func (ts *testServer) newToken(t testing.TB, role storage.Role, a area.Code, adjust ...func(*storage.Token)) string {
	t.Helper()
	tok, secret, err := newToken(role, a, "test "+string(role), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range adjust {
		f(&tok)
	}
	if err := ts.b.ApplyACL(context.Background(), storage.ACLOp{Op: storage.ACLCreate, Token: tok}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// do sends one request to the handler and returns the recorded answer.
func (ts *testServer) do(method, path, body string) *httptest.ResponseRecorder {
	return ts.doAs(ts.token, method, path, body)
}

// doAs is do with the given token secret ("" sends none).
func (ts *testServer) doAs(secret, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// wantStatus fails the test unless rec has status want.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d; body: %s", rec.Code, want, rec.Body)
	}
}

// problemOf checks that rec is a problem+json answer with status want and
// returns it decoded.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, want int) Problem {
	t.Helper()
	wantStatus(t, rec, want)
	if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, ProblemContentType)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("decode problem %s: %v", rec.Body, err)
	}
	if p.Status != want || p.Type != "about:blank" || p.Title == "" || p.Instance == "" {
		t.Fatalf("problem = %+v, want status %d, type about:blank, a title and an instance", p, want)
	}
	return p
}

// storedOf decodes a storage.Stored answer.
func storedOf(t *testing.T, rec *httptest.ResponseRecorder) storage.Stored {
	t.Helper()
	var st storage.Stored
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("decode stored %s: %v", rec.Body, err)
	}
	return st
}

// recordOf decodes the record inside a Stored into a field map.
func recordOf(t *testing.T, st storage.Stored) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(st.Body, &m); err != nil {
		t.Fatalf("decode record %s: %v", st.Body, err)
	}
	return m
}

// orgJSON is a valid org of the given community; id may be empty.
func orgJSON(id, community string) string {
	return fmt.Sprintf(`{"id":%q,"community":%q,"name":"邻里互助队","category":"mutual_aid",`+
		`"tier":"filed","founded":"2021-03-15","members":12,"charter":true,"status":"active"}`, id, community)
}

// orgWith is orgJSON with one field replaced by a raw JSON value.
func orgWith(id, community, field, raw string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(orgJSON(id, community)), &m); err != nil {
		panic(err)
	}
	m[field] = json.RawMessage(raw)
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// activityJSON is an activity of org; community may be empty.
func activityJSON(id, org, community string) string {
	return fmt.Sprintf(`{"id":%q,"org":%q,"community":%q,"theme":"neighbour_watch","type":"讲座",`+
		`"date":"2022-05-01","participants":40}`, id, org, community)
}

// newRequest is an httptest request with a JSON body (when not empty).
func newRequest(method, path, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// serve sends req to the handler as is.
func (ts *testServer) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(rec, req)
	return rec
}

package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// newCountyServer is newTestServer for the county testCounty.
func newCountyServer(t testing.TB, opts ...func(*Config)) *testServer {
	return newTestServer(t, append([]func(*Config){func(c *Config) { c.Addr = "county" }}, opts...)...)
}

func platformJSON(id string, a area.Code) string {
	return `{"id":"` + id + `","area":"` + string(a) + `","name":"孵化中心","type":"incubator","founded":"2020-06-01"}`
}

func TestTokenRequired(t *testing.T) {
	ts := newTestServer(t)
	viewer := ts.newToken(t, RoleViewer, testStreet)
	expired := ts.newToken(t, RoleViewer, testStreet, func(tok *storage.Token) {
		tok.Expires = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC) // before the server's clock
	})
	revoked := ts.newToken(t, RoleOperator, testStreet)
	rt, _ := ts.b.TokenBySecret(revoked)
	wantStatus(t, ts.do("DELETE", "/v1/acl/tokens/"+rt.Accessor, ""), http.StatusNoContent)

	tests := []struct{ name, secret, title string }{
		{"missing", "", "token required"},
		{"unknown", "fsk_nosuchtoken", "unknown token"},
		{"revoked", revoked, "token revoked"},
		{"expired", expired, "token expired"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/v1/status", "/v1/records/org", "/metrics"} {
			rec := ts.doAs(tt.secret, "GET", path, "")
			p := problemOf(t, rec, http.StatusUnauthorized)
			if p.Title != tt.title || !strings.Contains(p.Detail, "Authorization: Bearer") || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s token on %s: %+v", tt.name, path, p)
			}
		}
	}
	// A write with a refused token changes nothing.
	problemOf(t, ts.doAs(revoked, "POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusUnauthorized)
	if n := ts.b.writeCalls(); n != 0 {
		t.Errorf("refused requests reached the backend %d times", n)
	}
	wantStatus(t, ts.doAs(viewer, "GET", "/v1/status", ""), http.StatusOK)
	wantStatus(t, ts.doAs("", "GET", "/healthz", ""), http.StatusOK)
	// X-Fedsync-Token is accepted too.
	r2 := newRequest("GET", "/v1/status", "")
	r2.Header.Set(HeaderToken, viewer)
	wantStatus(t, ts.serve(r2), http.StatusOK)
}

func TestBootstrapOnce(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ACLDisabled = false })
	ts.b.tokens = nil                                                  // a fresh node
	wantStatus(t, ts.doAs("", "GET", "/v1/status", ""), http.StatusOK) // open while the server holds no token
	problemOf(t, ts.doAs("", "GET", "/v1/records/org", ""), http.StatusUnauthorized)
	rec := ts.doAs("", "POST", "/v1/acl/bootstrap", "")
	wantStatus(t, rec, http.StatusCreated)
	var got TokenCreated
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Role != RoleAdmin || got.Area != testStreet || !strings.HasPrefix(got.Secret, SecretPrefix) {
		t.Fatalf("bootstrap answer %+v %v", got, err)
	}
	if strings.Contains(rec.Body.String(), "sha256") {
		t.Errorf("bootstrap answer shows the secret's hash: %s", rec.Body)
	}
	wantStatus(t, ts.doAs(got.Secret, "GET", "/v1/acl/tokens", ""), http.StatusOK)
	problemOf(t, ts.doAs("", "GET", "/v1/status", ""), http.StatusUnauthorized)
	p := problemOf(t, ts.doAs("", "POST", "/v1/acl/bootstrap", ""), http.StatusConflict)
	if p.Title != "ACL bootstrap already done" {
		t.Errorf("second bootstrap: %+v", p)
	}
	if len(ts.b.tokens) != 1 {
		t.Errorf("tokens after a refused bootstrap: %d", len(ts.b.tokens))
	}
}

// TestOperatorAreas: an operator writes only records inside its area; a
// viewer writes nothing. Refused writes never reach the backend.
func TestOperatorAreas(t *testing.T) {
	ts := newTestServer(t)
	opA := ts.newToken(t, RoleOperator, commA)
	viewer := ts.newToken(t, RoleViewer, testStreet)
	wantStatus(t, ts.doAs(opA, "POST", "/v1/records/org", orgJSON("a1", commA)), http.StatusCreated)
	before := ts.b.writeCalls()
	p := problemOf(t, ts.doAs(opA, "POST", "/v1/records/org", orgJSON("b1", commB)), http.StatusForbidden)
	opAcc, _ := ts.b.TokenBySecret(opA)
	if p.Rule != "area" || p.Accessor != opAcc.Accessor || p.TokenArea != commA || !strings.Contains(p.Detail, commB) {
		t.Errorf("operator of %s writing in %s: %+v", commA, commB, p)
	}
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("b1", commB)), http.StatusCreated)
	before++
	// Moving b1 into A, deleting it, or a batch in B: all refused.
	problemOf(t, ts.doAs(opA, "PUT", "/v1/records/org/b1", orgJSON("b1", commA)), http.StatusForbidden)
	problemOf(t, ts.doAs(opA, "DELETE", "/v1/records/org/b1", ""), http.StatusForbidden)
	rec := ts.doAs(opA, "POST", "/v1/batch", `{"kind":"org","records":[`+orgJSON("b2", commB)+`]}`)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"status":403`) {
		t.Errorf("batch record in another area: %s", rec.Body)
	}
	p = problemOf(t, ts.doAs(viewer, "POST", "/v1/records/org", orgJSON("a2", commA)), http.StatusForbidden)
	if p.Rule != "role" || !strings.Contains(p.Detail, "operator") {
		t.Errorf("viewer writing: %+v", p)
	}
	problemOf(t, ts.doAs(viewer, "POST", "/v1/batch", `{"kind":"org","records":[`+orgJSON("a2", commA)+`]}`), http.StatusForbidden)
	problemOf(t, ts.doAs(viewer, "DELETE", "/v1/records/org/a1", ""), http.StatusForbidden)
	if n := ts.b.writeCalls(); n != before {
		t.Errorf("refused writes reached the backend: %d calls, want %d", n, before)
	}
	if _, err := ts.b.Get("org", "", "b2"); err == nil {
		t.Errorf("refused batch record stored")
	}
}

// TestOperatorOfAnotherStreet: at a county, an operator of one street
// writing a record of another street is refused.
func TestOperatorOfAnotherStreet(t *testing.T) {
	ts := newCountyServer(t)
	op := ts.newToken(t, RoleOperator, testStreet)
	wantStatus(t, ts.doAs(op, "POST", "/v1/records/platform", platformJSON("p1", testStreet)), http.StatusCreated)
	p := problemOf(t, ts.doAs(op, "POST", "/v1/records/platform", platformJSON("p2", otherStreet)), http.StatusForbidden)
	if p.Rule != "area" || p.TokenArea != testStreet || !strings.Contains(p.Detail, string(otherStreet)) {
		t.Errorf("operator of %s writing in %s: %+v", testStreet, otherStreet, p)
	}
	if _, err := ts.b.Get("platform", "", "p2"); err == nil {
		t.Errorf("refused record stored")
	}
}

func TestViewerSubtree(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("a1", commA)), http.StatusCreated)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("b1", commB)), http.StatusCreated)
	v := ts.newToken(t, RoleViewer, commA)
	wantStatus(t, ts.doAs(v, "GET", "/v1/records/org/a1", ""), http.StatusOK)
	for _, path := range []string{"/v1/records/org/b1", "/v1/records/org?area=" + commB, "/v1/areas/" + commB + "/summary",
		"/v1/areas/" + string(testStreet) + "/summary", "/v1/audit?origin=" + string(testStreet)} {
		if p := problemOf(t, ts.doAs(v, "GET", path, ""), http.StatusForbidden); p.Rule != "area" {
			t.Errorf("viewer of %s reading %s: %+v", commA, path, p)
		}
	}
	rec := ts.doAs(v, "GET", "/v1/records/org", "")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), "b1") || !strings.Contains(rec.Body.String(), "a1") {
		t.Errorf("viewer's list is not confined to its area: %s", rec.Body)
	}
	problemOf(t, ts.doAs(v, "POST", "/v1/verify", ""), http.StatusForbidden)
	problemOf(t, ts.doAs(v, "GET", "/v1/acl/tokens", ""), http.StatusForbidden)
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.RatePerSecond, c.RateBurst = 1, 3 })
	for range 3 {
		wantStatus(t, ts.do("GET", "/v1/status", ""), http.StatusOK)
	}
	rec := ts.do("GET", "/v1/status", "")
	p := problemOf(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" || p.Rule != "rate" || !strings.Contains(p.Detail, "rate_per_second") {
		t.Errorf("429: %+v, Retry-After %q", p, rec.Header().Get("Retry-After"))
	}
	// Another token has its own bucket.
	wantStatus(t, ts.doAs(ts.newToken(t, RoleViewer, testStreet), "GET", "/v1/status", ""), http.StatusOK)
}

func TestForgedAttributionRefused(t *testing.T) {
	ts := newTestServer(t)
	r := newRequest("POST", "/v1/records/org", orgJSON("o1", commA))
	r.Header.Set("Authorization", "Bearer "+ts.token)
	r.Header.Set("X-Fedsync-Accessor", "0123456789abcdef0123456789abcdef")
	if p := problemOf(t, ts.serve(r), http.StatusBadRequest); p.Field != "X-Fedsync-Accessor" {
		t.Errorf("attribution header: %+v", p)
	}
	for _, f := range []string{"accessor", "token_area", "audit"} {
		p := problemOf(t, ts.do("POST", "/v1/records/org", orgWith("o1", commA, f, `"x"`)), http.StatusBadRequest)
		if p.Field != f || p.Rule != "attribution is set by the server" {
			t.Errorf("member %s: %+v", f, p)
		}
	}
	if p := problemOf(t, ts.do("POST", "/v1/batch", `{"kind":"org","records":[],"audit":{}}`), http.StatusBadRequest); p.Field != "audit" {
		t.Errorf("batch with audit member: %+v", p)
	}
	problemOf(t, ts.do("POST", "/v1/records/audit", `{}`), http.StatusNotFound)
	problemOf(t, ts.do("POST", "/v1/batch", `{"kind":"audit","records":[{}]}`), http.StatusBadRequest)
	if n := ts.b.writeCalls(); n != 0 {
		t.Errorf("forged writes reached the backend %d times", n)
	}
}

func TestWritesAreAttributed(t *testing.T) {
	ts := newTestServer(t)
	op := ts.newToken(t, RoleOperator, testStreet)
	r := newRequest("POST", "/v1/records/org", orgJSON("o1", commA))
	r.Header.Set("Authorization", "Bearer "+op)
	r.RemoteAddr = "192.0.2.7:41000"
	wantStatus(t, ts.serve(r), http.StatusCreated)
	wantStatus(t, ts.doAs(op, "POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusOK) // unchanged: no audit
	if len(ts.b.audits) != 1 {
		t.Fatalf("audits = %+v, want 1", ts.b.audits)
	}
	a := ts.b.audits[0]
	tok, _ := ts.b.TokenBySecret(op)
	if a.attr.Accessor != tok.Accessor || a.attr.Role != RoleOperator || a.attr.Remote != "192.0.2.7:41000" ||
		a.attr.Route != "POST /v1/records/{kind}" || a.attr.Name != "test operator" || a.first != 1 || a.last != 1 {
		t.Errorf("attribution %+v", a)
	}
	rec := ts.doAs(op, "GET", "/v1/audit", "")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), tok.Accessor) {
		t.Errorf("GET /v1/audit: %s", rec.Body)
	}
}

func TestTokenManagement(t *testing.T) {
	ts := newCountyServer(t)
	rec := ts.do("POST", "/v1/acl/tokens", `{"role":"admin","area":"`+string(testStreet)+`","description":"street admin","ttl":"24h"}`)
	wantStatus(t, rec, http.StatusCreated)
	var sa TokenCreated
	_ = json.Unmarshal(rec.Body.Bytes(), &sa)
	if sa.Expires.IsZero() || sa.Secret == "" {
		t.Fatalf("created: %s", rec.Body)
	}
	// The street admin may not mint tokens of another street, nor of the
	// county; a token outside the node is refused; bad fields are named.
	problemOf(t, ts.doAs(sa.Secret, "POST", "/v1/acl/tokens", `{"role":"viewer","area":"`+string(otherStreet)+`"}`), http.StatusForbidden)
	problemOf(t, ts.doAs(sa.Secret, "POST", "/v1/acl/tokens", `{"role":"viewer","area":"`+string(testCounty)+`"}`), http.StatusForbidden)
	for body, field := range map[string]string{
		`{"role":"king","area":"210102001000"}`:               "role",
		`{"role":"viewer","area":"210103001000"}`:             "area",
		`{"role":"viewer","area":"210102001000","ttl":"-1h"}`: "ttl",
	} {
		if p := problemOf(t, ts.do("POST", "/v1/acl/tokens", body), http.StatusUnprocessableEntity); p.Field != field {
			t.Errorf("%s: %+v", body, p)
		}
	}
	problemOf(t, ts.do("POST", "/v1/acl/tokens", `{"role":"viewer","area":"210102001000","secret":"x"}`), http.StatusBadRequest)
	rec = ts.doAs(sa.Secret, "GET", "/v1/acl/tokens", "")
	var list []storage.Token
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].Accessor != sa.Accessor {
		t.Errorf("street admin's list: %s", rec.Body)
	}
	wantStatus(t, ts.do("DELETE", "/v1/acl/tokens/"+sa.Accessor, ""), http.StatusNoContent)
	problemOf(t, ts.doAs(sa.Secret, "GET", "/v1/status", ""), http.StatusUnauthorized)
	problemOf(t, ts.do("DELETE", "/v1/acl/tokens/nosuch", ""), http.StatusNotFound)
}

func TestACLDisabled(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.ACLDisabled = true })
	wantStatus(t, ts.doAs("", "POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusCreated)
	if len(ts.b.audits) != 1 || ts.b.audits[0].attr.Role != storage.RoleAnonymous {
		t.Fatalf("audits with ACLs off: %+v", ts.b.audits)
	}
	wantStatus(t, ts.doAs("", "GET", "/metrics", ""), http.StatusOK)
}

func TestMetricsOpen(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MetricsOpen = true })
	wantStatus(t, ts.doAs("", "GET", "/metrics", ""), http.StatusOK)
	problemOf(t, ts.doAs("", "GET", "/v1/status", ""), http.StatusUnauthorized)
}

// TestOperatorRoutesNeedAdmin: the raft operator and snapshot routes call
// RequireRole(RoleAdmin).
func TestOperatorRoutesNeedAdmin(t *testing.T) {
	ts := newTestServer(t)
	op := ts.newToken(t, RoleOperator, testStreet)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/operator/raft/peers"}, {"DELETE", "/v1/operator/raft/peers/x"}, {"GET", "/v1/snapshot"},
	} {
		if p := problemOf(t, ts.doAs(op, rt.method, rt.path, ""), http.StatusForbidden); p.Rule != "role" {
			t.Errorf("operator on %s %s: %+v", rt.method, rt.path, p)
		}
		problemOf(t, ts.doAs("", rt.method, rt.path, ""), http.StatusUnauthorized)
		if rec := ts.do(rt.method, rt.path, ""); rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized {
			t.Errorf("admin on %s %s: %d", rt.method, rt.path, rec.Code)
		}
	}
}

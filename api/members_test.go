package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

// memberBackend is a fakeBackend that also serves membership.
type memberBackend struct {
	*fakeBackend
	members []Member
	joined  []string
	left    bool
	ops     []string
	err     error
}

func (m *memberBackend) Members() ([]Member, error) { return m.members, m.err }
func (m *memberBackend) Join(addrs []string) (int, error) {
	m.joined = append(m.joined, addrs...)
	return len(addrs), m.err
}
func (m *memberBackend) Leave() error { m.left = true; return m.err }
func (m *memberBackend) ForceLeave(name string) error {
	if name != "gone" {
		return fmt.Errorf("force-leave %q: %w", name, ErrMemberNotFound)
	}
	return m.err
}
func (m *memberBackend) Keyring() (Keyring, error) {
	return Keyring{Server: "s1", Primary: "aa", Keys: []string{"aa"}}, m.err
}
func (m *memberBackend) KeyringChange(op, key string) (Keyring, error) {
	m.ops = append(m.ops, op+" "+key)
	if op == "remove" && key == "primary" {
		return Keyring{}, fmt.Errorf("%w: cannot remove the primary gossip key", ErrMemberRefused)
	}
	return Keyring{Server: "s1", Primary: "aa", Keys: []string{"aa", "bb"}}, m.err
}

func (m *memberBackend) FederationKeyring(context.Context) (FederationKeyring, error) {
	k, _ := m.Keyring()
	return FederationKeyring{Servers: []KeyringAnswer{{Server: "s1", Keyring: &k}}, NoAnswer: []string{"s9"}}, m.err
}
func (m *memberBackend) FederationKeyringChange(_ context.Context, op, key string) (FederationKeyring, error) {
	m.ops = append(m.ops, "federation "+op+" "+key)
	if op == "use" && key == "missing" {
		return FederationKeyring{}, fmt.Errorf("%w: key is not installed on s2", ErrMemberRefused)
	}
	return FederationKeyring{Servers: []KeyringAnswer{{Server: "s1", Error: "refused: keyring changes for X"}}}, m.err
}

func (m *memberBackend) KeyringChangeFromServer(peer *tls.ConnectionState, op, key string) (Keyring, error) {
	m.ops = append(m.ops, "from server "+op+" "+key)
	return Keyring{Server: "s1"}, m.err
}

func (m *memberBackend) FederationForceLeave(_ context.Context, name string) (FederationResult, error) {
	if err := m.ForceLeave(name); err != nil {
		return FederationResult{}, err
	}
	m.ops = append(m.ops, "federation force-leave "+name)
	return FederationResult{Servers: []ServerResult{{Server: "s1", Result: "left"}, {Server: "s2", Error: "alive here"}}}, nil
}

func newMemberServer(t *testing.T) (*memberBackend, func(method, path, body string) *httptest.ResponseRecorder) {
	mb, do, _ := newMemberServerWith(t)
	return mb, do
}

// newMemberServerWith also returns a function sending a request with the
// given token secret.
func newMemberServerWith(t *testing.T) (*memberBackend, func(method, path, body string) *httptest.ResponseRecorder, func(secret, method, path string) int) {
	ts := newTestServer(t)
	mb := &memberBackend{fakeBackend: ts.b}
	for _, m := range []struct {
		name string
		code area.Code
	}{{"city-1", "210100000000"}, {"county-1", "210102000000"}, {"street-1", testStreet}, {"other", "210200000000"}} {
		mb.members = append(mb.members, Member{Name: m.name, Area: m.code, Level: m.code.Level().String(), Status: "alive", Since: time.Unix(0, 0)})
	}
	srv, err := New(ts.srv.cfg, mb)
	if err != nil {
		t.Fatal(err)
	}
	send := func(secret, method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	viewer := ts.newToken(t, RoleViewer, testStreet)
	return mb, func(method, path, body string) *httptest.ResponseRecorder { return send(ts.token, method, path, body) },
		func(secret, method, path string) int {
			if secret == "viewer" {
				secret = viewer
			}
			return send(secret, method, path, "").Code
		}
}

// TestMembershipNeedsAdmin: every membership route refuses a viewer's
// token (403) and a request without one (401), and changes nothing.
func TestMembershipNeedsAdmin(t *testing.T) {
	mb, _, as := newMemberServerWith(t)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/members"}, {"POST", "/v1/members/join"}, {"POST", "/v1/members/leave"},
		{"POST", "/v1/members/force-leave/gone"}, {"GET", "/v1/keyring"}, {"POST", "/v1/keyring/use"},
		{"GET", "/v1/federation/keyring"}, {"POST", "/v1/federation/keyring/install"},
		{"POST", "/v1/federation/force-leave/gone"},
	} {
		if code := as("viewer", rt.method, rt.path); code != http.StatusForbidden {
			t.Errorf("%s %s as a viewer: %d, want 403", rt.method, rt.path, code)
		}
		if code := as("", rt.method, rt.path); code != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", rt.method, rt.path, code)
		}
	}
	if mb.left || len(mb.ops) != 0 || len(mb.joined) != 0 {
		t.Errorf("refused requests reached the backend: left=%v ops=%v joined=%v", mb.left, mb.ops, mb.joined)
	}
}

func TestMembershipRoutes(t *testing.T) {
	mb, do := newMemberServer(t)
	names := func(rec *httptest.ResponseRecorder) string {
		var ms []Member
		if err := json.Unmarshal(rec.Body.Bytes(), &ms); err != nil {
			t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return strings.Join(out, ",")
	}
	if got := names(do("GET", "/v1/members", "")); got != "city-1,county-1,street-1,other" {
		t.Errorf("all members: %s", got)
	}
	if got := names(do("GET", "/v1/members?area=210100000000", "")); got != "city-1,county-1,street-1" {
		t.Errorf("members within the city: %s", got)
	}
	if got := names(do("GET", "/v1/members?area=210100000000&level=county", "")); got != "county-1" {
		t.Errorf("counties within the city: %s", got)
	}
	mb.members[3].Status = "dead"
	if got := names(do("GET", "/v1/members?status=dead", "")); got != "other" {
		t.Errorf("dead members: %s", got)
	}
	mb.members[3].Status = "alive"
	for _, bad := range []string{"/v1/members?level=village", "/v1/members?area=21", "/v1/members?status=suspect"} {
		if rec := do("GET", bad, ""); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, rec.Code)
		}
	}
	if rec := do("POST", "/v1/members/join", `{"addrs":["10.0.0.1:8703"]}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"joined":1`) {
		t.Errorf("join: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{`{"addrs":[]}`, `{"addrs":["a"],"x":1}`, `nope`, `{"addrs":["a"]} {}`} {
		if rec := do("POST", "/v1/members/join", body); rec.Code != http.StatusBadRequest {
			t.Errorf("join %s: %d, want 400", body, rec.Code)
		}
	}
	if len(mb.joined) != 1 {
		t.Errorf("refused joins reached the backend: %v", mb.joined)
	}
	if rec := do("POST", "/v1/members/force-leave/gone", ""); rec.Code != http.StatusNoContent {
		t.Errorf("force-leave: %d", rec.Code)
	}
	if rec := do("POST", "/v1/members/force-leave/unknown", ""); rec.Code != http.StatusNotFound {
		t.Errorf("force-leave unknown: %d, want 404", rec.Code)
	}
	if rec := do("POST", "/v1/keyring/use", `{"key":"k"}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"bb"`) {
		t.Errorf("keyring use: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/v1/keyring/remove", `{"key":"primary"}`); rec.Code != http.StatusConflict {
		t.Errorf("removing the primary: %d, want 409", rec.Code)
	}
	for _, path := range []string{"/v1/keyring/rotate", "/v1/keyring/use"} {
		if rec := do("POST", path, `{}`); rec.Code != http.StatusBadRequest {
			t.Errorf("%s without a valid op or key: %d, want 400", path, rec.Code)
		}
	}
	if rec := do("GET", "/v1/keyring", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"primary":"aa"`) {
		t.Errorf("keyring: %d %s", rec.Code, rec.Body)
	}
	if rec := do("GET", "/v1/federation/keyring", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"no_answer":["s9"]`) {
		t.Errorf("federation keyring: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/v1/federation/keyring/install", `{"key":"k"}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"error":"refused`) {
		t.Errorf("federation keyring install: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/v1/federation/keyring/use", `{"key":"missing"}`); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "s2") {
		t.Errorf("federation keyring use of a missing key: %d %s, want 409 naming s2", rec.Code, rec.Body)
	}
	for _, path := range []string{"/v1/federation/keyring/rotate", "/v1/federation/keyring/use"} {
		if rec := do("POST", path, `{}`); rec.Code != http.StatusBadRequest {
			t.Errorf("%s without a valid op or key: %d, want 400", path, rec.Code)
		}
	}
	if rec := do("POST", "/v1/federation/force-leave/gone", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"error":"alive here"`) {
		t.Errorf("federation force-leave: %d %s", rec.Code, rec.Body)
	}
	if rec := do("POST", "/v1/federation/force-leave/unknown", ""); rec.Code != http.StatusNotFound {
		t.Errorf("federation force-leave unknown: %d, want 404", rec.Code)
	}
	// The servers' route needs a client certificate, not a token.
	if rec := do("POST", "/v1/federation/keyring/apply/install", `{"key":"k"}`); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "mutual TLS") {
		t.Errorf("apply without a client certificate: %d %s, want 401", rec.Code, rec.Body)
	}
	if n := len(mb.ops); n == 0 || strings.HasPrefix(mb.ops[n-1], "from server") {
		t.Errorf("a refused apply reached the backend: %v", mb.ops)
	}
	if rec := do("POST", "/v1/members/leave", ""); rec.Code != http.StatusNoContent || !mb.left {
		t.Errorf("leave: %d left=%v", rec.Code, mb.left)
	}
	mb.err = fmt.Errorf("x: %w", ErrGossipOff)
	if rec := do("GET", "/v1/members", ""); rec.Code != http.StatusConflict {
		t.Errorf("gossip off: %d, want 409", rec.Code)
	}
}

func TestMembershipNotServed(t *testing.T) {
	ts := newTestServer(t)
	if rec := ts.do("GET", "/v1/members", ""); rec.Code != http.StatusNotImplemented {
		t.Errorf("a backend without membership: %d, want 501", rec.Code)
	}
}

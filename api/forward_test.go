package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIsWrite(t *testing.T) {
	tests := []struct {
		method, path string
		want         bool
	}{
		{"POST", "/v1/records/org", true},
		{"PUT", "/v1/records/org/x", true},
		{"DELETE", "/v1/records/org/x", true},
		{"POST", "/v1/batch", true},
		{"POST", "/v1/operator/raft/peers", true},
		{"DELETE", "/v1/operator/raft/peers/s2", true},
		{"POST", "/v1/acl/tokens", true},
		{"GET", "/v1/records/org", false},
		{"GET", "/v1/operator/raft/peers", false},
		{"GET", "/v1/snapshot", false},
		{"POST", "/v1/verify", false}, // a local check, not a write
		{"GET", "/v1/status", false},
	}
	for _, tt := range tests {
		if got := IsWrite(httptest.NewRequest(tt.method, tt.path, nil)); got != tt.want {
			t.Errorf("IsWrite(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

// forwardingBackend forwards every write it is offered.
type forwardingBackend struct {
	*fakeBackend
	offered []string
}

func (f *forwardingBackend) ForwardWrite(w http.ResponseWriter, r *http.Request) bool {
	f.offered = append(f.offered, r.Method+" "+r.URL.Path)
	w.WriteHeader(http.StatusTeapot)
	return true
}

// TestWritesOfferedToForwarder: a Backend that forwards gets every write
// before routing and authentication (the leader authenticates), and no
// read.
func TestWritesOfferedToForwarder(t *testing.T) {
	fb := &forwardingBackend{fakeBackend: newFakeBackend(testStreet)}
	cfg := DefaultConfig()
	srv, err := New(cfg, fb)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"POST", "/v1/records/org", http.StatusTeapot},
		{"POST", "/v1/batch", http.StatusTeapot},
		{"GET", "/v1/records/org", http.StatusUnauthorized},
	} {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
	}
	if len(fb.offered) != 2 {
		t.Errorf("offered %v, want the two writes", fb.offered)
	}
}

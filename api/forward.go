package api

import (
	"net/http"
	"strings"
)

// Forwarder is an optional capability of a Backend: a server that is not
// its node's raft leader serves write requests by the leader's API
// (forwarding, DESIGN §5). Reads are always served locally.
type Forwarder interface {
	// ForwardWrite serves r at the leader and reports true; it reports
	// false, having written nothing, when r is to be served here (this
	// server leads, or knows no leader to forward to).
	ForwardWrite(w http.ResponseWriter, r *http.Request) bool
}

// IsWrite reports whether r is a write the leader must serve: a change of
// records (/v1/records/..., /v1/batch), of the raft group
// (/v1/operator/raft/...) or of the node's tokens (/v1/acl/...).
func IsWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
	default:
		return false
	}
	p := r.URL.Path
	return strings.HasPrefix(p, "/v1/records/") || p == "/v1/batch" || strings.HasPrefix(p, "/v1/operator/raft/") || strings.HasPrefix(p, "/v1/acl/")
}

// forwardWrites hands writes to the Backend's Forwarder when it has one.
func (s *Server) forwardWrites(next http.Handler) http.Handler {
	f, ok := s.b.(Forwarder)
	if !ok {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsWrite(r) && f.ForwardWrite(w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

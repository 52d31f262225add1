package api

import (
	"fmt"
	"net/http"
)

// handleHealth answers GET /healthz: the process is up and serving.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// handleStatus answers GET /v1/status with the Backend's Status.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, r, http.StatusOK, s.b.Status())
	return nil
}

// handleSummary answers GET /v1/areas/{code}/summary?year=Y from rollups.
// The area must lie in the node's subtree.
func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) error {
	code, err := areaValue("code", r.PathValue("code"))
	if err != nil {
		return err
	}
	year, err := s.yearParam(r.URL.Query())
	if err != nil {
		return err
	}
	if own := s.b.Area(); !own.Contains(code) {
		return problem(http.StatusNotFound, "area not served",
			"area %s lies outside this node's area %s; ask a node whose area contains it", code, own)
	}
	if err := RequireArea(r, RoleViewer, code, "summary area"); err != nil {
		return err
	}
	sum, err := s.b.Summary(code, year)
	if err != nil {
		return fmt.Errorf("summary of %s for %d: %w", code, year, err)
	}
	writeJSON(w, r, http.StatusOK, sum)
	return nil
}

// handleVerify answers POST /v1/verify with the store's VerifyReport; 200
// whether or not it found problems.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) error {
	if err := RequireArea(r, RoleViewer, s.b.Area(), "verify (reads the whole store) needs the node's area"); err != nil {
		return err
	}
	rep, err := s.b.Verify(r.Context())
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	writeJSON(w, r, http.StatusOK, rep)
	return nil
}

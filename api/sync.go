package api

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"fedsync/area"
	"fedsync/storage"
)

// SyncBackend is what the replica-comparison routes need; a Backend that
// also implements it serves them (node.Node does).
type SyncBackend interface {
	// Digests returns per-origin digests of the origins inside a.
	Digests(a area.Code) ([]storage.OriginDigest, error)
	// ChainAt returns the chain hash of origin's entry seq.
	ChainAt(origin area.Code, seq uint64) ([32]byte, error)
}

// ChainAnswer is the body of GET /v1/sync/chain/{origin}/{seq}.
type ChainAnswer struct {
	Origin area.Code `json:"origin"`
	Seq    uint64    `json:"seq"`
	Chain  string    `json:"chain"` // hex
}

func (s *Server) syncBackend() (SyncBackend, error) {
	sb, ok := s.b.(SyncBackend)
	if !ok {
		return nil, problem(http.StatusNotImplemented, "not supported", "this server does not serve replica digests")
	}
	return sb, nil
}

// handleDigests answers GET /v1/sync/digests?area=CODE: what this server
// holds of every origin inside the area (default: the node's own).
func (s *Server) handleDigests(w http.ResponseWriter, r *http.Request) error {
	sb, err := s.syncBackend()
	if err != nil {
		return err
	}
	a := s.b.Area()
	if v := r.URL.Query().Get("area"); v != "" {
		if a, err = areaValue("area", v); err != nil {
			return err
		}
	}
	if err := RequireArea(r, RoleViewer, a, "digest area"); err != nil {
		return err
	}
	ds, err := sb.Digests(a)
	if err != nil {
		return fmt.Errorf("digests of %s: %w", a, err)
	}
	if ds == nil {
		ds = []storage.OriginDigest{}
	}
	writeJSON(w, r, http.StatusOK, ds)
	return nil
}

// handleChain answers GET /v1/sync/chain/{origin}/{seq}.
func (s *Server) handleChain(w http.ResponseWriter, r *http.Request) error {
	sb, err := s.syncBackend()
	if err != nil {
		return err
	}
	origin, err := areaValue("origin", r.PathValue("origin"))
	if err != nil {
		return err
	}
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		return badParam("seq", "must be a positive integer", r.PathValue("seq"))
	}
	if err := RequireArea(r, RoleViewer, origin, "chain origin"); err != nil {
		return err
	}
	c, err := sb.ChainAt(origin, seq)
	if err != nil {
		return fmt.Errorf("chain of %s at %d: %w", origin, seq, err)
	}
	writeJSON(w, r, http.StatusOK, ChainAnswer{Origin: origin, Seq: seq, Chain: hex.EncodeToString(c[:])})
	return nil
}

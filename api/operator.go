package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"fedsync/storage"
)

// Errors an OperatorBackend wraps so that the API answers with the right
// status.
var (
	// ErrOperatorRefused is returned when an operator request would break
	// a rule of the group (quorum, removing the leader): 409.
	ErrOperatorRefused = errors.New("refused")
	// ErrUnknownPeer is returned when a request names a server that is not
	// in the group: 404.
	ErrUnknownPeer = errors.New("no such server in the raft group")
	// ErrBadPeer is returned when a request's server description is
	// invalid: 400.
	ErrBadPeer = errors.New("invalid server description")
)

// RaftInfo is this server's place in its node's raft group, in GET
// /v1/status as "raft".
type RaftInfo struct {
	State        string    `json:"state"`
	Leader       string    `json:"leader,omitempty"`
	Term         uint64    `json:"term"`
	LastIndex    uint64    `json:"last_index"`
	CommitIndex  uint64    `json:"commit_index"`
	AppliedIndex uint64    `json:"applied_index"`
	LastContact  time.Time `json:"last_contact,omitzero"` // with the leader (followers)
	Voters       int       `json:"voters"`
	Member       bool      `json:"member"` // listed in the group's configuration
	// Advertise, HTTP and Sync are the addresses this server tells the
	// others (raft) and children (sync) to dial.
	Advertise string `json:"advertise"`
	HTTP      string `json:"http,omitempty"`
	Sync      string `json:"sync,omitempty"`
	// Waiting says what the server waits for: to be added, or a leader.
	Waiting string `json:"waiting,omitempty"`
}

// RaftPeer is one server of GET /v1/operator/raft/peers.
type RaftPeer struct {
	Name    string `json:"name"` // the raft server ID
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
	Leader  bool   `json:"leader"`
	HTTP    string `json:"http,omitempty"`
	Sync    string `json:"sync,omitempty"`
	// Live: the peer answers over its API and, when this server leads, the
	// leader's heartbeats to it do not fail.
	Live bool `json:"live"`
	// LastIndex and LastContact are what the peer reports of itself (its
	// /v1/status), when it answered.
	LastIndex   uint64    `json:"last_index,omitempty"`
	LastContact time.Time `json:"last_contact,omitzero"`
	State       string    `json:"state,omitempty"`
	Error       string    `json:"error,omitempty"` // why the peer did not answer
}

// AddVoterRequest is the body of POST /v1/operator/raft/peers.
type AddVoterRequest struct {
	Name string `json:"name"`
	Raft string `json:"raft"` // the new server's raft advertise address
	HTTP string `json:"http,omitempty"`
	Sync string `json:"sync,omitempty"`
}

// OperatorBackend is what the /v1/operator/raft routes need; a Backend
// that also implements it serves them (node.Node does). Changes run on the
// leader: a follower's API forwards them (Forwarder).
type OperatorBackend interface {
	RaftPeers(ctx context.Context) ([]RaftPeer, error)
	AddVoter(ctx context.Context, req AddVoterRequest) error
	// RemovePeer removes a server; without force it refuses (wrapping
	// ErrOperatorRefused) to break quorum or to remove the leader.
	RemovePeer(ctx context.Context, name string, force bool) error
	// ListAddresses records a member's own addresses in the address book
	// (a follower asks with the node's server secret).
	ListAddresses(ctx context.Context, a storage.ServerAddrs) error
}

// SnapshotBackend is what GET /v1/snapshot needs.
type SnapshotBackend interface {
	// SaveSnapshot writes the node's state as one snapshot file to w.
	SaveSnapshot(ctx context.Context, w io.Writer) error
}

// operatorRoutes registers the operator and snapshot routes.
func (s *Server) operatorRoutes() {
	s.handle("GET /v1/operator/raft/peers", s.handlePeers)
	s.handle("POST /v1/operator/raft/peers", s.handleAddVoter)
	s.handle("DELETE /v1/operator/raft/peers/{name}", s.handleRemovePeer)
	s.handle("PUT /v1/operator/raft/addresses", s.handleListAddresses)
	s.handle("GET /v1/snapshot", s.handleSnapshot)
	s.handleOpen("GET /v1/operator/raft/self", s.handleRaftSelf)
}

// RaftSelf is the body of GET /v1/operator/raft/self: who this server is
// in its raft group. The route needs no token, so that a new server, which
// has no tokens before it joins, can be added by its API address
// (`add-voter --server-http`); it tells nothing but names and addresses.
type RaftSelf struct {
	Area   string    `json:"area"`
	Server string    `json:"server"`
	Raft   *RaftInfo `json:"raft"`
}

func (s *Server) handleRaftSelf(w http.ResponseWriter, r *http.Request) error {
	st := s.b.Status()
	ri := st.Raft
	if ri != nil {
		ri = &RaftInfo{State: ri.State, Member: ri.Member, Advertise: ri.Advertise, HTTP: ri.HTTP, Sync: ri.Sync, Waiting: ri.Waiting}
	}
	writeJSON(w, r, http.StatusOK, RaftSelf{Area: string(st.Area), Server: st.Server, Raft: ri})
	return nil
}

// adminBackend is the check of every administrators' route (raft
// operator, snapshot, membership): the request's token has the admin role,
// and the backend serves T; otherwise 501 with missing as the detail.
func adminBackend[T any](s *Server, r *http.Request, missing string) (T, error) {
	var zero T
	if err := RequireRole(r, RoleAdmin); err != nil {
		return zero, err
	}
	b, ok := s.b.(T)
	if !ok {
		return zero, problem(http.StatusNotImplemented, "not supported", "%s", missing)
	}
	return b, nil
}

func (s *Server) operatorBackend(r *http.Request) (OperatorBackend, error) {
	return adminBackend[OperatorBackend](s, r, "this server has no raft operator routes")
}

// operatorProblem maps an OperatorBackend error to its status.
func operatorProblem(err error) error {
	var p *Problem
	switch {
	case err == nil, errors.As(err, &p):
		return err
	case errors.Is(err, ErrOperatorRefused):
		p = problem(http.StatusConflict, "refused", "%v", err)
	case errors.Is(err, ErrUnknownPeer):
		p = problem(http.StatusNotFound, "no such server", "%v", err)
	case errors.Is(err, ErrBadPeer):
		p = problem(http.StatusBadRequest, "invalid server", "%v", err)
	default:
		p = problem(http.StatusServiceUnavailable, "operator request failed", "%v", err)
	}
	p.cause = err
	return p
}

func (s *Server) handlePeers(w http.ResponseWriter, r *http.Request) error {
	ob, err := s.operatorBackend(r)
	if err != nil {
		return err
	}
	peers, err := ob.RaftPeers(r.Context())
	if err != nil {
		return operatorProblem(err)
	}
	writeJSON(w, r, http.StatusOK, peers)
	return nil
}

func (s *Server) handleAddVoter(w http.ResponseWriter, r *http.Request) error {
	ob, err := s.operatorBackend(r)
	if err != nil {
		return err
	}
	var req AddVoterRequest
	if err := decodeSmall(r, &req); err != nil {
		return err
	}
	if err := ob.AddVoter(r.Context(), req); err != nil {
		return operatorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleRemovePeer(w http.ResponseWriter, r *http.Request) error {
	ob, err := s.operatorBackend(r)
	if err != nil {
		return err
	}
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		if force, err = strconv.ParseBool(v); err != nil {
			return badParam("force", "must be true or false", v)
		}
	}
	if err := ob.RemovePeer(r.Context(), r.PathValue("name"), force); err != nil {
		return operatorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleListAddresses(w http.ResponseWriter, r *http.Request) error {
	ob, err := s.operatorBackend(r)
	if err != nil {
		return err
	}
	var a storage.ServerAddrs
	if err := decodeSmall(r, &a); err != nil {
		return err
	}
	if err := ob.ListAddresses(r.Context(), a); err != nil {
		return operatorProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleSnapshot answers GET /v1/snapshot with the snapshot file.
func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) error {
	sb, err := adminBackend[SnapshotBackend](s, r, "this server does not make snapshots")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if err := sb.SaveSnapshot(r.Context(), w); err != nil {
		// Once the body has begun the status is sent; a broken file is
		// caught by its length and checksum on the other end.
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// decodeSmall decodes a small JSON body strictly.
func decodeSmall(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem(http.StatusBadRequest, "malformed body", "the body must be one JSON object of this route: %v", err)
	}
	return nil
}

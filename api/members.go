package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"fedsync/area"
)

// MembershipBackend is what the membership routes need: the node's view of
// the federation's gossip pool and its keyring. A Backend that also
// implements it serves /v1/members and /v1/keyring (node.Node does).
type MembershipBackend interface {
	// Members lists every server this one knows, itself included, sorted
	// by name.
	Members() ([]Member, error)
	// Join contacts gossip addresses and returns how many answered.
	Join(addrs []string) (int, error)
	// Leave leaves the pool gracefully; the agent then stops.
	Leave() error
	// ForceLeave clears a dead member from this server's view.
	ForceLeave(name string) error
	// Keyring lists this server's gossip keys by fingerprint.
	Keyring() (Keyring, error)
	// KeyringChange installs, uses or removes a key (base64) and returns
	// the keyring after the change, which is also saved to the keyring file.
	KeyringChange(op, key string) (Keyring, error)
	// FederationKeyring asks every alive server of the federation for its
	// keyring (through gossip, not through their APIs).
	FederationKeyring(ctx context.Context) (FederationKeyring, error)
	// FederationKeyringChange installs, uses or removes a key on every
	// alive server. A refusal of the whole change (use of a key some server
	// lacks, removal of a key some server encrypts with) wraps
	// ErrMemberRefused; what single servers answered is in the result.
	FederationKeyringChange(ctx context.Context, op, key string) (FederationKeyring, error)
	// FederationForceLeave clears a dead member from every alive server's
	// view (a gossip query). A name this server does not list wraps
	// ErrMemberNotFound; one it lists as alive, ErrMemberRefused.
	FederationForceLeave(ctx context.Context, name string) (FederationResult, error)
	// KeyringChangeFromServer applies a keyring change pushed by another
	// server of the federation (FederationKeyringChange on that server):
	// peer is the connection, whose client certificate must name an area
	// containing this server's (else ErrMemberForbidden).
	KeyringChangeFromServer(peer *tls.ConnectionState, op, key string) (Keyring, error)
}

// Errors a MembershipBackend wraps so that the API answers with the right
// status.
var (
	// ErrGossipOff: the server does not run gossip (409).
	ErrGossipOff = errors.New("gossip is not enabled on this server")
	// ErrMemberInput: the request is wrong (a bad key, an unknown
	// operation) (400).
	ErrMemberInput = errors.New("invalid membership request")
	// ErrMemberNotFound: no such member or key (404).
	ErrMemberNotFound = errors.New("not found")
	// ErrMemberForbidden: the caller may not do this here (403).
	ErrMemberForbidden = errors.New("forbidden")
	// ErrMemberRefused: the request breaks a rule of the pool (force-leave
	// of an alive member, removal of the primary key, a join refused) (409).
	ErrMemberRefused = errors.New("refused by the gossip pool")
)

// Member is one server of the federation as GET /v1/members lists it.
type Member struct {
	Name       string    `json:"name"`
	Area       area.Code `json:"area"`
	AreaName   string    `json:"area_name"`
	Level      string    `json:"level"` // province, city, county, street
	GossipAddr string    `json:"gossip_addr"`
	APIAddr    string    `json:"api_addr"`
	SyncAddr   string    `json:"sync_addr,omitempty"`
	RaftAddr   string    `json:"raft_addr"`
	Status     string    `json:"status"`    // alive, suspect, leaving, dead, left
	RaftRole   string    `json:"raft_role"` // leader, follower, unknown
	Group      string    `json:"raft_group,omitempty"`
	Version    string    `json:"version"`
	Since      time.Time `json:"since"` // when Status last changed, as seen by the answering server
}

// Keyring is the body of GET /v1/keyring: key fingerprints (the first 8
// bytes of SHA-256 of the key, hex), never the keys themselves.
type Keyring struct {
	Server  string   `json:"server"`
	Primary string   `json:"primary"` // fingerprint of the encrypting key
	Keys    []string `json:"keys"`    // fingerprints, primary first
	File    string   `json:"file,omitempty"`
}

// FederationKeyring is the answer of GET /v1/federation/keyring and POST
// /v1/federation/keyring/{op}: what every alive server answered.
type FederationKeyring struct {
	Servers  []KeyringAnswer `json:"servers"`             // the asked server first, then by name
	NoAnswer []string        `json:"no_answer,omitempty"` // alive servers that did not answer in time
	Skipped  []string        `json:"skipped,omitempty"`   // servers not alive, "NAME (STATUS)": give them the new keyring file
}

// KeyringAnswer is one server's answer: its keyring after the operation, or
// why it did not apply it.
type KeyringAnswer struct {
	Server  string   `json:"server"`
	Keyring *Keyring `json:"keyring,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// FederationResult is what every alive server answered to a
// federation-wide operation (POST /v1/federation/force-leave/{name}).
type FederationResult struct {
	Servers  []ServerResult `json:"servers"`             // the asked server first, then by name
	NoAnswer []string       `json:"no_answer,omitempty"` // alive servers that did not answer in time
}

// ServerResult is one server's answer: what it did, or why not.
type ServerResult struct {
	Server string `json:"server"`
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// JoinRequest is the body of POST /v1/members/join.
type JoinRequest struct {
	Addrs []string `json:"addrs"`
}

// JoinAnswer is the answer of POST /v1/members/join.
type JoinAnswer struct {
	Joined int `json:"joined"`
}

// KeyRequest is the body of POST /v1/keyring/{install,use,remove}.
type KeyRequest struct {
	Key string `json:"key"`
}

// KeyringOps are the operations of POST /v1/keyring/{op}.
var KeyringOps = []string{"install", "use", "remove"}

// maxMembershipBody bounds the membership requests' bodies.
const maxMembershipBody = 64 << 10

// membershipRoutes registers the membership routes (docs/CONTRACTS.md).
func (s *Server) membershipRoutes() {
	s.handle("GET /v1/members", s.handleMembers)
	s.handle("POST /v1/members/join", s.handleJoin)
	s.handle("POST /v1/members/leave", s.handleLeave)
	s.handle("POST /v1/members/force-leave/{name}", s.handleForceLeave)
	s.handle("GET /v1/keyring", s.handleKeyring)
	s.handle("POST /v1/keyring/{op}", s.handleKeyringChange)
	s.handle("GET /v1/federation/keyring", s.handleFederationKeyring)
	s.handle("POST /v1/federation/keyring/{op}", s.handleFederationKeyringChange)
	s.handleOpen("POST /v1/federation/keyring/apply/{op}", s.handleKeyringFromServer)
	s.handle("POST /v1/federation/force-leave/{name}", s.handleFederationForceLeave)
}

// membership returns the backend once the request's token has the admin
// role: membership and keys are the federation administrators' (DESIGN
// §7), reading the member list included.
func (s *Server) membership(r *http.Request) (MembershipBackend, error) {
	return adminBackend[MembershipBackend](s, r, "this server does not serve membership")
}

// membershipProblem maps the backend's errors to answers.
func membershipProblem(err error) error {
	var p *Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, ErrGossipOff):
		p = problem(http.StatusConflict, "gossip off", "%v", err)
	case errors.Is(err, ErrMemberInput):
		p = problem(http.StatusBadRequest, "invalid request", "%v", err)
	case errors.Is(err, ErrMemberNotFound):
		p = problem(http.StatusNotFound, "not found", "%v", err)
	case errors.Is(err, ErrMemberRefused):
		p = problem(http.StatusConflict, "refused", "%v", err)
	case errors.Is(err, ErrMemberForbidden):
		p = problem(http.StatusForbidden, "forbidden", "%v", err)
	default:
		return err
	}
	p.cause = err
	return p
}

// handleMembers answers GET /v1/members[?area=CODE][&level=L][&status=S]:
// area keeps the servers of that area and below, level those of one level,
// status those in one status.
func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) error {
	mb, err := s.membership(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var within area.Code
	if v := q.Get("area"); v != "" {
		if within, err = areaValue("area", v); err != nil {
			return err
		}
	}
	level := q.Get("level")
	if level != "" {
		if _, ok := levelNames[level]; !ok {
			return badParam("level", "must be province, city, county or street", level)
		}
	}
	status := q.Get("status")
	if status != "" {
		if _, ok := statusNames[status]; !ok {
			return badParam("status", "must be alive, leaving, dead or left", status)
		}
	}
	ms, err := mb.Members()
	if err != nil {
		return membershipProblem(err)
	}
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		if (within == "" || within.Contains(m.Area)) && (level == "" || m.Level == level) && (status == "" || m.Status == status) {
			out = append(out, m)
		}
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

var (
	levelNames  = map[string]struct{}{"province": {}, "city": {}, "county": {}, "street": {}}
	statusNames = map[string]struct{}{"alive": {}, "leaving": {}, "dead": {}, "left": {}}
)

// handleJoin answers POST /v1/members/join {"addrs": [...]}.
func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) error {
	mb, err := s.membership(r)
	if err != nil {
		return err
	}
	var req JoinRequest
	if err := decodeMembershipBody(r, &req); err != nil {
		return err
	}
	if len(req.Addrs) == 0 || len(req.Addrs) > 64 {
		return badParam("addrs", "must list 1 to 64 gossip addresses (host:port)", strconv.Itoa(len(req.Addrs)))
	}
	n, err := mb.Join(req.Addrs)
	if err != nil {
		return membershipProblem(err)
	}
	writeJSON(w, r, http.StatusOK, JoinAnswer{Joined: n})
	return nil
}

// handleLeave answers POST /v1/members/leave: the server leaves the pool
// gracefully, then stops.
func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) error {
	mb, err := s.membership(r)
	if err != nil {
		return err
	}
	if err := mb.Leave(); err != nil {
		return membershipProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleForceLeave answers POST /v1/members/force-leave/{name}.
func (s *Server) handleForceLeave(w http.ResponseWriter, r *http.Request) error {
	mb, err := s.membership(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if name == "" || len(name) > 64 {
		return badParam("name", "must be a server name of 1 to 64 bytes", name)
	}
	if err := mb.ForceLeave(name); err != nil {
		return membershipProblem(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleFederationForceLeave answers POST /v1/federation/force-leave/{name}.
func (s *Server) handleFederationForceLeave(w http.ResponseWriter, r *http.Request) error {
	return membershipJSON(s, w, r, func(mb MembershipBackend) (FederationResult, error) {
		name := r.PathValue("name")
		if name == "" || len(name) > 64 {
			return FederationResult{}, badParam("name", "must be a server name of 1 to 64 bytes", name)
		}
		return mb.FederationForceLeave(r.Context(), name)
	})
}

// handleKeyring answers GET /v1/keyring.
func (s *Server) handleKeyring(w http.ResponseWriter, r *http.Request) error {
	return membershipJSON(s, w, r, func(mb MembershipBackend) (Keyring, error) { return mb.Keyring() })
}

// handleKeyringChange answers POST /v1/keyring/{install,use,remove}
// {"key": BASE64}.
func (s *Server) handleKeyringChange(w http.ResponseWriter, r *http.Request) error {
	return membershipJSON(s, w, r, func(mb MembershipBackend) (Keyring, error) {
		op, key, err := keyChange(r)
		if err != nil {
			return Keyring{}, err
		}
		return mb.KeyringChange(op, key)
	})
}

// handleFederationKeyring answers GET /v1/federation/keyring.
func (s *Server) handleFederationKeyring(w http.ResponseWriter, r *http.Request) error {
	return membershipJSON(s, w, r, func(mb MembershipBackend) (FederationKeyring, error) {
		return mb.FederationKeyring(r.Context())
	})
}

// handleFederationKeyringChange answers POST
// /v1/federation/keyring/{install,use,remove} {"key": BASE64}: 200 with
// every server's answer (some may have failed), 409 when the change is
// refused as a whole.
func (s *Server) handleFederationKeyringChange(w http.ResponseWriter, r *http.Request) error {
	return membershipJSON(s, w, r, func(mb MembershipBackend) (FederationKeyring, error) {
		op, key, err := keyChange(r)
		if err != nil {
			return FederationKeyring{}, err
		}
		return mb.FederationKeyringChange(r.Context(), op, key)
	})
}

// handleKeyringFromServer answers POST
// /v1/federation/keyring/apply/{install,use,remove} {"key": BASE64}: a
// change pushed by another server, authenticated by its client certificate
// (verified by the listener), not by a token. 401 without a certificate,
// 403 when its area does not contain this server's.
func (s *Server) handleKeyringFromServer(w http.ResponseWriter, r *http.Request) error {
	mb, ok := s.b.(MembershipBackend)
	if !ok {
		return problem(http.StatusNotImplemented, "not supported", "this server does not serve membership")
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return problem(http.StatusUnauthorized, "certificate required",
			"this route is for the federation's servers: it needs mutual TLS with a server certificate of the federation CA (people use POST /v1/federation/keyring/{op} with a token)")
	}
	if ok, wait := s.limiter.allow("federation-server"); !ok {
		return s.rateLimited(r, Identity{Accessor: "federation-server"}, wait)
	}
	op, key, err := keyChange(r)
	if err != nil {
		return err
	}
	k, err := mb.KeyringChangeFromServer(r.TLS, op, key)
	if err != nil {
		return membershipProblem(err)
	}
	writeJSON(w, r, http.StatusOK, k)
	return nil
}

// membershipJSON answers a membership route: the admin check, then call,
// whose result is written as JSON (200) and whose error is mapped by
// membershipProblem (a *Problem passes through).
func membershipJSON[T any](s *Server, w http.ResponseWriter, r *http.Request, call func(MembershipBackend) (T, error)) error {
	mb, err := s.membership(r)
	if err != nil {
		return err
	}
	out, err := call(mb)
	if err != nil {
		return membershipProblem(err)
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

// keyChange reads the operation ({op}: install, use or remove) and the key
// ({"key": BASE64}) of a keyring change.
func keyChange(r *http.Request) (op, key string, err error) {
	op = r.PathValue("op")
	if !slices.Contains(KeyringOps, op) {
		return "", "", badParam("op", "must be install, use or remove", op)
	}
	var req KeyRequest
	if err := decodeMembershipBody(r, &req); err != nil {
		return "", "", err
	}
	if req.Key == "" {
		return "", "", badParam("key", "is required (base64 of 32 bytes)", "")
	}
	return op, req.Key, nil
}

// decodeMembershipBody reads a small JSON body strictly.
func decodeMembershipBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxMembershipBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return problem(http.StatusBadRequest, "malformed request", "body: %v", err)
	}
	if dec.More() {
		return problem(http.StatusBadRequest, "malformed request", "body: %v", fmt.Errorf("trailing data after the JSON value"))
	}
	return nil
}

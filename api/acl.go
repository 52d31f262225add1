package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// SecretPrefix starts every token secret, so that secret scanners and
// people can tell one apart.
const SecretPrefix = "fsk_"

// Bounds of token requests.
const (
	// MaxTokenTTL bounds a token's expiry.
	MaxTokenTTL = 10 * 365 * 24 * time.Hour
	maxACLBody  = 4 << 10
)

// TokenRequest is the body of POST /v1/acl/tokens.
type TokenRequest struct {
	Role        storage.Role `json:"role"`
	Area        area.Code    `json:"area"`
	Description string       `json:"description,omitempty"`
	// TTL is how long the token is valid, a Go duration ("720h"); empty:
	// until revoked.
	TTL string `json:"ttl,omitempty"`
}

// TokenCreated is the answer to token creation and bootstrap: the token
// and its secret, which is shown this once and never stored.
type TokenCreated struct {
	storage.Token
	Secret string `json:"secret"`
}

// aclRoutes registers the token and audit routes.
func (s *Server) aclRoutes() {
	s.handleOpen("POST /v1/acl/bootstrap", s.handleBootstrap)
	s.handle("POST /v1/acl/tokens", s.handleTokenCreate)
	s.handle("GET /v1/acl/tokens", s.handleTokenList)
	s.handle("DELETE /v1/acl/tokens/{accessor}", s.handleTokenRevoke)
	s.handle("GET /v1/acl/self", s.handleSelf)
	s.handle("GET /v1/audit", s.handleAudit)
}

func (s *Server) aclBackend() (ACLBackend, error) {
	if s.acl == nil {
		return nil, problem(http.StatusNotImplemented, "not supported", "this server keeps no tokens")
	}
	return s.acl, nil
}

// handleBootstrap answers POST /v1/acl/bootstrap: the node's first admin
// token, for its whole area. Allowed once, while the node has no token;
// afterwards 409.
func (s *Server) handleBootstrap(w http.ResponseWriter, r *http.Request) error {
	acl, err := s.aclBackend()
	if err != nil {
		return err
	}
	if ok, wait := s.limiter.allow("bootstrap"); !ok {
		return s.rateLimited(r, Identity{Accessor: "bootstrap"}, wait)
	}
	tok, secret, err := newToken(RoleAdmin, s.b.Area(), "bootstrap admin", s.cfg.Now())
	if err != nil {
		return err
	}
	if err := acl.ApplyACL(r.Context(), storage.ACLOp{Op: storage.ACLBootstrap, Token: tok, Time: tok.Created}); err != nil {
		return s.aclProblem(err)
	}
	s.log.Warn("ACL bootstrap: admin token created", "accessor", tok.Accessor, "area", tok.Area, "remote", r.RemoteAddr)
	writeJSON(w, r, http.StatusCreated, TokenCreated{Token: tok, Secret: secret})
	return nil
}

// handleTokenCreate answers POST /v1/acl/tokens (admin): a token whose
// area lies inside the admin's.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	acl, err := s.aclBackend()
	if err != nil {
		return err
	}
	if err := RequireRole(r, RoleAdmin); err != nil {
		return err
	}
	body, err := s.readBody(w, r, maxACLBody)
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := decodeStrict(body, &req); err != nil {
		return problem(http.StatusBadRequest, "malformed token request", "%v", err)
	}
	expires, err := s.checkTokenRequest(req)
	if err != nil {
		return err
	}
	if err := RequireArea(r, RoleAdmin, req.Area, "token area"); err != nil {
		return err
	}
	tok, secret, err := newToken(req.Role, req.Area, req.Description, s.cfg.Now())
	if err != nil {
		return err
	}
	tok.Expires = expires
	if err := acl.ApplyACL(r.Context(), storage.ACLOp{Op: storage.ACLCreate, Token: tok, Time: tok.Created}); err != nil {
		return s.aclProblem(err)
	}
	id, _ := IdentityOf(r)
	s.log.Info("token created", "accessor", tok.Accessor, "role", tok.Role, "area", tok.Area, "by", id.Accessor)
	writeJSON(w, r, http.StatusCreated, TokenCreated{Token: tok, Secret: secret})
	return nil
}

// checkTokenRequest checks a token request's fields and returns its expiry.
func (s *Server) checkTokenRequest(req TokenRequest) (time.Time, error) {
	bad := func(field, rule, value string) (time.Time, error) {
		p := problem(http.StatusUnprocessableEntity, "invalid token request", "%s %q %s", field, value, rule)
		p.Field, p.Rule = field, rule
		return time.Time{}, p
	}
	if _, err := storage.ParseRole(string(req.Role)); err != nil {
		return bad("role", "must be viewer, operator or admin", string(req.Role))
	}
	if !req.Area.Valid() {
		return bad("area", "must be a 12-digit division code", string(req.Area))
	}
	if own := s.b.Area(); !own.Contains(req.Area) {
		return bad("area", "must lie inside this node's area "+string(own), string(req.Area))
	}
	if _, ok := area.Lookup(req.Area); !ok {
		return bad("area", "must be a code of the division data ("+area.DataEdition+")", string(req.Area))
	}
	if len(req.Description) > storage.MaxDescription {
		return bad("description", fmt.Sprintf("must be at most %d bytes", storage.MaxDescription), req.Description[:40]+"…")
	}
	if req.TTL == "" {
		return time.Time{}, nil
	}
	ttl, err := time.ParseDuration(req.TTL)
	if err != nil || ttl <= 0 || ttl > MaxTokenTTL {
		return bad("ttl", "must be a positive Go duration of at most 87600h", req.TTL)
	}
	return s.cfg.Now().Add(ttl).UTC(), nil
}

// handleTokenList answers GET /v1/acl/tokens (admin): the tokens inside
// the admin's area, without secrets.
func (s *Server) handleTokenList(w http.ResponseWriter, r *http.Request) error {
	acl, err := s.aclBackend()
	if err != nil {
		return err
	}
	if err := RequireRole(r, RoleAdmin); err != nil {
		return err
	}
	id, _ := IdentityOf(r)
	all, err := acl.Tokens()
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	out := []storage.Token{}
	for _, t := range all {
		if id.Area.Contains(t.Area) {
			out = append(out, t)
		}
	}
	writeJSON(w, r, http.StatusOK, out)
	return nil
}

// handleTokenRevoke answers DELETE /v1/acl/tokens/{accessor} (admin of an
// area containing the token's): 204.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	acl, err := s.aclBackend()
	if err != nil {
		return err
	}
	if err := RequireRole(r, RoleAdmin); err != nil {
		return err
	}
	acc := r.PathValue("accessor")
	all, err := acl.Tokens()
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	var target *storage.Token
	for i := range all {
		if all[i].Accessor == acc {
			target = &all[i]
		}
	}
	if target == nil {
		return problem(http.StatusNotFound, "no such token", "no token has accessor %q (see fedsync acl token list)", acc)
	}
	if err := RequireArea(r, RoleAdmin, target.Area, "area of token "+acc); err != nil {
		return err
	}
	if err := acl.ApplyACL(r.Context(), storage.ACLOp{Op: storage.ACLRevoke, Accessor: acc, Time: s.cfg.Now().UTC()}); err != nil {
		return s.aclProblem(err)
	}
	id, _ := IdentityOf(r)
	s.log.Info("token revoked", "accessor", acc, "by", id.Accessor)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleSelf answers GET /v1/acl/self: the identity of the token sent.
func (s *Server) handleSelf(w http.ResponseWriter, r *http.Request) error {
	id, _ := IdentityOf(r)
	writeJSON(w, r, http.StatusOK, id)
	return nil
}

// handleAudit answers GET /v1/audit?origin=&after=&limit= (viewer of an
// area containing the origin): audit entries, by origin then seq. Without
// origin, the token's area.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	acl, err := s.aclBackend()
	if err != nil {
		return err
	}
	id, _ := IdentityOf(r)
	q := r.URL.Query()
	a, err := areaValue("origin", q.Get("origin"))
	if err != nil {
		return err
	}
	if a == "" {
		a = id.Area
	}
	if err := RequireArea(r, RoleViewer, a, "audit origin"); err != nil {
		return err
	}
	limit, err := limitParam(q, s.cfg.MaxPageSize)
	if err != nil {
		return err
	}
	page, err := acl.Audit(storage.AuditQuery{Area: a, After: q.Get(paramAfter), Limit: limit})
	if err != nil {
		return fmt.Errorf("audit of %s: %w", a, err)
	}
	writeJSON(w, r, http.StatusOK, page)
	return nil
}

// aclProblem maps a refused token operation to a problem.
func (s *Server) aclProblem(err error) error {
	switch {
	case errors.Is(err, storage.ErrBootstrapped):
		p := problem(http.StatusConflict, "ACL bootstrap already done", "%v", err)
		p.Rule = "bootstrap once"
		return p
	case errors.Is(err, storage.ErrACL):
		return problem(http.StatusUnprocessableEntity, "invalid token", "%v", err)
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrExists):
		return storeProblem(err)
	}
	return s.unavailable(err)
}

// newToken makes a token with a random accessor and secret; the token
// holds only the secret's hash.
func newToken(role storage.Role, a area.Code, desc string, now time.Time) (storage.Token, string, error) {
	var acc [16]byte
	var sec [32]byte
	if _, err := rand.Read(acc[:]); err != nil {
		return storage.Token{}, "", fmt.Errorf("new token: %w", err)
	}
	if _, err := rand.Read(sec[:]); err != nil {
		return storage.Token{}, "", fmt.Errorf("new token: %w", err)
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(sec[:])
	t := storage.Token{Accessor: hex.EncodeToString(acc[:]), Role: role, Area: a, Description: strings.TrimSpace(desc),
		Created: now.UTC().Truncate(time.Second), SecretHash: storage.HashSecret(secret)}
	return t, secret, nil
}

// handleStatusACL answers GET /v1/status: with a token, like every /v1
// route; without checking one while this server holds no token at all (a
// server waiting to join its group, or one not yet bootstrapped), so that
// `fedsync operator raft add-voter --server-http` and operators can read
// what it is.
func (s *Server) handleStatusACL(w http.ResponseWriter, r *http.Request) error {
	if s.acl != nil && !s.cfg.ACLDisabled {
		if toks, err := s.acl.Tokens(); err == nil && len(toks) == 0 {
			return s.handleStatus(w, r)
		}
	}
	r, err := s.guard(r)
	if err != nil {
		return err
	}
	return s.handleStatus(w, r)
}

package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// Roles of API tokens (docs/SECURITY.md): a viewer reads its area's
// subtree, an operator also writes records inside its area, an admin also
// manages tokens and membership.
const (
	RoleViewer   = storage.RoleViewer
	RoleOperator = storage.RoleOperator
	RoleAdmin    = storage.RoleAdmin
)

// Headers that carry a token. Authorization: Bearer SECRET is preferred.
const (
	HeaderToken = "X-Fedsync-Token"
	// HeaderForwardedBy names the follower that forwarded a write to its
	// leader (node.HeaderForwardedBy).
	HeaderForwardedBy = "X-Fedsync-Forwarded-By"
	// headerReserved is the prefix of headers a client may not send other
	// than HeaderToken and HeaderForwardedBy: attribution is the server's
	// to fill in.
	headerReserved = "X-Fedsync-"
)

// Identity is who a request acts as: the token it presented (or, with
// ACLs disabled, an anonymous admin of the node's area).
type Identity struct {
	Accessor string       `json:"accessor"`
	Name     string       `json:"name,omitempty"` // the token's description
	Role     storage.Role `json:"role"`
	Area     area.Code    `json:"area"`
	// Anonymous is set when ACLs are disabled.
	Anonymous bool `json:"anonymous,omitempty"`
}

type identityKey struct{}

// IdentityOf returns the identity the request was authenticated as; false
// on a route that needs none (/healthz, bootstrap).
func IdentityOf(r *http.Request) (Identity, bool) {
	id, ok := r.Context().Value(identityKey{}).(Identity)
	return id, ok
}

// RequireRole refuses the request unless its token has at least role
// need: a 401 *Problem when it carries no identity, a 403 naming the rule,
// the accessor and the token's area otherwise. Handlers of routes added
// under /v1 by other packages (membership, raft operator routes) call it:
//
//	if err := api.RequireRole(r, api.RoleAdmin); err != nil { return err }
//
// Every /v1 route registered with Server.Handle is already authenticated;
// with ACLs disabled every request is an admin.
func RequireRole(r *http.Request, need storage.Role) error {
	id, ok := IdentityOf(r)
	if !ok {
		return tokenProblem("token required", "this route needs an API token")
	}
	if !id.Role.Allows(need) {
		return forbidden(r, id, "role", "needs a token of role %s or above; token %s is a %s of %s", need, id.Accessor, id.Role, id.Area)
	}
	return nil
}

// RequireArea refuses the request unless its token has at least role need
// and its area contains a (the area the request reads or writes); what
// names that area in the refusal ("record area", "summary area").
func RequireArea(r *http.Request, need storage.Role, a area.Code, what string) error {
	if err := RequireRole(r, need); err != nil {
		return err
	}
	id, _ := IdentityOf(r)
	if !id.Area.Contains(a) {
		return forbidden(r, id, "area", "%s %s lies outside the area %s of token %s (%s)", what, a, id.Area, id.Accessor, id.Role)
	}
	return nil
}

// forbidden is the 403 of a token that may not do what it asked.
func forbidden(r *http.Request, id Identity, rule, format string, args ...any) *Problem {
	p := problem(http.StatusForbidden, "forbidden", format, args...)
	p.Rule, p.Accessor, p.TokenArea = rule, id.Accessor, id.Area
	p.Instance = r.URL.Path
	return p
}

// tokenProblem is a 401: the request's token is missing, unknown, revoked
// or expired.
func tokenProblem(title, format string, args ...any) *Problem {
	p := problem(http.StatusUnauthorized, title, format, args...)
	p.Detail += "; send it as Authorization: Bearer SECRET (fedsync: --token, $FEDSYNC_TOKEN or --token-file)"
	p.Rule = "token"
	return p
}

// ACLBackend is what token checks, token management and the audit route
// need from the node. node.Node implements it.
type ACLBackend interface {
	// TokenBySecret returns the token whose secret is secret;
	// storage.ErrNotFound when none.
	TokenBySecret(secret string) (storage.Token, error)
	// Tokens lists every token, revoked ones included.
	Tokens() ([]storage.Token, error)
	// ApplyACL applies a token operation through raft; refusals
	// (storage.ErrBootstrapped, ErrExists, ErrNotFound, ErrACL) are
	// returned as errors.
	ApplyACL(ctx context.Context, op storage.ACLOp) error
	// Audit returns one page of audit entries.
	Audit(q storage.AuditQuery) (storage.AuditPage, error)
}

// authenticate finds the request's token and puts its Identity in the
// context, or answers 401. With ACLs disabled the identity is an
// anonymous admin of the node's area.
func (s *Server) authenticate(r *http.Request) (*http.Request, error) {
	if err := refuseReservedHeaders(r); err != nil {
		return r, err
	}
	var id Identity
	if s.cfg.ACLDisabled {
		id = Identity{Accessor: "anonymous", Role: RoleAdmin, Area: s.b.Area(), Anonymous: true}
	} else {
		var err error
		if id, err = s.lookupToken(r); err != nil {
			return r, err
		}
	}
	return r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), nil
}

// lookupToken checks the request's token: present, known, not revoked,
// not expired.
func (s *Server) lookupToken(r *http.Request) (Identity, error) {
	secret := tokenOf(r)
	if secret == "" {
		return Identity{}, tokenProblem("token required", "this route needs an API token; create one with `fedsync acl bootstrap` (once per node) or ask an admin for one")
	}
	if s.acl == nil {
		return Identity{}, errors.New("authenticate: the backend keeps no tokens")
	}
	t, err := s.acl.TokenBySecret(secret)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return Identity{}, tokenProblem("unknown token", "the token sent is not one of this node's tokens (tokens are per node: one made at another node is unknown here)")
	case err != nil:
		return Identity{}, fmt.Errorf("look up token: %w", err)
	case !t.Revoked.IsZero():
		return Identity{}, tokenProblem("token revoked", "token %s was revoked at %s", t.Accessor, t.Revoked.Format(time.RFC3339))
	case !t.Expires.IsZero() && !s.cfg.Now().Before(t.Expires):
		return Identity{}, tokenProblem("token expired", "token %s expired at %s", t.Accessor, t.Expires.Format(time.RFC3339))
	}
	return Identity{Accessor: t.Accessor, Name: t.Description, Role: t.Role, Area: t.Area}, nil
}

// tokenOf returns the secret of Authorization: Bearer, or X-Fedsync-Token.
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, v, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(v)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get(HeaderToken))
}

// refuseReservedHeaders answers 400 to a request that sends an
// X-Fedsync-* header other than the token: attribution (who, from where)
// is the server's to record, never the client's to claim.
func refuseReservedHeaders(r *http.Request) error {
	for name := range r.Header {
		if strings.HasPrefix(name, headerReserved) && name != HeaderToken && name != HeaderForwardedBy {
			p := problem(http.StatusBadRequest, "attribution supplied by the client",
				"header %s is refused: who made a request is recorded by the server from its token", name)
			p.Field, p.Rule = name, "attribution is set by the server"
			return p
		}
	}
	return nil
}

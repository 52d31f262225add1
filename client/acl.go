package client

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
)

// EnvToken is the environment variable that gives the default API token
// secret.
const EnvToken = "FEDSYNC_TOKEN"

// WithToken makes the client send secret as Authorization: Bearer on
// every request ("" sends none).
func WithToken(secret string) Option {
	return func(c *Client) { c.token = strings.TrimSpace(secret) }
}

// DefaultToken returns EnvToken's value ("" when unset).
func DefaultToken() string { return strings.TrimSpace(os.Getenv(EnvToken)) }

// Bootstrap calls POST /v1/acl/bootstrap: the node's first admin token,
// allowed once. A node that has tokens answers a 409 *APIError.
func (c *Client) Bootstrap(ctx context.Context) (*api.TokenCreated, error) {
	var out api.TokenCreated
	if _, err := c.do(ctx, http.MethodPost, "/v1/acl/bootstrap", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateToken calls POST /v1/acl/tokens (admin). The answer holds the
// secret, shown this once.
func (c *Client) CreateToken(ctx context.Context, req api.TokenRequest) (*api.TokenCreated, error) {
	var out api.TokenCreated
	if _, err := c.do(ctx, http.MethodPost, "/v1/acl/tokens", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Tokens calls GET /v1/acl/tokens (admin): the tokens inside the admin's
// area, without secrets.
func (c *Client) Tokens(ctx context.Context) ([]storage.Token, error) {
	var out []storage.Token
	if _, err := c.do(ctx, http.MethodGet, "/v1/acl/tokens", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeToken calls DELETE /v1/acl/tokens/{accessor} (admin).
func (c *Client) RevokeToken(ctx context.Context, accessor string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/acl/tokens/"+url.PathEscape(accessor), nil, nil, nil)
	return err
}

// Self calls GET /v1/acl/self: who the client's token is.
func (c *Client) Self(ctx context.Context) (*api.Identity, error) {
	var out api.Identity
	if _, err := c.do(ctx, http.MethodGet, "/v1/acl/self", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Audit calls GET /v1/audit for one page of audit entries of the origins
// inside origin ("" = the token's area).
func (c *Client) Audit(ctx context.Context, origin area.Code, after string, limit int) (*storage.AuditPage, error) {
	q := url.Values{}
	if origin != "" {
		q.Set("origin", string(origin))
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out storage.AuditPage
	if _, err := c.do(ctx, http.MethodGet, "/v1/audit", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

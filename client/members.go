package client

import (
	"context"
	"net/http"
	"net/url"

	"fedsync/api"
	"fedsync/area"
)

// Members calls GET /v1/members: every server the agent knows in the
// federation's gossip pool. within ("" = all) keeps the servers of that
// area and below; level ("" = all) those of one level (province, city,
// county, street).
func (c *Client) Members(ctx context.Context, within area.Code, level string) ([]api.Member, error) {
	return c.MembersWithStatus(ctx, within, level, "")
}

// MembersWithStatus is Members keeping only the servers in one status
// (alive, leaving, dead, left; "" = all).
func (c *Client) MembersWithStatus(ctx context.Context, within area.Code, level, status string) ([]api.Member, error) {
	q := url.Values{}
	if status != "" {
		q.Set("status", status)
	}
	if within != "" {
		q.Set("area", string(within))
	}
	if level != "" {
		q.Set("level", level)
	}
	var out []api.Member
	if _, err := c.do(ctx, http.MethodGet, "/v1/members", q, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Join calls POST /v1/members/join: the agent contacts the gossip addresses
// and merges with the pool they belong to. It returns how many answered.
func (c *Client) Join(ctx context.Context, addrs []string) (int, error) {
	var out api.JoinAnswer
	if _, err := c.do(ctx, http.MethodPost, "/v1/members/join", nil, api.JoinRequest{Addrs: addrs}, &out); err != nil {
		return 0, err
	}
	return out.Joined, nil
}

// Leave calls POST /v1/members/leave: the agent leaves the pool gracefully
// and stops.
func (c *Client) Leave(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/members/leave", nil, nil, nil)
	return err
}

// ForceLeave calls POST /v1/members/force-leave/{name}: the agent clears a
// dead member from its view.
func (c *Client) ForceLeave(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/members/force-leave/"+url.PathEscape(name), nil, nil, nil)
	return err
}

// Keyring calls GET /v1/keyring: the agent's gossip keys, by fingerprint.
func (c *Client) Keyring(ctx context.Context) (*api.Keyring, error) {
	var out api.Keyring
	if _, err := c.do(ctx, http.MethodGet, "/v1/keyring", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KeyringChange calls POST /v1/keyring/{op} with a base64 key; op is
// install, use or remove. It returns the agent's keyring after the change.
func (c *Client) KeyringChange(ctx context.Context, op, key string) (*api.Keyring, error) {
	var out api.Keyring
	if _, err := c.do(ctx, http.MethodPost, "/v1/keyring/"+url.PathEscape(op), nil, api.KeyRequest{Key: key}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FederationKeyring calls GET /v1/federation/keyring: the agent asks every
// alive server of the federation for its keyring, through gossip.
func (c *Client) FederationKeyring(ctx context.Context) (*api.FederationKeyring, error) {
	var out api.FederationKeyring
	if _, err := c.do(ctx, http.MethodGet, "/v1/federation/keyring", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FederationKeyringChange calls POST /v1/federation/keyring/{op}: the agent
// installs, uses or removes the key on every alive server, through gossip,
// and returns what each answered.
func (c *Client) FederationKeyringChange(ctx context.Context, op, key string) (*api.FederationKeyring, error) {
	var out api.FederationKeyring
	if _, err := c.do(ctx, http.MethodPost, "/v1/federation/keyring/"+url.PathEscape(op), nil, api.KeyRequest{Key: key}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FederationForceLeave calls POST /v1/federation/force-leave/{name}: every
// alive server clears the dead member from its view; the answer says what
// each did.
func (c *Client) FederationForceLeave(ctx context.Context, name string) (*api.FederationResult, error) {
	var out api.FederationResult
	if _, err := c.do(ctx, http.MethodPost, "/v1/federation/force-leave/"+url.PathEscape(name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

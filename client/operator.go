package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"fedsync/api"
)

// RaftPeers calls GET /v1/operator/raft/peers.
func (c *Client) RaftPeers(ctx context.Context) ([]api.RaftPeer, error) {
	var out []api.RaftPeer
	if _, err := c.do(ctx, http.MethodGet, "/v1/operator/raft/peers", nil, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RaftSelf calls GET /v1/operator/raft/self (no token needed).
func (c *Client) RaftSelf(ctx context.Context) (*api.RaftSelf, error) {
	var out api.RaftSelf
	if _, err := c.do(ctx, http.MethodGet, "/v1/operator/raft/self", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddVoter calls POST /v1/operator/raft/peers (a follower forwards it to
// the leader).
func (c *Client) AddVoter(ctx context.Context, req api.AddVoterRequest) error {
	_, err := c.do(ctx, http.MethodPost, "/v1/operator/raft/peers", nil, req, nil)
	return err
}

// RemovePeer calls DELETE /v1/operator/raft/peers/{name}.
func (c *Client) RemovePeer(ctx context.Context, name string, force bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "true")
	}
	_, err := c.do(ctx, http.MethodDelete, "/v1/operator/raft/peers/"+url.PathEscape(name), q, nil, nil)
	return err
}

// Snapshot calls GET /v1/snapshot and copies the snapshot file to w,
// returning its size. The caller checks the file (node.InspectSnapshot):
// a connection cut mid-body leaves a truncated file.
func (c *Client) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/snapshot", nil, nil)
	if err != nil {
		return 0, err
	}
	hc := *c.hc
	hc.Timeout = 0 // a large store takes long; ctx bounds it
	resp, err := hc.Do(req)
	if err != nil {
		return 0, c.transportError(http.MethodGet, "/v1/snapshot", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return 0, decodeProblem(resp, data)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("GET /v1/snapshot: read body: %w", err)
	}
	return n, nil
}

package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
)

// Digests calls GET /v1/sync/digests: what the agent holds of every origin
// inside a (the agent's own area when a is ""), with the watermark, the
// chain hash at it and a digest of the origin's records. Comparing the
// answers of a child and its parent tells whether the parent's replica
// agrees with the child's.
func (c *Client) Digests(ctx context.Context, a area.Code) ([]storage.OriginDigest, error) {
	q := url.Values{}
	if a != "" {
		q.Set("area", string(a))
	}
	var out []storage.OriginDigest
	if _, err := c.do(ctx, http.MethodGet, "/v1/sync/digests", q, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ChainAt calls GET /v1/sync/chain/{origin}/{seq} and returns the chain
// hash of the origin's entry seq, in hex. An agent whose log does not hold
// that entry answers 404 (IsNotFound).
func (c *Client) ChainAt(ctx context.Context, origin area.Code, seq uint64) (string, error) {
	p := "/v1/sync/chain/" + url.PathEscape(string(origin)) + "/" + strconv.FormatUint(seq, 10)
	var out api.ChainAnswer
	if _, err := c.do(ctx, http.MethodGet, p, nil, nil, &out); err != nil {
		return "", err
	}
	if b, err := hex.DecodeString(out.Chain); err != nil || len(b) != 32 {
		return "", fmt.Errorf("GET %s: chain %q is not 32 bytes of hex", p, out.Chain)
	}
	return out.Chain, nil
}

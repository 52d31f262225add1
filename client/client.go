// Package client is a typed client of the fedsync HTTP API (the route table
// of docs/CONTRACTS.md). The CLI uses it for every command that talks to a
// running agent; scripts and tests may use it too.
//
// Every method takes a context, answers with the API's own types (api.Status,
// rollup.Summary, storage.Stored, ...) and turns error answers into an
// *APIError. A refused connection becomes a *NoAgentError that tells the
// operator how to point the client at an agent.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// EnvHTTPAddr is the environment variable that gives the default agent
// address.
const EnvHTTPAddr = "FEDSYNC_HTTP_ADDR"

// DefaultHTTPAddr is the agent address used when neither an address nor
// EnvHTTPAddr is given; it matches node.DefaultConfig.
const DefaultHTTPAddr = "127.0.0.1:8700"

// maxResponseBytes bounds how much of one answer the client reads.
const maxResponseBytes = 256 << 20

// Client calls one agent's HTTP API. It is safe for concurrent use.
type Client struct {
	base  *url.URL     // scheme://host:port, no path
	hc    *http.Client // never nil
	agent string       // User-Agent header
	https bool         // an address without a scheme means https (WithCAFile)
	err   error        // an option's failure, returned by New
	token string       // API token secret; "" sends none
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithTimeout bounds every request (default 60s; 0 means no bound).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		hc := *c.hc
		hc.Timeout = d
		c.hc = &hc
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.agent = ua }
}

// DefaultAddr returns EnvHTTPAddr's value when set, else DefaultHTTPAddr.
func DefaultAddr() string {
	if a := strings.TrimSpace(os.Getenv(EnvHTTPAddr)); a != "" {
		return a
	}
	return DefaultHTTPAddr
}

// New returns a client of the agent at addr: "host:port" or an http(s) URL.
// An empty addr means DefaultAddr().
func New(addr string, opts ...Option) (*Client, error) {
	if addr == "" {
		addr = DefaultAddr()
	}
	c := &Client{hc: &http.Client{Timeout: 60 * time.Second}, agent: "fedsync-client"}
	for _, o := range opts {
		o(c)
	}
	if c.err != nil {
		return nil, c.err
	}
	base, err := parseAddr(addr, c.https)
	if err != nil {
		return nil, err
	}
	c.base = base
	return c, nil
}

func parseAddr(addr string, https bool) (*url.URL, error) {
	s := addr
	if !strings.Contains(s, "://") && https {
		s = "https://" + s
	} else if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("agent address %q: %w", addr, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("agent address %q: scheme must be http or https", addr)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("agent address %q: want host:port or an http:// URL", addr)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// Addr returns the agent's base URL, e.g. "http://127.0.0.1:8700".
func (c *Client) Addr() string { return c.base.String() }

// do sends a request and decodes a 2xx JSON answer into out (when out is
// not nil). It returns the status code. Non-2xx answers become *APIError.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) (int, error) {
	req, err := c.newRequest(ctx, method, path, q, body)
	if err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportError(method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, decodeProblem(resp, data)
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.Path = path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		data, err := encodeBody(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.agent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// encodeBody sends json.RawMessage as given and marshals anything else.
func encodeBody(body any) ([]byte, error) {
	if raw, ok := body.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, errors.New("request body is not valid JSON")
		}
		return raw, nil
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return data, nil
}

// transportError turns a refused connection into a *NoAgentError.
func (c *Client) transportError(method, path string, err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &NoAgentError{Addr: c.base.Host, Err: err}
	}
	if hint := tlsHint(err); hint != "" {
		return fmt.Errorf("%s %s%s: %w (%s)", method, c.base, path, err, hint)
	}
	return fmt.Errorf("%s %s%s: %w", method, c.base, path, err)
}

// decodeProblem reads a problem+json body; any other body becomes the
// detail of a generic *APIError.
func decodeProblem(resp *http.Response, data []byte) error {
	ae := &APIError{Status: resp.StatusCode}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		if err := json.Unmarshal(data, ae); err == nil {
			if ae.Status == 0 {
				ae.Status = resp.StatusCode
			}
			return ae
		}
		ae = &APIError{Status: resp.StatusCode}
	}
	ae.Title = strings.ToLower(http.StatusText(resp.StatusCode))
	ae.Detail = strings.TrimSpace(string(data))
	if len(ae.Detail) > 300 {
		ae.Detail = ae.Detail[:300] + "..."
	}
	return ae
}

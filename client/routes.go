package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"fedsync/api"
	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
)

// Health calls GET /healthz and returns nil when the agent answers ok.
func (c *Client) Health(ctx context.Context) error {
	var out struct {
		Status string `json:"status"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/healthz", nil, nil, &out); err != nil {
		return err
	}
	if out.Status != "ok" {
		return fmt.Errorf("agent at %s is not healthy: status %q", c.base.Host, out.Status)
	}
	return nil
}

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (*api.Status, error) {
	var st api.Status
	if _, err := c.do(ctx, http.MethodGet, "/v1/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Summary calls GET /v1/areas/{code}/summary. year 0 lets the agent use
// the current year.
func (c *Client) Summary(ctx context.Context, code area.Code, year int) (*rollup.Summary, error) {
	q := url.Values{}
	if year != 0 {
		q.Set("year", strconv.Itoa(year))
	}
	var s rollup.Summary
	if _, err := c.do(ctx, http.MethodGet, "/v1/areas/"+url.PathEscape(string(code))+"/summary", q, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func recordsPath(kind registry.Kind, id string) string {
	p := "/v1/records/" + url.PathEscape(string(kind))
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	return p
}

// Create calls POST /v1/records/{kind} with the record's JSON (its id may be
// empty: the agent assigns one). created is false when an identical record
// was already stored (200); a different record under the same id is a 409
// *APIError.
func (c *Client) Create(ctx context.Context, kind registry.Kind, rec json.RawMessage) (st *storage.Stored, created bool, err error) {
	var out storage.Stored
	code, err := c.do(ctx, http.MethodPost, recordsPath(kind, ""), nil, rec, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, code == http.StatusCreated, nil
}

// Get calls GET /v1/records/{kind}/{id}. origin "" means the agent's own
// area; a higher-level agent holds replicas of every origin below it.
func (c *Client) Get(ctx context.Context, kind registry.Kind, origin area.Code, id string) (*storage.Stored, error) {
	q := url.Values{}
	if origin != "" {
		q.Set("origin", string(origin))
	}
	var out storage.Stored
	if _, err := c.do(ctx, http.MethodGet, recordsPath(kind, id), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update calls PUT /v1/records/{kind}/{id}, replacing the whole record.
func (c *Client) Update(ctx context.Context, kind registry.Kind, id string, rec json.RawMessage) (*storage.Stored, error) {
	var out storage.Stored
	if _, err := c.do(ctx, http.MethodPut, recordsPath(kind, id), nil, rec, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete calls DELETE /v1/records/{kind}/{id}.
func (c *Client) Delete(ctx context.Context, kind registry.Kind, id string) error {
	_, err := c.do(ctx, http.MethodDelete, recordsPath(kind, id), nil, nil, nil)
	return err
}

// ListOptions selects records for List.
type ListOptions struct {
	Area  area.Code         // records in this subtree; "" = all the agent holds
	Limit int               // page size, 1..storage.MaxPageSize; 0 = the agent's default
	After string            // cursor from the previous page's Next
	Where map[string]string // JSON field name = value; all must match
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	keys := make([]string, 0, len(o.Where))
	for k := range o.Where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		q.Set(k, o.Where[k])
	}
	if o.Area != "" {
		q.Set("area", string(o.Area))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.After != "" {
		q.Set("after", o.After)
	}
	return q
}

// List calls GET /v1/records/{kind} for one page.
func (c *Client) List(ctx context.Context, kind registry.Kind, opts ListOptions) (*storage.ListPage, error) {
	var out storage.ListPage
	if _, err := c.do(ctx, http.MethodGet, recordsPath(kind, ""), opts.query(), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAll follows the cursors from opts.After to the last page and calls fn
// for every record, stopping at fn's first error.
func (c *Client) ListAll(ctx context.Context, kind registry.Kind, opts ListOptions, fn func(storage.Stored) error) error {
	for {
		page, err := c.List(ctx, kind, opts)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if page.Next == "" || page.Next == opts.After {
			return nil
		}
		opts.After = page.Next
	}
}

// Verify calls POST /v1/verify. The report says whether the store is
// consistent; a report with OK false is not an error.
func (c *Client) Verify(ctx context.Context) (*storage.VerifyReport, error) {
	var out storage.VerifyReport
	if _, err := c.do(ctx, http.MethodPost, "/v1/verify", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

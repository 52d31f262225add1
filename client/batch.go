package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"fedsync/registry"
)

// MaxBatch is the most records one POST /v1/batch may carry.
const MaxBatch = 1000

// BatchMode says how a batch treats records whose id already exists.
type BatchMode string

// Batch modes.
const (
	// ModeCreate refuses a record whose id exists with other content and
	// reports an identical one as unchanged. Imports use it, so that
	// re-running an import changes nothing.
	ModeCreate BatchMode = "create"
	// ModeUpsert creates or replaces.
	ModeUpsert BatchMode = "upsert"
)

// Outcomes of one record of a batch (BatchResult.Status).
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
	StatusError     = "error"
)

// BatchResult is the outcome of one record of a batch.
type BatchResult struct {
	Index  int       `json:"index"` // position in the records sent
	ID     string    `json:"id,omitempty"`
	Status string    `json:"status"` // StatusCreated, StatusUpdated, StatusUnchanged or StatusError
	Seq    uint64    `json:"seq,omitempty"`
	Error  *APIError `json:"error,omitempty"` // set when Status is StatusError
}

type batchRequest struct {
	Kind    registry.Kind     `json:"kind"`
	Mode    BatchMode         `json:"mode"`
	Records []json.RawMessage `json:"records"`
}

// Batch calls POST /v1/batch: the records are written as one raft entry,
// each accepted or refused on its own. The answer holds one result per
// record, in the order sent. At most MaxBatch records per call.
func (c *Client) Batch(ctx context.Context, kind registry.Kind, mode BatchMode, records []json.RawMessage) ([]BatchResult, error) {
	if len(records) > MaxBatch {
		return nil, fmt.Errorf("batch of %d records: at most %d per request", len(records), MaxBatch)
	}
	if len(records) == 0 {
		return nil, nil
	}
	var out struct {
		Results []BatchResult `json:"results"`
	}
	req := batchRequest{Kind: kind, Mode: mode, Records: records}
	if _, err := c.do(ctx, http.MethodPost, "/v1/batch", nil, req, &out); err != nil {
		return nil, err
	}
	return orderResults(out.Results, len(records))
}

// orderResults checks that every record has exactly one result and returns
// them indexed by position.
func orderResults(got []BatchResult, n int) ([]BatchResult, error) {
	if len(got) != n {
		return nil, fmt.Errorf("batch: agent answered %d results for %d records", len(got), n)
	}
	out := make([]BatchResult, n)
	seen := make([]bool, n)
	for _, r := range got {
		if r.Index < 0 || r.Index >= n || seen[r.Index] {
			return nil, fmt.Errorf("batch: agent answered a bad or repeated index %d", r.Index)
		}
		if r.Status == StatusError && r.Error == nil {
			r.Error = &APIError{Status: http.StatusBadRequest, Title: "refused"}
		}
		seen[r.Index] = true
		out[r.Index] = r
	}
	return out, nil
}

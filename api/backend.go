package api

import (
	"context"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
	"fedsync/sync/sender"
)

// Backend is what the HTTP API needs from a node. node.Node implements it;
// tests use a fake.
type Backend interface {
	// Area is the node's own area: writes must lie inside it.
	Area() area.Code
	// Write applies mutations through raft as one entry. Per-mutation
	// refusals are in the results; the error is for the batch as a whole
	// (not leader, shutting down, timeout).
	Write(ctx context.Context, muts []storage.Mutation) ([]storage.Result, error)
	// Get returns one record; storage.ErrNotFound when absent. origin ""
	// means the node's own area.
	Get(kind registry.Kind, origin area.Code, id string) (storage.Stored, error)
	// List returns one page of records.
	List(q storage.ListQuery) (storage.ListPage, error)
	// Summary answers from rollups for any area in the node's subtree.
	Summary(code area.Code, year int) (*rollup.Summary, error)
	// Status describes the node: identity, raft state, log heads.
	Status() Status
	// Verify recomputes every rollup and checks every chain.
	Verify(ctx context.Context) (*storage.VerifyReport, error)
}

// Status is the body of GET /v1/status.
type Status struct {
	Area       area.Code           `json:"area"`
	Name       string              `json:"name"`
	Level      string              `json:"level"`
	Server     string              `json:"server"`
	Version    string              `json:"version"`
	RaftState  string              `json:"raft_state"`
	Leader     string              `json:"leader"`
	Started    time.Time           `json:"started"`
	DataDir    string              `json:"data_dir"`
	Records    map[string]int64    `json:"records"` // by kind
	Watermarks []storage.Watermark `json:"watermarks"`
	// SyncAddr is where children's sync links connect.
	SyncAddr string `json:"sync_addr,omitempty"`
	// Upstream is the state of the link to the parent (nil without one).
	Upstream *sender.Status `json:"upstream,omitempty"`
	// Stale lists origins below this node not heard from within
	// StaleAfter (the node's stale_after).
	Stale      []storage.Watermark `json:"stale,omitempty"`
	StaleAfter string              `json:"stale_after,omitempty"`
	// Raft is this server's place in its node's raft group (operator.go).
	Raft *RaftInfo `json:"raft,omitempty"`
}

package storage

import (
	"encoding/json"
	"time"

	"fedsync/area"
	"fedsync/registry"
)

// Op is the operation of a mutation or log entry.
type Op uint8

// Operations. The numeric values are part of the log encoding.
const (
	OpPut    Op = 1 // create or replace a record
	OpDelete Op = 2 // remove a record
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	}
	return "invalid"
}

// Mode says how a put treats an existing record.
type Mode uint8

// Modes of a put.
const (
	// ModeCreate refuses a put whose id exists with different content; a put
	// of identical content is a no-op (Result.Unchanged). Imports use it.
	ModeCreate Mode = 1
	// ModeUpdate refuses a put whose id does not exist.
	ModeUpdate Mode = 2
	// ModeUpsert creates or replaces.
	ModeUpsert Mode = 3
)

// Mutation is one requested change to a record owned by the local origin.
type Mutation struct {
	Op   Op
	Mode Mode // for OpPut
	Kind registry.Kind
	ID   string
	Body []byte // canonical JSON (registry.Encode) for OpPut; empty for OpDelete
}

// Result is the outcome of one Mutation, in the order given.
type Result struct {
	Seq       uint64 // log seq assigned; 0 when nothing was written
	Unchanged bool   // the put matched the stored record exactly
	Created   bool   // the put created the record (no record had the id)
	Err       error  // why this mutation was refused (nil when applied); wraps ErrExists, ErrNotFound or a *registry.FieldError
	Body      []byte // the stored body after the change (puts), for echoing to the caller
}

// Entry is one change-log entry (DESIGN §4). Seq is gap-free per origin,
// starting at 1. Chain = SHA-256(previous Chain ‖ Encode(entry without Chain)),
// with the all-zero hash before seq 1.
type Entry struct {
	Origin area.Code
	Seq    uint64
	Time   int64 // origin time, Unix nanoseconds
	Kind   registry.Kind
	ID     string
	Op     Op
	Body   []byte
	Chain  [32]byte
}

// Stored is a record as held in the store: owned or replicated.
type Stored struct {
	Kind    registry.Kind   `json:"kind"`
	Origin  area.Code       `json:"origin"`
	ID      string          `json:"id"`
	Seq     uint64          `json:"seq"`     // seq of the entry that last wrote it
	Updated time.Time       `json:"updated"` // origin time of that entry
	Body    json.RawMessage `json:"record"`
}

// ListQuery selects records for a paginated list.
type ListQuery struct {
	Kind  registry.Kind
	Area  area.Code         // records whose Area() lies in this subtree; "" = all
	Where map[string]string // JSON field name = value (string form), all must match
	After string            // opaque cursor from the previous page's Next
	Limit int               // 1..MaxPageSize; 0 = DefaultPageSize
}

// Page sizes for ListQuery.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// ListPage is one page of a list.
type ListPage struct {
	Items []Stored `json:"items"`
	Next  string   `json:"next,omitempty"` // cursor for the next page; empty at the end

	lastKey []byte // key of the last item, for building Next
}

// Watermark is what a store holds of one origin's log.
type Watermark struct {
	Origin    area.Code `json:"origin"`
	Seq       uint64    `json:"seq"`        // highest seq applied
	Chain     [32]byte  `json:"-"`          // chain hash at Seq
	Time      int64     `json:"time"`       // origin time of entry Seq (Unix ns)
	HeardFrom int64     `json:"heard_from"` // local time the origin was last heard from (Unix ns)
	// Via is the child node (sender area) that last delivered this origin's
	// entries or state here: the direct child on the path to the origin
	// normally, a node further down when that child was bypassed. "" for
	// this node's own origin and for watermarks written before Via existed.
	Via area.Code `json:"via,omitempty"`
}

package storage

import "errors"

// Sentinel errors of the storage package. Compare with errors.Is.
var (
	// ErrNotFound is returned when a record, origin or entry is absent.
	ErrNotFound = errors.New("not found")
	// ErrExists is returned when a create names an id that exists with
	// different content.
	ErrExists = errors.New("already exists with different content")
	// ErrConflict is returned when a change contradicts stored state in
	// another way (a reference to a missing record, a record outside its
	// origin's area).
	ErrConflict = errors.New("conflicts with stored state")
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("store file is locked by another process")
	// ErrSchema is returned by Open when the file's schema version is newer
	// than this binary understands, or the file is not a fedsync store.
	ErrSchema = errors.New("unsupported store schema")
	// ErrCorrupt is returned when stored bytes fail to decode.
	ErrCorrupt = errors.New("corrupt store data")
	// ErrInvalidCursor is returned by List when the After cursor is not one
	// it issued for the same kind and area.
	ErrInvalidCursor = errors.New("invalid list cursor")
	// ErrNotOwner is returned when a node writes a kind that its level does
	// not own (DESIGN §3: streets own communities, orgs, activities,
	// projects and talent; counties own registrations; platforms belong to
	// streets, counties and cities).
	ErrNotOwner = errors.New("this node's level does not own that kind")
	// ErrHashKey is returned by Open when the store's own records were
	// logged with another hash key than the one configured (docs/SECURITY.md,
	// "Personal data"): every hash it sends would change.
	ErrHashKey = errors.New("the hash key differs from the one this store's log was hashed with")
	// ErrClosed is returned by operations on a closed store.
	ErrClosed = errors.New("store is closed")
)

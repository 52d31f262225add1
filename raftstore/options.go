package raftstore

import (
	"fmt"
	"io/fs"
	"time"
)

// Default values used for zero Options fields.
const (
	// DefaultTimeout is how long Open waits for the file lock.
	DefaultTimeout = time.Second
	// DefaultFileMode is the permission of a newly created store file.
	DefaultFileMode fs.FileMode = 0o600
)

// Options configure Open. The zero value is valid and means the defaults.
type Options struct {
	// NoSync skips fsync after every write transaction.
	//
	// UNSAFE: with NoSync a crash or power loss can lose or corrupt entries
	// that raft has already acknowledged, which breaks raft's safety
	// guarantees (a node may forget its vote or committed entries). Use it
	// only in tests and benchmarks, never in production. Default false.
	NoSync bool

	// Timeout is how long Open waits to take the exclusive file lock before
	// failing with ErrLocked. Zero means DefaultTimeout (1s); negative is
	// invalid.
	Timeout time.Duration

	// FileMode is the permission used if Open creates the file. Only
	// permission bits are allowed. Zero means DefaultFileMode (0600).
	FileMode fs.FileMode
}

// DefaultOptions returns Options with every default filled in.
func DefaultOptions() Options {
	return Options{Timeout: DefaultTimeout, FileMode: DefaultFileMode}
}

// Validate reports whether o can be used by Open. The error wraps
// ErrInvalidOptions and names the offending field.
func (o Options) Validate() error {
	if o.Timeout < 0 {
		return fmt.Errorf("%w: Timeout %s is negative", ErrInvalidOptions, o.Timeout)
	}
	if o.FileMode&^fs.ModePerm != 0 {
		return fmt.Errorf("%w: FileMode %s has non-permission bits", ErrInvalidOptions, o.FileMode)
	}
	return nil
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.FileMode == 0 {
		o.FileMode = DefaultFileMode
	}
	return o
}

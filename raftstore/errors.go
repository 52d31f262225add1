package raftstore

import "errors"

// Errors from Open.
var (
	// ErrLocked is returned when Open cannot take the exclusive file lock
	// within Options.Timeout, which means another process (or another Store
	// in this process) holds the file open. Stop the other holder or point
	// this one at a different path.
	ErrLocked = errors.New("raftstore: another process holds the store file lock")

	// ErrInvalidOptions is returned when Open is given Options that fail
	// Options.Validate.
	ErrInvalidOptions = errors.New("raftstore: invalid options")
)

// Errors from reading and writing.
var (
	// ErrClosed is returned when a method is called on a Store after Close.
	ErrClosed = errors.New("raftstore: store is closed")

	// ErrCorrupt is returned when stored bytes cannot be decoded: a log
	// entry that is truncated, has trailing bytes or impossible field
	// values, a log key that is not 8 bytes or disagrees with the entry's
	// index, or a SetUint64 value that is not 8 bytes.
	ErrCorrupt = errors.New("raftstore: corrupt data")

	// ErrUnsupportedVersion is returned when a stored log entry carries a
	// format version byte this build does not know, for example one written
	// by a newer fedsync.
	ErrUnsupportedVersion = errors.New("raftstore: unsupported log format version")

	// ErrNilLog is returned when StoreLog or StoreLogs is given a nil
	// *raft.Log.
	ErrNilLog = errors.New("raftstore: nil log")
)

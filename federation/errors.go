package federation

import (
	"errors"
	"fmt"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrShutdown is returned by every Pool method that needs the network
	// once Shutdown has been called.
	ErrShutdown = errors.New("gossip pool is shut down")
	// ErrLeft is returned by Join and UpdateMeta after Leave: a server that
	// left must be shut down and started again to rejoin.
	ErrLeft = errors.New("server has left the gossip pool (restart it to rejoin)")
	// ErrKeyMismatch is returned by Join when the peers could not decrypt
	// our messages or we could not decrypt theirs: the keyrings share no
	// key, or one side has none.
	ErrKeyMismatch = errors.New("gossip key mismatch or missing (check the keyring)")
	// ErrNoAddrs is returned by Join when it is given no address.
	ErrNoAddrs = errors.New("no gossip address to join")
	// ErrBroadcastTimeout is returned by UpdateMeta and Leave when the
	// message was not handed to enough peers within the timeout. The change
	// is in effect locally and gossip keeps spreading it; treat it as a
	// warning.
	ErrBroadcastTimeout = errors.New("timed out waiting for the gossip broadcast")
	// ErrUnknownMember is returned by ForceLeave for a name the pool does
	// not know (or no longer reports).
	ErrUnknownMember = errors.New("unknown member")
	// ErrMemberAlive is returned by ForceLeave for a member that is alive:
	// force-leave only clears failed members.
	ErrMemberAlive = errors.New("member is alive; force-leave only clears failed members (stop it, or run leave on it)")
	// ErrMetaFixed is returned by UpdateMeta when the new metadata changes
	// the server name or the area, which are fixed for the life of a pool.
	ErrMetaFixed = errors.New("server name and area cannot change while the pool runs (restart with the new values)")
	// ErrPrimaryKey is returned by RemoveKey for the key in use.
	ErrPrimaryKey = errors.New("cannot remove the primary gossip key; use another key first")
	// ErrKeyNotInstalled is returned by UseKey and RemoveKey for a key that
	// is not in the keyring.
	ErrKeyNotInstalled = errors.New("gossip key is not installed (install it first)")
	// ErrBadKey is returned for a key that is not base64 of 32 bytes.
	ErrBadKey = errors.New("gossip key must be base64 of 32 bytes (AES-256)")
	// ErrBadMeta is wrapped by every error about member metadata that does
	// not decode or validate; the chain also holds a *FieldError.
	ErrBadMeta = errors.New("invalid member metadata")
	// ErrConflict is wrapped by refusals of the ConflictChecker and by name
	// conflicts (two servers with one name at different addresses).
	ErrConflict = errors.New("member conflicts with the pool")
	// ErrConfig is wrapped by every error of Config.Validate.
	ErrConfig = errors.New("invalid gossip config")
)

// FieldError names the field of a Config or a Meta (in its encoded form:
// "meta.api_addr") that is wrong, and why.
type FieldError struct {
	Field   string // e.g. "meta.area", "keyring.primary", "timings.probe_interval"
	Problem string // what is wrong, for people
}

// Error renders "FIELD: PROBLEM".
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// RefusalError says why a member was refused: its metadata did not decode
// or validate (wraps ErrBadMeta and a *FieldError), the ConflictChecker
// refused it, or its name is taken (both wrap ErrConflict).
type RefusalError struct {
	Name string // the gossip node name of the refused server
	Addr string // its gossip address, host:port
	Err  error
}

// Error names the server and the reason.
func (e *RefusalError) Error() string {
	return fmt.Sprintf("refused member %q (%s): %v", e.Name, e.Addr, e.Err)
}

// Unwrap returns the reason.
func (e *RefusalError) Unwrap() error { return e.Err }

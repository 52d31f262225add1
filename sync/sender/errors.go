package sender

import "errors"

// Sentinel errors of the sender. Compare with errors.Is; session errors
// also appear, as text, in Status.LastError.
var (
	// ErrConfig is returned by Config.Validate and New when a field is
	// invalid; the message names the field.
	ErrConfig = errors.New("invalid sender config")
	// ErrRunning is returned by Run when the Sender is already running.
	ErrRunning = errors.New("sender is already running")
	// ErrWelcome is returned when the parent refuses the hello (Welcome
	// carries an error) or welcomes as an area that is not an ancestor.
	ErrWelcome = errors.New("parent refused the link")
	// ErrBatchRefused is returned when the parent refuses a batch as a whole
	// (Ack.Error: it did not decode, a limit, not leader); the session ends.
	ErrBatchRefused = errors.New("parent refused a batch")
	// ErrProtocol is returned when the parent's acks do not match the
	// batches sent (an extra ack, other ranges, an unknown status).
	ErrProtocol = errors.New("sync protocol violation")
	// ErrAckTimeout is returned when the oldest outstanding batch has waited
	// longer than Config.AckTimeout for its ack.
	ErrAckTimeout = errors.New("no ack from the parent in time")
)

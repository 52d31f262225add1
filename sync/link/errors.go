package link

import (
	"errors"
	"fmt"
)

// Sentinel errors; compare with errors.Is. Protocol violations are
// *ProtocolError values whose chain holds ErrFrameTooLarge, ErrFrameType or
// ErrMalformed.
var (
	// ErrFrameTooLarge is returned when a frame declares a payload longer
	// than the limit of its type (MaxControlBytes, or MaxBatchBytes for
	// batches), and by Session.Send for a batch over the dialer's limit
	// (then nothing was written and the session stays open).
	ErrFrameTooLarge = errors.New("frame exceeds its size limit")
	// ErrFrameType is returned when a frame's type byte is unknown, or is a
	// known type the link does not expect at that point (a batch before the
	// hello, a welcome from the child).
	ErrFrameType = errors.New("unexpected frame type")
	// ErrMalformed is returned when a frame's length is not a valid uvarint
	// or a control payload is not JSON of its proto type.
	ErrMalformed = errors.New("malformed frame")
	// ErrRefused is returned by Dialer.Dial when the parent answers the
	// hello with a welcome whose Error is set; the error text carries it.
	ErrRefused = errors.New("hello refused")
	// ErrVersion is returned when the peer speaks a link protocol version
	// other than proto.Version.
	ErrVersion = errors.New("unsupported link protocol version")
	// ErrClosed is returned by Session.Send and Session.Recv once the
	// session is closed, including when Close interrupts them.
	ErrClosed = errors.New("link closed")
	// ErrIdle is returned (and logged by the server) when a link receives
	// nothing for IdleTimeout while no ack is owed on it.
	ErrIdle = errors.New("link idle")
	// ErrConfig is returned when a ServerConfig or Dialer is invalid.
	ErrConfig = errors.New("invalid link config")
)

// Rule names carried by ProtocolError.Rule and, for a refused batch, by
// proto.Ack.Rule. They are stable identifiers to log, count or show.
const (
	RuleFrameSize  = "frame-size"  // ErrFrameTooLarge
	RuleFrameType  = "frame-type"  // ErrFrameType: unknown type byte
	RuleFrameOrder = "frame-order" // ErrFrameType: known type, wrong place
	RuleLength     = "length"      // ErrMalformed: bad uvarint length
	RulePayload    = "payload"     // ErrMalformed: control payload not JSON of its type
)

// ProtocolError reports a frame that breaks a rule of the link protocol.
// The link it arrived on is closed.
type ProtocolError struct {
	Rule  string    // one of the Rule* constants
	Frame FrameType // the frame's type byte as read, known or not
	Err   error     // wraps one sentinel, with detail
}

// Error names the rule and the detail.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("link protocol violation (rule %s): %v", e.Rule, e.Err)
}

// Unwrap returns Err, which wraps the sentinel.
func (e *ProtocolError) Unwrap() error { return e.Err }

func protoErr(rule string, t FrameType, sentinel error, format string, args ...any) *ProtocolError {
	return &ProtocolError{Rule: rule, Frame: t, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

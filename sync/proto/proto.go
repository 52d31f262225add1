// Package proto holds the messages of the upward sync link other than the
// entry batches themselves (those are sync/wire): the hello a child sends
// when it connects, the welcome with the parent's watermarks, and the
// acknowledgement of each batch. It also declares the interfaces the link
// and the sender meet at.
//
// A link is one ordered, reliable byte stream from a child (the sender) to
// its parent (the receiver):
//
//	child → parent: Hello, then batches (sync/wire), back to back
//	parent → child: Welcome, then one Ack per batch, in batch order
//
// The sender keeps several batches in flight; the receiver submits them to
// raft in arrival order, so they apply in the order sent.
package proto

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"fedsync/area"
)

// Version is the link protocol version carried in Hello.
const Version = 1

// Hello opens a link.
type Hello struct {
	Version int       `json:"version"`
	Sender  area.Code `json:"sender"` // the child node's area
	Server  string    `json:"server"` // the child server's name, for logs
}

// Mark is what a receiver holds of one origin.
type Mark struct {
	Origin area.Code `json:"origin"`
	Seq    uint64    `json:"seq"`
	Chain  [32]byte  `json:"chain"`
}

// Welcome answers Hello: the receiver's watermark of every origin in the
// sender's subtree (origins it has never heard of are absent: seq 0). The
// sender starts each origin at Seq+1.
type Welcome struct {
	Version  int       `json:"version"`
	Receiver area.Code `json:"receiver"`
	Server   string    `json:"server,omitempty"` // the receiving server's name, for status and logs
	Marks    []Mark    `json:"marks"`
	Error    string    `json:"error,omitempty"` // set when the hello is refused; the link then closes
}

// Range statuses in an Ack (the names of storage.RangeStatus).
const (
	StatusApplied   = "applied"
	StatusDuplicate = "duplicate"
	StatusGap       = "gap"
	StatusRefused   = "refused"
)

// RangeAck is the outcome of one range of a batch.
type RangeAck struct {
	Origin    area.Code `json:"origin"`
	Status    string    `json:"status"`
	Applied   int       `json:"applied"`
	Watermark uint64    `json:"watermark"` // the receiver's watermark after the batch
	Error     string    `json:"error,omitempty"`
}

// Ack answers one batch. Error is set when the batch as a whole was refused
// (it did not decode, a limit, not leader): nothing of it was applied.
type Ack struct {
	Ranges []RangeAck `json:"ranges,omitempty"`
	Error  string     `json:"error,omitempty"`
	// Rule names the rule a refused batch broke (e.g. "checksum"), when known.
	Rule string `json:"rule,omitempty"`
}

// Receiver is what the link server needs from a node.
type Receiver interface {
	// Welcome returns the marks of every origin in sender's subtree, or an
	// error when sender may not send here.
	Welcome(ctx context.Context, h Hello) (Welcome, error)
	// Submit starts applying one encoded batch and returns a function that
	// waits for its Ack. Batches submitted in order apply in order.
	Submit(ctx context.Context, sender area.Code, batch []byte) (wait func() Ack)
}

// Session is an open link, as the sender sees it.
type Session interface {
	// Welcome is the parent's answer to the hello.
	Welcome() Welcome
	// Send writes one encoded batch; it does not wait for its Ack.
	Send(ctx context.Context, batch []byte) error
	// Recv returns the next Ack, in the order batches were sent; an error
	// ends the session.
	Recv(ctx context.Context) (Ack, error)
	// Close ends the session.
	Close() error
}

// Pinger is an optional interface of a Session: Ping sends a keepalive,
// answered by an empty Ack in order with the batches. An idle sender pings
// so that the parent knows its subtree is alive and the link is not closed
// for idleness.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Heartbeater is an optional interface of a Receiver, told of every ping
// from a sender.
type Heartbeater interface {
	Heartbeat(sender area.Code)
}

// Dialer opens sessions to the parent.
type Dialer interface {
	Dial(ctx context.Context, h Hello) (Session, error)
}

// markJSON is Mark's JSON form: the chain as 64 hex digits.
type markJSON struct {
	Origin area.Code `json:"origin"`
	Seq    uint64    `json:"seq"`
	Chain  string    `json:"chain"`
}

// MarshalJSON writes the chain in hex (a Welcome lists thousands of marks).
func (m Mark) MarshalJSON() ([]byte, error) {
	return json.Marshal(markJSON{Origin: m.Origin, Seq: m.Seq, Chain: hex.EncodeToString(m.Chain[:])})
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (m *Mark) UnmarshalJSON(b []byte) error {
	var j markJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	c, err := hex.DecodeString(j.Chain)
	if err != nil || len(c) != 32 {
		return fmt.Errorf("mark of %s: chain %q is not 64 hex digits", j.Origin, j.Chain)
	}
	m.Origin, m.Seq = j.Origin, j.Seq
	copy(m.Chain[:], c)
	return nil
}

// A receiver that is not its node's raft leader refuses a Hello (and
// batches); when it knows the leader's sync address it ends the refusal's
// text with a hint, " (leader sync HOST:PORT)", so that the sender dials
// the leader next instead of trying the parent's servers in turn. The
// hint is advice: the leader's Welcome is checked like any other.
const leaderHintPrefix = " (leader sync "

// WithLeaderHint appends the leader hint for addr to a refusal's text; an
// empty addr adds nothing.
func WithLeaderHint(reason, addr string) string {
	if addr == "" {
		return reason
	}
	return reason + leaderHintPrefix + addr + ")"
}

// LeaderHint returns the address of the leader hint that ends msg, or "".
func LeaderHint(msg string) string {
	i := strings.LastIndex(msg, leaderHintPrefix)
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return ""
	}
	addr := msg[i+len(leaderHintPrefix) : len(msg)-1]
	if strings.ContainsAny(addr, " ()") {
		return ""
	}
	return addr
}

package federation

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Status is a member's state as this server sees it.
type Status uint8

// Member statuses. The zero value, StatusNone, is "not known" (Event.Prev of
// a member seen for the first time).
const (
	StatusNone Status = iota
	// StatusAlive: answering probes, or not yet suspected.
	StatusAlive
	// StatusSuspect is part of the vocabulary but not reported: memberlist
	// v0.7.0 keeps suspicion internal (its Node.State is never set for
	// delegates), so a suspect member shows as alive until declared dead.
	StatusSuspect
	// StatusLeaving: alive, and has announced it is leaving (Pool.Leave).
	StatusLeaving
	// StatusDead: declared failed by the failure detector.
	StatusDead
	// StatusLeft: left gracefully, or cleared by ForceLeave.
	StatusLeft
)

var statusNames = [...]string{"none", "alive", "suspect", "leaving", "dead", "left"}

// String returns the lowercase name: "alive", "dead", ...
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Up reports whether the member takes part in the pool: alive, suspect or
// leaving.
func (s Status) Up() bool { return s == StatusAlive || s == StatusSuspect || s == StatusLeaving }

// Member is one server of the federation as this server sees it.
type Member struct {
	Meta                 // name, area, level, addresses, raft role, version
	GossipAddr string    // host:port of its gossip (memberlist) endpoint
	Status     Status    // as seen here
	Since      time.Time // when Status last changed here (local clock)
}

// EventKind says what changed.
type EventKind uint8

// Event kinds.
const (
	EventJoin    EventKind = iota + 1 // a member became alive (new, or back from dead/left)
	EventUpdate                       // an alive member's metadata changed (raft role, leaving, addresses)
	EventFailed                       // a member was declared dead
	EventLeft                         // a member left, or was force-left here
	EventRefused                      // a server was refused (bad metadata, conflict); see Event.Err
)

var eventNames = [...]string{"", "join", "update", "failed", "left", "refused"}

// String returns "join", "update", "failed", "left" or "refused".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Event is one membership change, delivered to Config.OnEvent.
type Event struct {
	Kind   EventKind
	Member Member // the member after the change; for EventRefused only Name and GossipAddr are sure
	Prev   Status // its status before (StatusNone when first seen)
	Err    error  // EventRefused: a *RefusalError saying why
}

// ConflictChecker decides whether candidate may be a member of the pool.
// sameArea holds the up members this server knows in candidate's area,
// candidate itself (by name) excluded. A non-nil error refuses the
// candidate: this server ignores it (logs and reports EventRefused), and a
// server that finds itself refused while joining gets the error from Join.
//
// It runs under memberlist's locks, on every alive message and join: it
// must be fast, must not block, and must not call the Pool. Example: refuse
// a server that claims an area whose servers form another raft group
// (names not in its raft configuration).
type ConflictChecker func(candidate Member, sameArea []Member) error

// sortMembers sorts by name, the order every listing uses.
func sortMembers(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
}

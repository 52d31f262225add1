package federation

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"unicode"
	"unicode/utf8"

	"fedsync/area"
)

// RaftRole is what a server last knew of its own place in its node's raft
// group. It is advisory: a member whose role is stale (a leader that lost an
// election but has not gossiped yet) must be tolerated by readers.
type RaftRole uint8

// Raft roles as gossiped. The zero value is RoleUnknown.
const (
	RoleUnknown  RaftRole = 0 // not started, candidate, or shutting down
	RoleFollower RaftRole = 1
	RoleLeader   RaftRole = 2
)

var roleNames = [...]string{"unknown", "follower", "leader"}

// String returns "unknown", "follower" or "leader".
func (r RaftRole) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "role(" + strconv.Itoa(int(r)) + ")"
}

// GroupID identifies a node's raft group: the servers of one area that
// replicate one log. Two servers claiming one area with different non-zero
// groups are two independent nodes of that area, which the federation
// refuses (see node's conflict check). The zero GroupID means "not known
// yet" (a server joining an existing group before it has heard from the
// group's leader) and conflicts with nothing.
type GroupID [8]byte

// IsZero reports whether g is the unknown group.
func (g GroupID) IsZero() bool { return g == GroupID{} }

// String returns g as 16 lowercase hex digits ("" for the zero group).
func (g GroupID) String() string {
	if g.IsZero() {
		return ""
	}
	return hex.EncodeToString(g[:])
}

// ParseGroupID parses 16 hex digits; "" is the zero group.
func ParseGroupID(s string) (GroupID, error) {
	var g GroupID
	if s == "" {
		return g, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(g) {
		return g, fieldErr("meta.group", "%q is not 16 hex digits", s)
	}
	copy(g[:], b)
	return g, nil
}

// Limits of the encoded metadata. The largest valid encoding (version 2) is
// 24 + (1+64) + 3*(1+128) + (1+32) = 509 bytes, under memberlist's
// MetaMaxSize of 512.
const (
	MetaVersion    = 2   // the newest encoding EncodeMeta writes (when Meta.Group is set)
	MaxNameLen     = 64  // bytes of Meta.Name
	MaxAddrLen     = 128 // bytes of each host:port address
	MaxVersionLen  = 32  // bytes of Meta.Version
	metaFixedLen   = 16  // version 1: version, area(12), level, role, flags
	metaFixedLenV2 = 24  // version 2: the same and the raft group (8)
	metaMaxEncoded = metaFixedLenV2 + (1 + MaxNameLen) + 3*(1+MaxAddrLen) + (1 + MaxVersionLen)
)

// flagLeaving is set by Pool.Leave just before the leave message: readers
// that see it report the member as leaving, then left rather than dead.
const (
	flagLeaving  byte = 1 << 0
	knownFlags        = flagLeaving
	metaFieldTop      = "meta"
)

// Meta is what every server gossips about itself (memberlist Node.Meta).
type Meta struct {
	Name     string     // server name, = the gossip node name; ≤ 64 bytes, printable, no spaces or '/'
	Area     area.Code  // the area of the server's node
	Level    area.Level // Area's level: province, city, county or street
	APIAddr  string     // host:port of the HTTP API
	SyncAddr string     // host:port of the upward-sync link server; "" for a street (no children)
	RaftAddr string     // host:port of the raft transport
	RaftRole RaftRole   // last known raft role
	Version  string     // fedsync version, e.g. "0.4.0"; ≤ 32 bytes, printable, no spaces
	Group    GroupID    // the node's raft group; zero while not known (format version 2 carries it)
}

// Validate checks every field and returns a *FieldError (wrapping nothing)
// naming the first bad one, e.g. "meta.level".
func (m Meta) Validate() error {
	if err := checkName("meta.name", m.Name); err != nil {
		return err
	}
	if err := checkArea(m.Area, m.Level); err != nil {
		return err
	}
	for _, a := range []struct{ field, v string }{
		{"meta.api_addr", m.APIAddr}, {"meta.sync_addr", m.SyncAddr}, {"meta.raft_addr", m.RaftAddr},
	} {
		if a.v == "" && a.field == "meta.sync_addr" && m.Level == area.LevelStreet {
			continue // a street has no children, so no sync listener
		}
		if err := checkHostPort(a.field, a.v); err != nil {
			return err
		}
	}
	if m.RaftRole > RoleLeader {
		return fieldErr("meta.raft_role", "unknown role %d (want 0 unknown, 1 follower, 2 leader)", m.RaftRole)
	}
	return checkToken("meta.version", m.Version, MaxVersionLen)
}

func checkArea(c area.Code, l area.Level) error {
	if _, err := area.Parse(string(c)); err != nil {
		return fieldErr("meta.area", "%v", err)
	}
	if l != c.Level() {
		return fieldErr("meta.level", "level %s does not match area %s (a %s)", l, c, c.Level())
	}
	if l == area.LevelCommunity {
		return fieldErr("meta.level", "no node runs at community level (area %s)", c)
	}
	return nil
}

// checkName: 1..MaxNameLen bytes of printable UTF-8 without spaces or '/'
// (memberlist's join syntax "name/host:port" uses the slash).
func checkName(field, s string) error {
	if err := checkToken(field, s, MaxNameLen); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return fieldErr(field, "%q contains '/'", s)
		}
	}
	return nil
}

// checkToken: 1..max bytes of valid UTF-8, every rune printable and not a
// space.
func checkToken(field, s string, max int) error {
	switch {
	case s == "":
		return fieldErr(field, "empty")
	case len(s) > max:
		return fieldErr(field, "%d bytes, longer than %d", len(s), max)
	case !utf8.ValidString(s):
		return fieldErr(field, "not valid UTF-8")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return fieldErr(field, "%q contains a space or a non-printable character", s)
		}
	}
	return nil
}

// checkHostPort: "host:port", host a name or IP (IPv6 in brackets), port
// 1..65535 in decimal.
func checkHostPort(field, s string) error {
	if err := checkToken(field, s, MaxAddrLen); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fieldErr(field, "want host:port: %v", err)
	}
	if host == "" {
		return fieldErr(field, "%q has no host", s)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || port[0] == '+' || port[0] == '0' {
		return fieldErr(field, "%q: port must be 1..65535", s)
	}
	return nil
}

// EncodeMeta encodes m. A Meta without a raft group is written in layout
// version 1, one with a group in version 2 (so servers that only read
// version 1 keep reading every server that has no group):
//
//	byte 0      format version (1 or 2)
//	bytes 1-12  area, 12 ASCII digits
//	byte 13     level (1 province, 2 city, 3 county, 4 street)
//	byte 14     raft role (0 unknown, 1 follower, 2 leader)
//	byte 15     flags (bit 0: leaving; other bits zero)
//	bytes 16-23 version 2 only: raft group, 8 bytes, not all zero
//	then five strings, each a length byte and that many bytes:
//	name, api_addr, sync_addr, raft_addr, version
//
// It validates m first and returns the *FieldError of Validate.
func EncodeMeta(m Meta) ([]byte, error) { return encodeMeta(m, 0) }

func encodeMeta(m Meta, flags byte) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, metaMaxEncoded)
	if m.Group.IsZero() {
		b = append(b, 1)
	} else {
		b = append(b, 2)
	}
	b = append(b, m.Area...)
	b = append(b, byte(m.Level), byte(m.RaftRole), flags)
	if !m.Group.IsZero() {
		b = append(b, m.Group[:]...)
	}
	for _, s := range []string{m.Name, m.APIAddr, m.SyncAddr, m.RaftAddr, m.Version} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// DecodeMeta decodes and validates metadata received from the network, in
// layout version 1 or 2. It is strict: an unknown version, a version-2
// encoding with a zero group, a short or long input, an unknown flag or any
// invalid field is an error wrapping ErrBadMeta and a *FieldError naming the
// field ("meta.format" for the version byte, "meta.sync_addr",
// "meta.trailing").
func DecodeMeta(b []byte) (Meta, error) {
	m, _, err := decodeMeta(b)
	return m, err
}

func decodeMeta(b []byte) (Meta, byte, error) {
	m, flags, ferr := parseMeta(b)
	if ferr == nil {
		ferr = m.Validate()
	}
	if ferr != nil {
		return Meta{}, 0, fmt.Errorf("%w: %w", ErrBadMeta, ferr)
	}
	return m, flags, nil
}

// parseMeta reads the layout without judging the values (Validate does).
func parseMeta(b []byte) (Meta, byte, error) {
	var m Meta
	switch {
	case len(b) == 0:
		return m, 0, fieldErr("meta.format", "empty metadata")
	case b[0] != 1 && b[0] != 2:
		return m, 0, fieldErr("meta.format", "unsupported format version %d (this server reads 1 and 2)", b[0])
	case len(b) > metaMaxEncoded:
		return m, 0, fieldErr(metaFieldTop, "%d bytes, longer than %d", len(b), metaMaxEncoded)
	case len(b) < metaFixedLen:
		return m, 0, fieldErr(fixedFieldAt(len(b)), "truncated: %d bytes", len(b))
	}
	fixed := metaFixedLen
	if b[0] == 2 {
		if len(b) < metaFixedLenV2 {
			return m, 0, fieldErr("meta.group", "truncated: %d bytes", len(b))
		}
		copy(m.Group[:], b[metaFixedLen:metaFixedLenV2])
		if m.Group.IsZero() {
			return m, 0, fieldErr("meta.group", "zero group in a version-2 encoding (a server without a group writes version 1)")
		}
		fixed = metaFixedLenV2
	}
	m.Area = area.Code(b[1:13])
	m.Level, m.RaftRole = area.Level(b[13]), RaftRole(b[14])
	flags := b[15]
	if flags&^knownFlags != 0 {
		return m, 0, fieldErr("meta.flags", "unknown flag bits %#02x", flags&^knownFlags)
	}
	rest := b[fixed:]
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"meta.name", &m.Name}, {"meta.api_addr", &m.APIAddr}, {"meta.sync_addr", &m.SyncAddr},
		{"meta.raft_addr", &m.RaftAddr}, {"meta.version", &m.Version},
	} {
		if len(rest) == 0 || int(rest[0]) > len(rest)-1 {
			return m, 0, fieldErr(f.name, "truncated")
		}
		*f.dst, rest = string(rest[1:1+int(rest[0])]), rest[1+int(rest[0]):]
	}
	if len(rest) != 0 {
		return m, 0, fieldErr("meta.trailing", "%d unexpected bytes after the last field", len(rest))
	}
	return m, flags, nil
}

// fixedFieldAt names the fixed-layout field a truncated input stops in.
func fixedFieldAt(n int) string {
	switch {
	case n < 13:
		return "meta.area"
	case n < 14:
		return "meta.level"
	case n < 15:
		return "meta.raft_role"
	default:
		return "meta.flags"
	}
}

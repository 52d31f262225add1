package wire

import (
	"errors"
	"fmt"

	"fedsync/area"
)

// Sentinel errors. Every error Decode returns is a *RuleError whose chain
// holds exactly one of these; compare with errors.Is. Encode returns the same
// sentinels for a batch Decode would refuse.
var (
	// ErrTruncated is returned when the data ends before the header or the
	// payload it declares (a cut transfer, or a corrupted range count).
	ErrTruncated = errors.New("batch truncated")
	// ErrBadMagic is returned when the data does not start with "FSB".
	ErrBadMagic = errors.New("not a fedsync batch (bad magic)")
	// ErrVersion is returned when the format version or a flag is one this
	// build does not know; the chain also holds a *VersionError.
	ErrVersion = errors.New("unsupported batch format version")
	// ErrChecksum is returned when the CRC-32C of the header or of the
	// compressed payload does not match the bytes received.
	ErrChecksum = errors.New("batch checksum mismatch")
	// ErrTooLarge is returned when a size or count exceeds a Limit, or the
	// payload decompresses to more than its declared raw size. A sender that
	// gets it from Encode must split the batch.
	ErrTooLarge = errors.New("batch exceeds a size limit")
	// ErrRatio is returned when the declared raw size exceeds MaxRatio times
	// the compressed size (a decompression bomb). A sender that gets it from
	// Encode must split the batch; a batch of raw size at most RatioFreeRaw
	// never fails this rule.
	ErrRatio = errors.New("batch compression ratio exceeds the limit")
	// ErrMalformed is returned when the header or payload is structurally
	// invalid: counts that disagree, a duplicate origin, bad varints,
	// trailing bytes, an empty id, an undecodable zstd stream.
	ErrMalformed = errors.New("malformed batch")
	// ErrBadOrigin is returned when the sender or an origin is not a valid
	// 12-digit area code, or an entry's origin differs from its range's.
	ErrBadOrigin = errors.New("invalid origin")
	// ErrSeqGap is returned when a range's entries are not exactly the seqs
	// First..Last in order (a gap, a repeat, First = 0 or Last < First).
	ErrSeqGap = errors.New("seq range not contiguous")
	// ErrUnknownKind is returned when an entry's kind is not a registry kind.
	ErrUnknownKind = errors.New("unknown record kind")
	// ErrBadOp is returned when an entry's op is neither put nor delete.
	ErrBadOp = errors.New("invalid entry op")
	// ErrChainBroken is returned when the chain recomputed from PrevChain
	// over a range's entries differs from EndChain, or a range starting at
	// seq 1 has a non-zero PrevChain.
	ErrChainBroken = errors.New("chain broken")
	// ErrLimits is returned when Limits or EncodeOptions are invalid.
	ErrLimits = errors.New("invalid wire limits")
)

// Rule names carried by RuleError.Rule. They are stable identifiers a
// receiver may log, count or return to the sender.
const (
	RuleMagic      = "magic"       // ErrBadMagic
	RuleVersion    = "version"     // ErrVersion
	RuleTruncated  = "truncated"   // ErrTruncated
	RuleHeaderCRC  = "header-crc"  // ErrChecksum
	RulePayloadCRC = "payload-crc" // ErrChecksum
	RuleSize       = "size"        // ErrTooLarge
	RuleRatio      = "ratio"       // ErrRatio
	RuleStructure  = "structure"   // ErrMalformed
	RuleOrigin     = "origin"      // ErrBadOrigin
	RuleSeq        = "seq"         // ErrSeqGap
	RuleKind       = "kind"        // ErrUnknownKind
	RuleOp         = "op"          // ErrBadOp
	RuleChain      = "chain"       // ErrChainBroken
)

// RuleError reports which rule of the format a batch breaks, and where.
// Origin and Seq are set when the rule concerns one range or entry (Seq is 0
// when only the range is known). Err wraps one sentinel, usually with detail.
type RuleError struct {
	Rule   string    // one of the Rule* constants
	Origin area.Code // the range's origin, or "" for the batch as a whole
	Seq    uint64    // the entry's seq, or 0
	Err    error
}

func (e *RuleError) Error() string {
	switch {
	case e.Origin != "" && e.Seq != 0:
		return fmt.Sprintf("wire: rule %s: origin %s seq %d: %v", e.Rule, e.Origin, e.Seq, e.Err)
	case e.Origin != "":
		return fmt.Sprintf("wire: rule %s: origin %s: %v", e.Rule, e.Origin, e.Err)
	}
	return fmt.Sprintf("wire: rule %s: %v", e.Rule, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// VersionError names the format version and flags of a batch this build
// cannot read. It matches ErrVersion under errors.Is.
type VersionError struct {
	Version byte // version byte found
	Flags   byte // flags byte found (0 when the version is unknown)
}

func (e *VersionError) Error() string {
	if e.Version != Version {
		return fmt.Sprintf("%v: got version %d, this build reads version %d", ErrVersion, e.Version, Version)
	}
	return fmt.Sprintf("%v: version %d with unknown flags %#02x", ErrVersion, e.Version, e.Flags)
}

func (e *VersionError) Is(target error) bool { return target == ErrVersion }

// ruleErr builds a *RuleError whose Err wraps sentinel with a detail message.
func ruleErr(rule string, origin area.Code, seq uint64, sentinel error, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Origin: origin, Seq: seq, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

package wire

import (
	"encoding/binary"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// kindCodes maps kinds to their one-byte payload codes. The codes are part
// of format version 1 and never change; new kinds get new codes. Code 0 is
// never valid.
var kindCodes = map[registry.Kind]byte{
	registry.KindCommunity:    1,
	registry.KindOrg:          2,
	registry.KindActivity:     3,
	registry.KindProject:      4,
	registry.KindTalent:       5,
	registry.KindPlatform:     6,
	registry.KindRegistration: 7,
	storage.KindAudit:         8, // audit entries (storage/audit.go); not a record kind
}

// kindByCode inverts kindCodes; "" marks an unknown code.
var kindByCode = func() (t [256]registry.Kind) {
	for k, c := range kindCodes {
		t[c] = k
	}
	return t
}()

// appendPayload appends the raw (uncompressed) payload of b: its entries
// range by range, in the order given. It does not validate b; deltas are
// taken from the entries as they are, so tests can build invalid payloads.
func appendPayload(dst []byte, b *Batch) []byte {
	for i := range b.Ranges {
		r := &b.Ranges[i]
		prevSeq, prevTime := r.First-1, int64(0)
		for j := range r.Entries {
			e := &r.Entries[j]
			dst = appendEntry(dst, uint64(i), e.Seq-prevSeq, e.Time-prevTime, e)
			prevSeq, prevTime = e.Seq, e.Time
		}
	}
	return dst
}

// appendEntry appends one payload entry with the given origin index and
// deltas.
func appendEntry(dst []byte, idx, seqDelta uint64, timeDelta int64, e *storage.Entry) []byte {
	dst = binary.AppendUvarint(dst, idx)
	dst = binary.AppendUvarint(dst, seqDelta)
	dst = binary.AppendVarint(dst, timeDelta)
	dst = append(dst, kindCodes[e.Kind], byte(e.Op))
	dst = binary.AppendUvarint(dst, uint64(len(e.ID)))
	dst = append(dst, e.ID...)
	dst = binary.AppendUvarint(dst, uint64(len(e.Body)))
	return append(dst, e.Body...)
}

// payloadReader decodes a raw payload into the ranges of a batch whose
// header has been checked. Bodies alias raw.
type payloadReader struct {
	raw  []byte
	pos  int
	b    *Batch
	lim  Limits
	seq  []uint64 // per range: seq of the last entry read (First-1 before any)
	time []int64  // per range: time of the last entry read (0 before any)
}

// parsePayload fills b's ranges from raw and checks every per-entry rule
// except the chain. Entries of different ranges may interleave; each range's
// entries must appear in seq order.
func parsePayload(raw []byte, b *Batch, total int, lim Limits) *RuleError {
	pr := &payloadReader{raw: raw, b: b, lim: lim,
		seq: make([]uint64, len(b.Ranges)), time: make([]int64, len(b.Ranges))}
	for i := range b.Ranges {
		r := &b.Ranges[i]
		pr.seq[i] = r.First - 1
		r.Entries = make([]storage.Entry, 0, r.Count())
	}
	for n := 0; pr.pos < len(raw); n++ {
		if n == total {
			return ruleErr(RuleStructure, "", 0, ErrMalformed, "payload holds more than the %d entries declared", total)
		}
		if rerr := pr.entry(); rerr != nil {
			return rerr
		}
	}
	for i := range b.Ranges {
		if r := &b.Ranges[i]; uint64(len(r.Entries)) != r.Count() {
			return ruleErr(RuleSeq, r.Origin, pr.seq[i]+1, ErrSeqGap, "payload ends after seq %d of range %d..%d", pr.seq[i], r.First, r.Last)
		}
	}
	return nil
}

// entry decodes the next payload entry and appends it to its range.
func (pr *payloadReader) entry() *RuleError {
	idx, ok := pr.uvarint()
	if !ok || idx >= uint64(len(pr.b.Ranges)) {
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "bad origin index at payload byte %d", pr.pos)
	}
	r := &pr.b.Ranges[idx]
	delta, ok := pr.uvarint()
	if !ok {
		return pr.bad(r.Origin, 0, "bad seq delta")
	}
	seq := pr.seq[idx] + delta
	if delta != 1 || seq > r.Last {
		return ruleErr(RuleSeq, r.Origin, pr.seq[idx]+1, ErrSeqGap, "next entry has seq delta %d (range %d..%d)", delta, r.First, r.Last)
	}
	td, n := binary.Varint(pr.raw[pr.pos:])
	if n <= 0 {
		return pr.bad(r.Origin, seq, "bad time delta")
	}
	pr.pos += n
	e := storage.Entry{Origin: r.Origin, Seq: seq, Time: pr.time[idx] + td}
	if rerr := pr.kindOp(&e); rerr != nil {
		return rerr
	}
	id, rerr := pr.field(&e, "id")
	if rerr != nil {
		return rerr
	}
	if len(id) == 0 {
		return pr.bad(r.Origin, seq, "empty id")
	}
	e.ID = string(id)
	if e.Body, rerr = pr.field(&e, "body"); rerr != nil {
		return rerr
	}
	r.Entries = append(r.Entries, e)
	pr.seq[idx], pr.time[idx] = seq, e.Time
	return nil
}

// kindOp reads the kind and op bytes into e.
func (pr *payloadReader) kindOp(e *storage.Entry) *RuleError {
	if len(pr.raw)-pr.pos < 2 {
		return pr.bad(e.Origin, e.Seq, "payload ends inside an entry")
	}
	code, op := pr.raw[pr.pos], storage.Op(pr.raw[pr.pos+1])
	pr.pos += 2
	if e.Kind = kindByCode[code]; e.Kind == "" {
		return ruleErr(RuleKind, e.Origin, e.Seq, ErrUnknownKind, "kind code %d", code)
	}
	if op != storage.OpPut && op != storage.OpDelete {
		return ruleErr(RuleOp, e.Origin, e.Seq, ErrBadOp, "op %d", op)
	}
	e.Op = op
	return nil
}

func (pr *payloadReader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(pr.raw[pr.pos:])
	if n <= 0 {
		return 0, false
	}
	pr.pos += n
	return v, true
}

// field reads a length-prefixed field of e of at most MaxEntryBody bytes.
// The result aliases raw, has no spare capacity, and is nil when empty.
func (pr *payloadReader) field(e *storage.Entry, what string) ([]byte, *RuleError) {
	n, ok := pr.uvarint()
	if !ok || n > uint64(len(pr.raw)-pr.pos) {
		return nil, pr.bad(e.Origin, e.Seq, "bad "+what+" length")
	}
	if n > uint64(pr.lim.MaxEntryBody) {
		return nil, ruleErr(RuleSize, e.Origin, e.Seq, ErrTooLarge, "%s of %d bytes, limit %d", what, n, pr.lim.MaxEntryBody)
	}
	if n == 0 {
		return nil, nil
	}
	b := pr.raw[pr.pos : pr.pos+int(n) : pr.pos+int(n)]
	pr.pos += int(n)
	return b, nil
}

func (pr *payloadReader) bad(origin area.Code, seq uint64, what string) *RuleError {
	return ruleErr(RuleStructure, origin, seq, ErrMalformed, "%s at payload byte %d", what, pr.pos)
}

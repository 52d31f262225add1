package wire

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"

	"fedsync/area"
)

// Version is the batch format version this build writes and reads.
const Version = 1

// Header layout constants (format version 1; see doc.go and FORMAT.md).
const (
	magic          = "FSB"
	offVersion     = 3
	offFlags       = 4
	offSender      = 5
	offRangeCount  = 17
	offRanges      = 21
	rangeDescLen   = 12 + 8 + 8 + 4 + 32 + 32 // origin first last count prev end
	trailerLen     = 4 + 8 + 8 + 4 + 4        // total raw compressed payloadCRC headerCRC
	fixedHeaderLen = offRanges + trailerLen
	// minEntryRaw is the fewest payload bytes one entry can take: origin
	// index, seq delta, time delta, kind, op, id length, one id byte, body
	// length.
	minEntryRaw = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// headerLen returns the header length of a batch of n ranges.
func headerLen(n int) int { return fixedHeaderLen + n*rangeDescLen }

// trailer holds the header fields after the range table.
type trailer struct {
	total      uint32 // entries in the batch
	raw        uint64 // payload size before compression
	compressed uint64 // payload size on the wire
	payloadCRC uint32 // CRC-32C of the compressed payload
}

// appendHeader appends the header of b with trailer t, header CRC included.
func appendHeader(dst []byte, b *Batch, t trailer) []byte {
	start := len(dst)
	dst = append(dst, magic...)
	dst = append(dst, Version, 0)
	dst = append(dst, b.Sender...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b.Ranges)))
	for i := range b.Ranges {
		r := &b.Ranges[i]
		dst = append(dst, r.Origin...)
		dst = binary.BigEndian.AppendUint64(dst, r.First)
		dst = binary.BigEndian.AppendUint64(dst, r.Last)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(r.Entries)))
		dst = append(dst, r.PrevChain[:]...)
		dst = append(dst, r.EndChain[:]...)
	}
	dst = binary.BigEndian.AppendUint32(dst, t.total)
	dst = binary.BigEndian.AppendUint64(dst, t.raw)
	dst = binary.BigEndian.AppendUint64(dst, t.compressed)
	dst = binary.BigEndian.AppendUint32(dst, t.payloadCRC)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// readPreamble checks magic, version, length and header CRC, and returns
// the header length. It reads nothing the header CRC has not covered except
// the magic, the version and the range count that locates the CRC.
func readPreamble(data []byte) (int, *RuleError) {
	if len(data) < len(magic) && bytes.HasPrefix([]byte(magic), data) {
		return 0, ruleErr(RuleTruncated, "", 0, ErrTruncated, "%d bytes, shorter than the magic", len(data))
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		return 0, ruleErr(RuleMagic, "", 0, ErrBadMagic, "first bytes %q", data[:min(len(data), len(magic))])
	}
	if len(data) <= offVersion {
		return 0, ruleErr(RuleTruncated, "", 0, ErrTruncated, "no version byte")
	}
	if v := data[offVersion]; v != Version {
		return 0, &RuleError{Rule: RuleVersion, Err: &VersionError{Version: v}}
	}
	if len(data) < offRanges {
		return 0, ruleErr(RuleTruncated, "", 0, ErrTruncated, "%d bytes, shorter than the fixed header", len(data))
	}
	n := uint64(binary.BigEndian.Uint32(data[offRangeCount:]))
	hl := uint64(fixedHeaderLen) + n*rangeDescLen
	if hl > uint64(len(data)) {
		return 0, ruleErr(RuleTruncated, "", 0, ErrTruncated, "header of %d ranges needs %d bytes, have %d", n, hl, len(data))
	}
	want := binary.BigEndian.Uint32(data[hl-4:])
	if got := crc32.Checksum(data[:hl-4], castagnoli); got != want {
		return 0, ruleErr(RuleHeaderCRC, "", 0, ErrChecksum, "header CRC-32C %08x, header says %08x", got, want)
	}
	if f := data[offFlags]; f != 0 {
		return 0, &RuleError{Rule: RuleVersion, Err: &VersionError{Version: Version, Flags: f}}
	}
	return int(hl), nil
}

// parseHeader decodes the CRC-checked header data[:hl] into a batch whose
// ranges have no entries yet, checking every rule that needs no payload.
func parseHeader(data []byte, hl int, lim Limits) (*Batch, trailer, *RuleError) {
	var t trailer
	sender, err := area.Parse(string(data[offSender:offRangeCount]))
	if err != nil {
		return nil, t, ruleErr(RuleOrigin, "", 0, ErrBadOrigin, "sender: %v", err)
	}
	b := &Batch{Sender: sender, Ranges: make([]Range, (hl-fixedHeaderLen)/rangeDescLen)}
	seen := make(map[area.Code]bool, len(b.Ranges))
	var sum uint64
	for i := range b.Ranges {
		p := data[offRanges+i*rangeDescLen:]
		r := &b.Ranges[i]
		r.Origin = area.Code(p[:12])
		r.First = binary.BigEndian.Uint64(p[12:])
		r.Last = binary.BigEndian.Uint64(p[20:])
		count := uint64(binary.BigEndian.Uint32(p[28:]))
		copy(r.PrevChain[:], p[32:64])
		copy(r.EndChain[:], p[64:96])
		if rerr := checkRange(r, seen); rerr != nil {
			return nil, t, rerr
		}
		if count != r.Count() {
			return nil, t, ruleErr(RuleSeq, r.Origin, 0, ErrSeqGap, "range %d..%d declares %d entries", r.First, r.Last, count)
		}
		sum += count
	}
	p := data[hl-trailerLen:]
	t = trailer{
		total:      binary.BigEndian.Uint32(p),
		raw:        binary.BigEndian.Uint64(p[4:]),
		compressed: binary.BigEndian.Uint64(p[12:]),
		payloadCRC: binary.BigEndian.Uint32(p[20:]),
	}
	if rerr := checkCounts(len(b.Ranges), sum, t, lim); rerr != nil {
		return nil, t, rerr
	}
	return b, t, nil
}

// checkRange checks the rules of one range descriptor. seen collects the
// origins of earlier ranges.
func checkRange(r *Range, seen map[area.Code]bool) *RuleError {
	if _, err := area.Parse(string(r.Origin)); err != nil {
		return ruleErr(RuleOrigin, "", 0, ErrBadOrigin, "range origin: %v", err)
	}
	if seen[r.Origin] {
		return ruleErr(RuleStructure, r.Origin, 0, ErrMalformed, "origin appears in two ranges")
	}
	seen[r.Origin] = true
	if r.First == 0 || r.Last < r.First || r.Last-r.First >= 1<<32-1 {
		return ruleErr(RuleSeq, r.Origin, 0, ErrSeqGap, "bad range %d..%d", r.First, r.Last)
	}
	if r.First == 1 && r.PrevChain != ([32]byte{}) {
		return ruleErr(RuleChain, r.Origin, 1, ErrChainBroken, "range starts at seq 1 with a non-zero PrevChain")
	}
	return nil
}

// checkCounts checks the trailer against the range table and the limits.
func checkCounts(ranges int, sum uint64, t trailer, lim Limits) *RuleError {
	switch {
	case ranges == 0:
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "batch has no ranges")
	case sum != uint64(t.total):
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "total entry count %d, ranges sum to %d", t.total, sum)
	case sum > uint64(lim.MaxEntries):
		return ruleErr(RuleSize, "", 0, ErrTooLarge, "%d entries, limit %d", sum, lim.MaxEntries)
	case t.compressed > uint64(lim.MaxCompressed):
		return ruleErr(RuleSize, "", 0, ErrTooLarge, "compressed payload %d bytes, limit %d", t.compressed, lim.MaxCompressed)
	case t.raw > uint64(lim.MaxRaw):
		return ruleErr(RuleSize, "", 0, ErrTooLarge, "raw payload %d bytes, limit %d", t.raw, lim.MaxRaw)
	case t.raw > uint64(lim.RatioFreeRaw) && t.raw > uint64(lim.MaxRatio)*t.compressed:
		return ruleErr(RuleRatio, "", 0, ErrRatio, "raw %d bytes from %d compressed exceeds ratio %d", t.raw, t.compressed, lim.MaxRatio)
	case t.raw < minEntryRaw*sum:
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "raw payload %d bytes cannot hold %d entries", t.raw, sum)
	}
	return nil
}

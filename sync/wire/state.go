package wire

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// A state carries one origin's records as of one seq: a state transfer,
// sent instead of log entries a sender no longer holds (DESIGN §6). It
// travels on the link like a batch; the magic tells them apart.
//
// Layout (version 1):
//
//	"FSS" version(1)=1 flags(1)=0 sender(12) origin(12) seq(8) time(8)
//	chain(32) records(4) raw(8) compressed(8) payloadCRC(4) headerCRC(4)
//	payload: zstd of records × { uvarint len kind, uvarint len id,
//	         uvarint seq, varint time, uvarint len body }
//
// Integers are big-endian; CRCs are CRC-32C, the header CRC over every
// header byte before it.
const (
	stateMagic     = "FSS"
	stateHeaderLen = 3 + 1 + 1 + 12 + 12 + 8 + 8 + 32 + 4 + 8 + 8 + 4 + 4
)

// IsState reports whether data starts like an encoded state.
func IsState(data []byte) bool { return len(data) >= 3 && string(data[:3]) == stateMagic }

// EncodeState encodes st, sent by sender.
func EncodeState(sender area.Code, st *storage.OriginState, opts EncodeOptions) ([]byte, error) {
	var raw []byte
	for _, r := range st.Records {
		for _, s := range []string{string(r.Kind), r.ID} {
			raw = binary.AppendUvarint(raw, uint64(len(s)))
			raw = append(raw, s...)
		}
		raw = binary.AppendUvarint(raw, r.Seq)
		raw = binary.AppendVarint(raw, r.Updated.UnixNano())
		raw = binary.AppendUvarint(raw, uint64(len(r.Body)))
		raw = append(raw, r.Body...)
	}
	enc, err := encoderFor(opts.Level)
	if err != nil {
		return nil, err
	}
	payload := enc.EncodeAll(raw, nil)
	out := make([]byte, 0, stateHeaderLen+len(payload))
	out = append(out, stateMagic...)
	out = append(out, Version, 0)
	out = append(out, sender...)
	out = append(out, st.Origin...)
	out = binary.BigEndian.AppendUint64(out, st.Seq)
	out = binary.BigEndian.AppendUint64(out, uint64(st.Time))
	out = append(out, st.Chain[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(st.Records)))
	out = binary.BigEndian.AppendUint64(out, uint64(len(raw)))
	out = binary.BigEndian.AppendUint64(out, uint64(len(payload)))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(payload, castagnoli))
	out = binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
	return append(out, payload...), nil
}

// DecodeState parses and checks an encoded state under lim: header CRC,
// sizes, ratio, payload CRC, every record's kind and sizes. It returns the
// sender and the state. Whether the sender may send it is the receiver's
// decision.
func DecodeState(data []byte, lim Limits) (area.Code, *storage.OriginState, error) {
	lim = lim.withDefaults()
	if err := lim.Validate(); err != nil {
		return "", nil, err
	}
	if len(data) < stateHeaderLen {
		return "", nil, ruleErr(RuleTruncated, "", 0, ErrTruncated, "state of %d bytes", len(data))
	}
	h := data[:stateHeaderLen]
	switch {
	case string(h[:3]) != stateMagic:
		return "", nil, ruleErr(RuleMagic, "", 0, ErrBadMagic, "not a state")
	case h[3] != Version || h[4] != 0:
		return "", nil, &RuleError{Rule: RuleVersion, Err: &VersionError{Version: h[3], Flags: h[4]}}
	case crc32.Checksum(h[:stateHeaderLen-4], castagnoli) != binary.BigEndian.Uint32(h[stateHeaderLen-4:]):
		return "", nil, ruleErr(RuleHeaderCRC, "", 0, ErrChecksum, "state header")
	}
	sender, origin := area.Code(h[5:17]), area.Code(h[17:29])
	if !sender.Valid() || !origin.Valid() {
		return "", nil, ruleErr(RuleOrigin, origin, 0, ErrBadOrigin, "sender %q origin %q", sender, origin)
	}
	st := &storage.OriginState{Origin: origin, Seq: binary.BigEndian.Uint64(h[29:]), Time: int64(binary.BigEndian.Uint64(h[37:]))}
	copy(st.Chain[:], h[45:77])
	count := binary.BigEndian.Uint32(h[77:])
	raw, comp := binary.BigEndian.Uint64(h[81:]), binary.BigEndian.Uint64(h[89:])
	payload := data[stateHeaderLen:]
	switch {
	case uint64(len(payload)) != comp:
		return "", nil, ruleErr(RuleStructure, origin, 0, ErrMalformed, "payload is %d bytes, header says %d", len(payload), comp)
	case comp > uint64(lim.MaxCompressed) || raw > uint64(lim.MaxRaw) || int(count) > lim.MaxEntries:
		return "", nil, ruleErr(RuleSize, origin, 0, ErrTooLarge, "state of %d records, %d raw bytes, %d compressed", count, raw, comp)
	case raw > uint64(lim.RatioFreeRaw) && raw > comp*uint64(lim.MaxRatio):
		return "", nil, ruleErr(RuleRatio, origin, 0, ErrRatio, "raw %d bytes from %d compressed", raw, comp)
	case crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(h[97:]):
		return "", nil, ruleErr(RulePayloadCRC, origin, 0, ErrChecksum, "state payload")
	}
	dec, err := decoder()
	if err != nil {
		return "", nil, err
	}
	buf, err := dec.DecodeAll(payload, make([]byte, 0, raw))
	if err != nil || uint64(len(buf)) != raw {
		return "", nil, ruleErr(RuleStructure, origin, 0, ErrMalformed, "state payload does not decompress to %d bytes", raw)
	}
	recs, rerr := parseStateRecords(origin, buf, int(count), lim)
	if rerr != nil {
		return "", nil, rerr
	}
	st.Records = recs
	return sender, st, nil
}

func parseStateRecords(origin area.Code, p []byte, count int, lim Limits) ([]storage.Stored, *RuleError) {
	bad := func(i int, what string) *RuleError {
		return ruleErr(RuleStructure, origin, 0, ErrMalformed, "state record %d: %s", i, what)
	}
	recs := make([]storage.Stored, 0, count)
	for i := range count {
		var fields [2][]byte
		for j := range fields {
			n, k := binary.Uvarint(p)
			if k <= 0 || n > uint64(len(p)-k) || n > uint64(lim.MaxEntryBody) {
				return nil, bad(i, "length")
			}
			fields[j], p = p[k:k+int(n)], p[k+int(n):]
		}
		kind, err := registry.ParseKind(string(fields[0]))
		if err != nil {
			return nil, ruleErr(RuleKind, origin, 0, ErrUnknownKind, "state record %d: %q", i, fields[0])
		}
		seq, k := binary.Uvarint(p)
		if k <= 0 {
			return nil, bad(i, "seq")
		}
		p = p[k:]
		t, k := binary.Varint(p)
		if k <= 0 {
			return nil, bad(i, "time")
		}
		p = p[k:]
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) || n > uint64(lim.MaxEntryBody) {
			return nil, bad(i, "body length")
		}
		body := bytes.Clone(p[k : k+int(n)])
		p = p[k+int(n):]
		recs = append(recs, storage.Stored{Kind: kind, Origin: origin, ID: string(fields[1]), Seq: seq, Updated: time.Unix(0, t).UTC(), Body: body})
	}
	if len(p) != 0 {
		return nil, bad(count, "trailing bytes")
	}
	return recs, nil
}

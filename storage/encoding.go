package storage

import (
	"encoding/binary"
	"fmt"

	"fedsync/area"
	"fedsync/registry"
)

// On-disk encodings. Each starts with a version byte; decoders refuse
// versions they do not know with ErrCorrupt.
//
//	record envelope (bucket rec):  0x01 seq(8) time(8) body…
//	log entry (bucket log/<origin>, key seq): 0x01 time(8) op(1)
//	    uvarint len kind, uvarint len id, uvarint len body, chain(32)
//	watermark (bucket wm): 0x01 seq(8) chain(32) time(8) heard(8) [via(12)]
//	    (via, the delivering sender's area, is absent when empty: watermarks
//	    written before it existed decode with Via "")
//	counter (bucket rollup): int64 (8, BE, two's complement)
const encVersion = 1

func encodeEnvelope(seq uint64, t int64, body []byte) []byte {
	b := make([]byte, 17, 17+len(body))
	b[0] = encVersion
	binary.BigEndian.PutUint64(b[1:], seq)
	binary.BigEndian.PutUint64(b[9:], uint64(t))
	return append(b, body...)
}

// decodeEnvelope returns views into v; copy before the transaction ends.
func decodeEnvelope(v []byte) (seq uint64, t int64, body []byte, err error) {
	if len(v) < 17 || v[0] != encVersion {
		return 0, 0, nil, fmt.Errorf("record envelope: %w", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v[1:]), int64(binary.BigEndian.Uint64(v[9:])), v[17:], nil
}

func encodeEntry(e Entry) []byte {
	b := make([]byte, 0, 1+8+1+3*binary.MaxVarintLen32+len(e.Kind)+len(e.ID)+len(e.Body)+32)
	b = append(b, encVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time))
	b = append(b, byte(e.Op))
	for _, s := range [][]byte{[]byte(e.Kind), []byte(e.ID), e.Body} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, e.Chain[:]...)
}

// decodeEntry decodes a stored log entry of origin at seq, copying all bytes.
func decodeEntry(origin area.Code, seq uint64, v []byte) (Entry, error) {
	bad := func(what string) (Entry, error) {
		return Entry{}, fmt.Errorf("log entry %s/%d: %s: %w", origin, seq, what, ErrCorrupt)
	}
	if len(v) < 10 || v[0] != encVersion {
		return bad("header")
	}
	e := Entry{Origin: origin, Seq: seq, Time: int64(binary.BigEndian.Uint64(v[1:])), Op: Op(v[9])}
	p := v[10:]
	var fields [3][]byte
	for i := range fields {
		n, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < n {
			return bad("field length")
		}
		fields[i] = append([]byte(nil), p[k:k+int(n)]...)
		p = p[k+int(n):]
	}
	if len(p) != 32 {
		return bad("chain")
	}
	e.Kind, e.ID, e.Body = registry.Kind(fields[0]), string(fields[1]), fields[2]
	copy(e.Chain[:], p)
	return e, nil
}

// Watermark encodings: 57 bytes without Via, 69 with it.
const (
	wmLen    = 1 + 8 + 32 + 8 + 8
	wmViaLen = wmLen + 12
)

func encodeWatermark(w Watermark) []byte {
	b := make([]byte, 0, wmViaLen)
	b = append(b, encVersion)
	b = binary.BigEndian.AppendUint64(b, w.Seq)
	b = append(b, w.Chain[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(w.Time))
	b = binary.BigEndian.AppendUint64(b, uint64(w.HeardFrom))
	if len(w.Via) == 12 {
		b = append(b, w.Via...)
	}
	return b
}

func decodeWatermark(origin area.Code, v []byte) (Watermark, error) {
	if (len(v) != wmLen && len(v) != wmViaLen) || v[0] != encVersion {
		return Watermark{}, fmt.Errorf("watermark %s: %w", origin, ErrCorrupt)
	}
	w := Watermark{Origin: origin, Seq: binary.BigEndian.Uint64(v[1:])}
	copy(w.Chain[:], v[9:41])
	w.Time = int64(binary.BigEndian.Uint64(v[41:]))
	w.HeardFrom = int64(binary.BigEndian.Uint64(v[49:]))
	if len(v) == wmViaLen {
		via, err := area.Parse(string(v[wmLen:]))
		if err != nil {
			return Watermark{}, fmt.Errorf("watermark %s: via: %w", origin, ErrCorrupt)
		}
		w.Via = via
	}
	return w, nil
}

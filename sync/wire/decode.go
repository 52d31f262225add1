package wire

import (
	"errors"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/zstd"

	"fedsync/area"
)

// decoder is the shared zstd decoder, created on first use. DecodeAll is
// safe for concurrent use. WithDecodeAllCapLimit makes DecodeAll stop at the
// capacity of its destination, which Decode sizes to the declared raw size;
// WithDecoderMaxMemory is a second, global ceiling.
var decoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(MaxRawCeiling),
		zstd.WithDecoderMaxWindow(MaxRawCeiling),
	)
})

// Decode parses and verifies a batch. It checks, in order: magic, version,
// header CRC, flags, sender and origins, seq ranges and counts, the limits
// (sizes, entry count, ratio), the payload CRC, then decompresses into a
// buffer of exactly the declared raw size, parses each entry (seq, kind, op,
// id, body size) and recomputes every range's chain from PrevChain, which
// must end at EndChain. Each entry's Chain is filled in.
//
// Every error is a *RuleError wrapping one of the sentinels of errors.go,
// except ErrLimits for invalid lim. Decode never panics. Before inflating it
// allocates only the declared raw size, already bounded by MaxRaw and by
// MaxRatio × the compressed size, and zstd stops at that size. Decode and
// Encode are safe for concurrent use.
//
// Decode checks the format only: whether the sender may send these origins
// and whether each range continues the receiver's log is the receiver's
// decision (DESIGN §6, §7).
func Decode(data []byte, lim Limits) (*Batch, error) {
	lim = lim.withDefaults()
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	if max := lim.MaxBatchBytes(); int64(len(data)) > max {
		return nil, ruleErr(RuleSize, "", 0, ErrTooLarge, "%d bytes, limit %d", len(data), max)
	}
	b, rerr := decode(data, lim)
	if rerr != nil {
		return nil, rerr
	}
	return b, nil
}

func decode(data []byte, lim Limits) (*Batch, *RuleError) {
	hl, rerr := readPreamble(data)
	if rerr != nil {
		return nil, rerr
	}
	b, t, rerr := parseHeader(data, hl, lim)
	if rerr != nil {
		return nil, rerr
	}
	payload := data[hl:]
	if rerr := checkPayload(payload, t); rerr != nil {
		return nil, rerr
	}
	raw, rerr := decompress(payload, t.raw)
	if rerr != nil {
		return nil, rerr
	}
	if rerr := parsePayload(raw, b, int(t.total), lim); rerr != nil {
		return nil, rerr
	}
	var c chainer
	for i := range b.Ranges {
		if rerr := c.verify(&b.Ranges[i], true); rerr != nil {
			return nil, rerr
		}
	}
	return b, nil
}

// checkPayload checks the payload's length and CRC against the header.
func checkPayload(payload []byte, t trailer) *RuleError {
	switch n := uint64(len(payload)); {
	case n < t.compressed:
		return ruleErr(RuleTruncated, "", 0, ErrTruncated, "payload %d bytes, header declares %d", n, t.compressed)
	case n > t.compressed:
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "%d bytes after the payload", n-t.compressed)
	}
	if got := crc32.Checksum(payload, castagnoli); got != t.payloadCRC {
		return ruleErr(RulePayloadCRC, "", 0, ErrChecksum, "payload CRC-32C %08x, header says %08x", got, t.payloadCRC)
	}
	return nil
}

// decompress inflates payload into a new buffer of capacity rawSize and
// refuses a payload that inflates to more or less than that.
func decompress(payload []byte, rawSize uint64) ([]byte, *RuleError) {
	dec, err := decoder()
	if err != nil {
		return nil, ruleErr(RuleStructure, "", 0, ErrMalformed, "zstd decoder: %v", err)
	}
	raw, err := dec.DecodeAll(payload, make([]byte, 0, rawSize))
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded):
		return nil, ruleErr(RuleSize, "", 0, ErrTooLarge, "payload inflates beyond its declared %d bytes", rawSize)
	case err != nil:
		return nil, ruleErr(RuleStructure, "", 0, ErrMalformed, "zstd: %v", err)
	case uint64(len(raw)) != rawSize:
		return nil, ruleErr(RuleStructure, "", 0, ErrMalformed, "payload inflates to %d bytes, header declares %d", len(raw), rawSize)
	}
	return raw, nil
}

// Check verifies everything about an encoded batch that needs no
// decompression — magic, version, header CRC, sender and origins, ranges
// and counts, the limits, the payload's length and CRC — and returns the
// sender. A receiver uses it to refuse a damaged batch at once, and leaves
// the full Decode (payload, entries, chains) to where the batch is applied.
func Check(data []byte, lim Limits) (area.Code, error) {
	lim = lim.withDefaults()
	if err := lim.Validate(); err != nil {
		return "", err
	}
	if max := lim.MaxBatchBytes(); int64(len(data)) > max {
		return "", ruleErr(RuleSize, "", 0, ErrTooLarge, "%d bytes, limit %d", len(data), max)
	}
	hl, rerr := readPreamble(data)
	if rerr != nil {
		return "", rerr
	}
	b, t, rerr := parseHeader(data, hl, lim)
	if rerr != nil {
		return "", rerr
	}
	if rerr := checkPayload(data[hl:], t); rerr != nil {
		return "", rerr
	}
	return b.Sender, nil
}

package wire

import (
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/zstd"

	"fedsync/area"
	"fedsync/storage"
)

// encoders holds one shared zstd encoder per level, created on first use.
// zstd.Encoder.EncodeAll is safe for concurrent use.
var encoders [zstd.SpeedBestCompression + 1]struct {
	once sync.Once
	enc  *zstd.Encoder
	err  error
}

// encoderFor returns the shared encoder of level l (zero: SpeedDefault).
// The zstd content checksum is off: the payload CRC-32C covers the
// compressed bytes and the chain covers every entry.
func encoderFor(l zstd.EncoderLevel) (*zstd.Encoder, error) {
	if l == 0 {
		l = zstd.SpeedDefault
	}
	if l < zstd.SpeedFastest || l > zstd.SpeedBestCompression {
		return nil, fmt.Errorf("%w: zstd level %d", ErrLimits, l)
	}
	e := &encoders[l]
	e.once.Do(func() {
		e.enc, e.err = zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(2), zstd.WithLowerEncoderMem(true))
	})
	return e.enc, e.err
}

// rawPool recycles payload buffers between Encode calls. Buffers larger than
// maxPooledRaw are left to the garbage collector.
var rawPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooledRaw = 8 << 20

// Encode returns the wire form of b (format Version). It first checks every
// rule Decode checks, chain included, so that a receiver with the same
// Limits accepts what Encode returns. b is not modified and Entry.Chain is
// ignored.
//
// Encode returns a *RuleError wrapping ErrTooLarge or ErrRatio when b is
// valid but too big for the limits; the caller should split it (a batch of
// one entry always fits). Other *RuleErrors mean b itself is wrong.
func Encode(b *Batch, opts EncodeOptions) ([]byte, error) {
	lim := opts.Limits.withDefaults()
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	enc, err := encoderFor(opts.Level)
	if err != nil {
		return nil, err
	}
	if rerr := checkBatch(b, lim); rerr != nil {
		return nil, rerr
	}
	bufp := rawPool.Get().(*[]byte)
	raw := appendPayload((*bufp)[:0], b)
	out, rerr := seal(b, raw, enc, lim)
	if cap(raw) <= maxPooledRaw {
		*bufp = raw[:0]
		rawPool.Put(bufp)
	}
	if rerr != nil {
		return nil, rerr
	}
	return out, nil
}

// seal compresses raw and frames it with the header of b. It checks sizes
// and ratio against lim, but not the rules of b itself.
func seal(b *Batch, raw []byte, enc *zstd.Encoder, lim Limits) ([]byte, *RuleError) {
	if len(raw) > lim.MaxRaw {
		return nil, ruleErr(RuleSize, "", 0, ErrTooLarge, "raw payload %d bytes, limit %d", len(raw), lim.MaxRaw)
	}
	hl := headerLen(len(b.Ranges))
	out := enc.EncodeAll(raw, make([]byte, hl, hl+len(raw)/3+64))
	payload := out[hl:]
	var total uint64
	for i := range b.Ranges {
		total += uint64(len(b.Ranges[i].Entries))
	}
	t := trailer{total: uint32(total), raw: uint64(len(raw)), compressed: uint64(len(payload)),
		payloadCRC: crc32.Checksum(payload, castagnoli)}
	if rerr := checkCounts(len(b.Ranges), total, t, lim); rerr != nil {
		return nil, rerr
	}
	// The header has exactly hl bytes, so appending it to out[:0] fills the
	// space reserved in front of the payload.
	appendHeader(out[:0], b, t)
	return out, nil
}

// checkBatch checks every rule of b that does not depend on its encoding.
func checkBatch(b *Batch, lim Limits) *RuleError {
	if b == nil || len(b.Ranges) == 0 {
		return ruleErr(RuleStructure, "", 0, ErrMalformed, "batch has no ranges")
	}
	if _, err := area.Parse(string(b.Sender)); err != nil {
		return ruleErr(RuleOrigin, "", 0, ErrBadOrigin, "sender: %v", err)
	}
	total := 0
	for i := range b.Ranges {
		total += len(b.Ranges[i].Entries)
	}
	if total > lim.MaxEntries {
		return ruleErr(RuleSize, "", 0, ErrTooLarge, "%d entries, limit %d", total, lim.MaxEntries)
	}
	seen := make(map[area.Code]bool, len(b.Ranges))
	var c chainer
	for i := range b.Ranges {
		r := &b.Ranges[i]
		if rerr := checkRange(r, seen); rerr != nil {
			return rerr
		}
		if uint64(len(r.Entries)) != r.Count() {
			return ruleErr(RuleSeq, r.Origin, 0, ErrSeqGap, "range %d..%d has %d entries", r.First, r.Last, len(r.Entries))
		}
		for j := range r.Entries {
			if rerr := checkEntry(r, j, lim); rerr != nil {
				return rerr
			}
		}
		if rerr := c.verify(r, false); rerr != nil {
			return rerr
		}
	}
	return nil
}

// checkEntry checks entry j of r.
func checkEntry(r *Range, j int, lim Limits) *RuleError {
	e := &r.Entries[j]
	switch {
	case e.Origin != r.Origin:
		return ruleErr(RuleOrigin, r.Origin, e.Seq, ErrBadOrigin, "entry of origin %q in this range", e.Origin)
	case e.Seq != r.First+uint64(j):
		return ruleErr(RuleSeq, r.Origin, r.First+uint64(j), ErrSeqGap, "entry %d has seq %d", j, e.Seq)
	case kindCodes[e.Kind] == 0:
		return ruleErr(RuleKind, r.Origin, e.Seq, ErrUnknownKind, "kind %q", e.Kind)
	case e.Op != storage.OpPut && e.Op != storage.OpDelete:
		return ruleErr(RuleOp, r.Origin, e.Seq, ErrBadOp, "op %d", e.Op)
	case e.ID == "":
		return ruleErr(RuleStructure, r.Origin, e.Seq, ErrMalformed, "empty id")
	case len(e.ID) > lim.MaxEntryBody || len(e.Body) > lim.MaxEntryBody:
		return ruleErr(RuleSize, r.Origin, e.Seq, ErrTooLarge, "id of %d or body of %d bytes, limit %d", len(e.ID), len(e.Body), lim.MaxEntryBody)
	}
	return nil
}

// verify folds the chain over r's entries from PrevChain and compares the
// result with EndChain; with fill it also stores each entry's Chain.
func (c *chainer) verify(r *Range, fill bool) *RuleError {
	prev := r.PrevChain
	for j := range r.Entries {
		prev = c.next(prev, r.Entries[j])
		if fill {
			r.Entries[j].Chain = prev
		}
	}
	if prev != r.EndChain {
		return ruleErr(RuleChain, r.Origin, r.Last, ErrChainBroken, "chain at seq %d is %x, EndChain says %x", r.Last, prev[:6], r.EndChain[:6])
	}
	return nil
}

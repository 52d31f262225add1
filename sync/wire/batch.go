package wire

import (
	"fmt"

	"github.com/klauspost/compress/zstd"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// Batch is one request of the upward sync protocol: the entries of one or
// more origins, sent by Sender to its parent (DESIGN §6).
//
// Invariants (Encode refuses a batch that breaks one, Decode never returns
// one): Sender and every Origin are valid area codes; origins are distinct;
// there is at least one range.
type Batch struct {
	Sender area.Code
	Ranges []Range
}

// Range is a gap-free run of one origin's log, seqs First..Last.
//
// Invariants: 1 <= First <= Last; len(Entries) == Last-First+1; Entries[i]
// has Origin == Origin and Seq == First+i, a known kind, a valid op and a
// non-empty ID; PrevChain is the all-zero hash when First == 1; and folding
// ChainNext over Entries from PrevChain yields EndChain.
//
// Entry.Chain is not sent: Encode ignores it, Decode fills it with the
// recomputed chain. A zero-length Body decodes as nil; decoded bodies share
// one buffer per batch, so keeping any body keeps the whole payload alive.
type Range struct {
	Origin    area.Code
	First     uint64
	Last      uint64
	PrevChain [32]byte // chain hash of entry First-1 (zero when First == 1)
	EndChain  [32]byte // chain hash of entry Last
	Entries   []storage.Entry
}

// Count returns the number of entries the range declares, Last-First+1.
func (r *Range) Count() uint64 { return r.Last - r.First + 1 }

// Limits bound what Encode produces and Decode accepts. They are hard: a
// batch over any limit is refused before the memory it would need is
// allocated. A zero field means its default (DefaultLimits).
//
// Valid limits (Validate) guarantee that a batch of one entry is never
// refused for its size or ratio, so a sender that halves a refused batch
// always makes progress.
type Limits struct {
	// MaxCompressed bounds the compressed payload, in bytes. Default 16 MiB.
	MaxCompressed int
	// MaxRaw bounds the decompressed payload, in bytes. Default 64 MiB; at
	// most MaxRawCeiling.
	MaxRaw int
	// MaxRatio bounds raw/compressed size for payloads larger than
	// RatioFreeRaw. Default 100.
	MaxRatio int
	// RatioFreeRaw is the raw size, in bytes, up to which MaxRatio is not
	// applied, so that one highly compressible entry can always be sent.
	// Default 1 MiB.
	RatioFreeRaw int
	// MaxEntries bounds the entries of a batch. Default 100,000.
	MaxEntries int
	// MaxEntryBody bounds one entry's body, and its id, in bytes. Default
	// 64 KiB (registry.MaxRecordBytes).
	MaxEntryBody int
}

// MaxRawCeiling is the largest MaxRaw Limits.Validate accepts (1 GiB); the
// shared zstd decoder also refuses to produce more than this.
const MaxRawCeiling = 1 << 30

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxCompressed: 16 << 20,
		MaxRaw:        64 << 20,
		MaxRatio:      100,
		RatioFreeRaw:  1 << 20,
		MaxEntries:    100_000,
		MaxEntryBody:  registry.MaxRecordBytes,
	}
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, f := range []struct{ v, d *int }{
		{&l.MaxCompressed, &d.MaxCompressed}, {&l.MaxRaw, &d.MaxRaw},
		{&l.MaxRatio, &d.MaxRatio}, {&l.RatioFreeRaw, &d.RatioFreeRaw},
		{&l.MaxEntries, &d.MaxEntries}, {&l.MaxEntryBody, &d.MaxEntryBody},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return l
}

// Validate checks l after defaults are applied and names the first bad field.
func (l Limits) Validate() error {
	l = l.withDefaults()
	switch {
	case l.MaxCompressed < 0, l.MaxRaw < 0, l.MaxRatio < 0, l.RatioFreeRaw < 0, l.MaxEntries < 0, l.MaxEntryBody < 0:
		return fmt.Errorf("%w: limits must not be negative: %+v", ErrLimits, l)
	case l.MaxRaw > MaxRawCeiling:
		return fmt.Errorf("%w: MaxRaw %d exceeds the ceiling %d", ErrLimits, l.MaxRaw, MaxRawCeiling)
	case l.MaxEntries > 1<<31-1:
		return fmt.Errorf("%w: MaxEntries %d does not fit the 32-bit count field", ErrLimits, l.MaxEntries)
	case min(l.MaxCompressed, l.MaxRaw, l.RatioFreeRaw) < l.oneEntry():
		return fmt.Errorf("%w: MaxCompressed, MaxRaw and RatioFreeRaw must be at least 2×MaxEntryBody+4096 (%d) so that one entry always fits: %+v", ErrLimits, l.oneEntry(), l)
	}
	return nil
}

// oneEntry bounds the payload of a batch of one entry, raw or compressed:
// id and body of at most MaxEntryBody each plus varints, with slack for the
// zstd frame.
func (l Limits) oneEntry() int { return 2*l.MaxEntryBody + 4096 }

// MaxBatchBytes returns the largest encoded batch l admits: the header of
// MaxEntries ranges plus MaxCompressed. Receivers bound their reads with it.
func (l Limits) MaxBatchBytes() int64 {
	l = l.withDefaults()
	return int64(headerLen(l.MaxEntries)) + int64(l.MaxCompressed)
}

// EncodeOptions tune Encode.
type EncodeOptions struct {
	// Level is the zstd level; zero means zstd.SpeedDefault.
	Level zstd.EncoderLevel
	// Limits the batch must satisfy so that a receiver with the same limits
	// accepts it; zero fields mean defaults.
	Limits Limits
}

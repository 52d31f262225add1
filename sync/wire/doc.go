// Package wire owns the batch format of fedsync's upward sync protocol
// (DESIGN §6): how a node frames, compresses and checks the change-log
// entries it sends to its parent, and the canonical entry encoding hashed
// into every origin's chain (ChainNext).
//
// A Batch holds one contiguous seq range per origin. Encode refuses a batch
// that breaks a rule, Decode refuses bytes that break one, and both enforce
// the same Limits, so what one node encodes its parent decodes. Deciding
// whether a range applies (watermarks, jurisdiction) is the receiver's job.
//
// # Format version 1
//
// All integers are big-endian unless marked uvarint (encoding/binary
// unsigned varint) or varint (zigzag signed varint). Area codes are their 12
// ASCII digits. R is the number of ranges, N the number of entries.
//
//	offset     size  field
//	0          3     magic "FSB"
//	3          1     version = 1
//	4          1     flags = 0 (every bit reserved; a set bit is ErrVersion)
//	5          12    sender area code
//	17         4     R, range count (≥ 1)
//	21         96·R  range table, per range:
//	                   12  origin area code (distinct across ranges)
//	                    8  first seq (≥ 1)
//	                    8  last seq (≥ first)
//	                    4  entry count (= last − first + 1)
//	                   32  prev chain (chain of seq first−1; zero if first = 1)
//	                   32  end chain (chain of seq last)
//	21+96·R    4     N, total entry count (= sum of the counts)
//	25+96·R    8     raw payload size in bytes
//	33+96·R    8     compressed payload size in bytes (C)
//	41+96·R    4     CRC-32C (Castagnoli) of the compressed payload
//	45+96·R    4     CRC-32C of header bytes [0, 45+96·R)
//	49+96·R    C     payload: zstd frame(s) of the raw payload
//
// The raw payload is N entries, nothing else. Encode writes the ranges one
// after another in table order; Decode accepts any interleaving in which each
// origin's entries appear in seq order. Per entry:
//
//	uvarint  origin index into the range table
//	uvarint  seq delta: seq − previous seq of this origin (first − 1 before
//	         its first entry); always 1, since ranges are gap-free
//	varint   time delta: time − previous time of this origin (0 before its
//	         first entry), Unix nanoseconds
//	1 byte   kind code: 1 community, 2 org, 3 activity, 4 project, 5 talent,
//	         6 platform, 7 registration
//	1 byte   op: 1 put, 2 delete
//	uvarint  id length (1..MaxEntryBody), then the id
//	uvarint  body length (0..MaxEntryBody), then the body (record JSON)
//
// Entry chains are not sent: the receiver recomputes them with ChainNext
// from each range's prev chain and requires the result to equal its end
// chain. A new layout gets a new version byte; decoders refuse versions they
// do not know with a *VersionError. testdata/batch-v1.bin pins version 1.
package wire

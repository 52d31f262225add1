// Package raftstore owns the durable log and stable storage of a fedsync
// node's hashicorp/raft instance. A [Store] keeps both in a single bbolt
// file and implements [raft.LogStore] and [raft.StableStore].
//
// On-disk layout (one bbolt file):
//
//	bucket "logs": key = 8-byte big-endian raft index, value = a log entry
//	               in the log entry format below
//	bucket "conf": StableStore keys and values, stored verbatim;
//	               SetUint64 values are 8-byte big-endian
//
// Invariants:
//   - every key in "logs" is exactly 8 bytes and equals the Index field of
//     the entry stored under it, so cursor order is index order;
//   - every write (StoreLogs, DeleteRange, Set, SetUint64) is a single
//     bbolt transaction: it is applied entirely or not at all, and is
//     durable when the call returns unless [Options.NoSync] is set;
//   - no slice handed out by a method aliases bbolt memory.
//
// # Log entry format
//
// A stored raft.Log starts with a version byte. Version 1, the only one
// written today, is:
//
//	field       encoding
//	version     1 byte, always 1
//	type        1 byte, raft.LogType
//	index       uvarint
//	term        uvarint
//	data        uvarint length, then that many bytes
//	extensions  uvarint length, then that many bytes
//	appendedSec varint, AppendedAt.Unix()
//	appendedNs  uvarint, AppendedAt.Nanosecond(), at most 999,999,999
//
// Varints are encoding/binary's (LEB128; varint is zig-zag). Nothing may
// follow appendedNs. AppendedAt keeps only its instant: location and
// monotonic reading are dropped and it reads back in UTC; a zero AppendedAt
// reads back as the zero time.Time. Empty Data or Extensions read back as
// nil. Decoding checks every length against the bytes left and reports
// truncated, oversized or trailing input as ErrCorrupt and an unknown
// version byte as ErrUnsupportedVersion. A new layout must take a new
// version byte, and the decoder keeps reading every version ever written;
// testdata/log_v1.bin pins version 1.
//
// raft-boltdb is not used because its go-metrics dependency conflicts with
// the version required by raft v1.8.0.
package raftstore

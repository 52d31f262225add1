// Package raftstore owns the durable log and stable storage of a fedsync
// node's hashicorp/raft instance. A [Store] keeps both in a single bbolt
// file and implements [raft.LogStore] and [raft.StableStore].
//
// On-disk layout (one bbolt file):
//
//	bucket "logs": key = 8-byte big-endian raft index, value = a log entry
//	               in the versioned binary format described on encodeLog
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
// raft-boltdb is not used because its go-metrics dependency conflicts with
// the version required by raft v1.8.0.
package raftstore

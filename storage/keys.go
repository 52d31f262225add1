package storage

import (
	"encoding/binary"

	"fedsync/area"
	"fedsync/registry"
)

// Bucket names. The layout is documented in docs/ARCHITECTURE.md.
var (
	bucketMeta   = []byte("meta")   // schema version, identity, raft applied index
	bucketRec    = []byte("rec")    // kind 0x00 origin(12) id → record envelope
	bucketLog    = []byte("log")    // sub-bucket per origin: seq(8, BE) → entry
	bucketWM     = []byte("wm")     // origin(12) → watermark
	bucketRollup = []byte("rollup") // area(12) dim → int64 (8, BE)
	bucketFloor  = []byte("floor")  // origin(12) → seq and chain below the first held log entry (schema 2)
)

// Keys in bucketMeta.
var (
	metaSchema  = []byte("schema_version")
	metaArea    = []byte("area")
	metaApplied = []byte("raft_applied")
)

// SchemaVersion is the layout version written by this binary. Open migrates
// older files forward (see migrate.go) and refuses newer ones.
const SchemaVersion = 2

func recKey(k registry.Kind, origin area.Code, id string) []byte {
	b := make([]byte, 0, len(k)+1+12+len(id))
	b = append(b, k...)
	b = append(b, 0)
	b = append(b, origin...)
	return append(b, id...)
}

// recPrefix returns the key prefix of a kind's records whose origin starts
// with the given digits.
func recPrefix(k registry.Kind, originPrefix string) []byte {
	b := append([]byte(k), 0)
	return append(b, originPrefix...)
}

// splitRecKey returns the origin and id of a record key of kind k.
func splitRecKey(k registry.Kind, key []byte) (area.Code, string) {
	rest := key[len(k)+1:]
	return area.Code(rest[:12]), string(rest[12:])
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func rollupKey(a area.Code, dim string) []byte {
	b := make([]byte, 0, 12+len(dim))
	b = append(b, a...)
	return append(b, dim...)
}

package storage

import (
	"crypto/sha256"
	"encoding/binary"
)

// chainVersion tags the canonical entry encoding hashed into the chain.
const chainVersion = 1

// ChainNext returns SHA-256(prev ‖ canonical(e)), the chain hash of e given
// the chain hash of the origin's previous entry (all zero before seq 1).
// canonical(e) is: version byte 1, origin (12 ASCII digits), seq (8 bytes
// BE), time (8 bytes BE), then kind, id and body each as a uvarint length
// and bytes, then the op byte. e.Chain is ignored. Every level computes the
// same hash from the same entry, so the chain verifies anywhere.
func ChainNext(prev [32]byte, e Entry) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	var buf [binary.MaxVarintLen64 + 8]byte
	h.Write([]byte{chainVersion})
	h.Write([]byte(e.Origin))
	binary.BigEndian.PutUint64(buf[:8], e.Seq)
	h.Write(buf[:8])
	binary.BigEndian.PutUint64(buf[:8], uint64(e.Time))
	h.Write(buf[:8])
	for _, s := range [][]byte{[]byte(e.Kind), []byte(e.ID), e.Body} {
		n := binary.PutUvarint(buf[:], uint64(len(s)))
		h.Write(buf[:n])
		h.Write(s)
	}
	h.Write([]byte{byte(e.Op)})
	var out [32]byte
	h.Sum(out[:0])
	return out
}

package wire

import (
	"crypto/sha256"
	"encoding/binary"

	"fedsync/storage"
)

// ChainVersion tags the canonical entry encoding hashed into the chain. It
// is the first byte of every canonical encoding; a new encoding gets a new
// version, and chains computed under an old one stay verifiable by it.
const ChainVersion = 1

// AppendCanonical appends the canonical encoding of e (version
// ChainVersion) to dst and returns the extended slice. e.Chain is not part
// of it. The layout, fixed forever for version 1:
//
//	version   1 byte  = 0x01
//	origin    12 bytes, the ASCII digits of e.Origin
//	seq       8 bytes, big-endian
//	time      8 bytes, big-endian two's complement (Unix nanoseconds)
//	kind      uvarint length, then the kind name (e.g. "org")
//	id        uvarint length, then the id bytes
//	body      uvarint length, then the body bytes
//	op        1 byte (storage.Op)
//
// Each variable field is length-prefixed, so distinct entries never share an
// encoding. Storage computes the same bytes when it builds its chains.
func AppendCanonical(dst []byte, e storage.Entry) []byte {
	dst = append(dst, ChainVersion)
	dst = append(dst, e.Origin...)
	dst = binary.BigEndian.AppendUint64(dst, e.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Time))
	dst = binary.AppendUvarint(dst, uint64(len(e.Kind)))
	dst = append(dst, e.Kind...)
	dst = binary.AppendUvarint(dst, uint64(len(e.ID)))
	dst = append(dst, e.ID...)
	dst = binary.AppendUvarint(dst, uint64(len(e.Body)))
	dst = append(dst, e.Body...)
	return append(dst, byte(e.Op))
}

// ChainNext returns the chain hash of e given the chain hash of the previous
// entry of the same origin (the all-zero hash before seq 1):
//
//	SHA-256(prev ‖ AppendCanonical(nil, e))
//
// e.Chain is ignored. Every level computes the same hash from the same entry,
// so a chain verifies anywhere along the path to the province.
func ChainNext(prev [32]byte, e storage.Entry) [32]byte {
	var c chainer
	return c.next(prev, e)
}

// chainer computes successive chain hashes reusing one scratch buffer,
// which holds prev ‖ canonical(e) for one SHA-256 call (sha256.Sum256 does
// not allocate; a hash.Hash's Sum does). The zero value is ready; it is not
// safe for concurrent use.
type chainer struct {
	buf []byte
}

func (c *chainer) next(prev [32]byte, e storage.Entry) [32]byte {
	c.buf = append(c.buf[:0], prev[:]...)
	c.buf = AppendCanonical(c.buf, e)
	return sha256.Sum256(c.buf)
}

// chainOver folds next over entries starting from prev.
func (c *chainer) chainOver(prev [32]byte, entries []storage.Entry) [32]byte {
	for i := range entries {
		prev = c.next(prev, entries[i])
	}
	return prev
}

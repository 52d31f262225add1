package node

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"

	"fedsync/registry"
	"fedsync/storage"
)

// A command is the payload of one raft log entry. Layout (version 1):
//
//	0x01 type(1) time(8, BE Unix ns) count(uvarint) (type 1; type 5 is type 1 from its time on, zstd-compressed after a uvarint raw length)
//	then count × { op(1) mode(1) kind id body }, each of kind, id and body
//	a uvarint length followed by its bytes.
//
// The leader stamps the time so that every server applies identical bytes.
const (
	commandVersion = 1
	cmdLocalBatch  = 1
	cmdRemoteBatch = 2 // 0x01 0x02 sender(12) then an encoded sync/wire batch
	cmdPrune       = 3 // 0x01 0x03 origin(12) maxSeq(8) olderThan(8)
	cmdState       = 4 // 0x01 0x04 sender(12) then an encoded sync/wire state
	cmdLocalBatchZ = 5 // 0x01 0x05 rawLen(uvarint) zstd(a type 1 command from its time on)

	// compressAbove is the command size from which local batches are
	// compressed: an import batch of 1,000 records (~300 KB of JSON) then
	// costs the raft log ~1/5 of the bytes and the disk time.
	compressAbove = 4 << 10
	// maxCommandBytes bounds a decompressed command.
	maxCommandBytes  = 256 << 20
	maxCommandFields = 1 << 20
)

// errBadCommand is returned when a raft log entry does not decode.
var errBadCommand = errors.New("malformed raft command")

type command struct {
	Time int64
	Muts []storage.Mutation
}

func encodeCommand(c command) []byte {
	n := 11
	for _, m := range c.Muts {
		n += 2 + 3*binary.MaxVarintLen32 + len(m.Kind) + len(m.ID) + len(m.Body)
	}
	b := make([]byte, 0, n)
	b = append(b, commandVersion, cmdLocalBatch)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time))
	b = binary.AppendUvarint(b, uint64(len(c.Muts)))
	for _, m := range c.Muts {
		b = append(b, byte(m.Op), byte(m.Mode))
		for _, s := range [][]byte{[]byte(m.Kind), []byte(m.ID), m.Body} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// encodeCommandZ encodes c, compressed when large.
func encodeCommandZ(c command) []byte {
	b := encodeCommand(c)
	if len(b) < compressAbove {
		return b
	}
	out := append(make([]byte, 0, 2+binary.MaxVarintLen64+len(b)/4), commandVersion, cmdLocalBatchZ)
	out = binary.AppendUvarint(out, uint64(len(b)-2))
	return zEncoder.EncodeAll(b[2:], out)
}

var (
	zEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(512<<10), zstd.WithLowerEncoderMem(true))
	zDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxCommandBytes), zstd.WithDecodeAllCapLimit(true))
)

// decodeCommandAny decodes a local batch, compressed or not.
func decodeCommandAny(b []byte) (command, error) {
	if len(b) < 2 || b[0] != commandVersion || b[1] != cmdLocalBatchZ {
		return decodeCommand(b)
	}
	n, k := binary.Uvarint(b[2:])
	if k <= 0 || n > maxCommandBytes {
		return command{}, fmt.Errorf("%w: compressed size", errBadCommand)
	}
	raw := make([]byte, 2, 2+n)
	raw[0], raw[1] = commandVersion, cmdLocalBatch
	raw, err := zDecoder.DecodeAll(b[2+k:], raw)
	if err != nil || uint64(len(raw)) != 2+n {
		return command{}, fmt.Errorf("%w: compressed body: %v", errBadCommand, err)
	}
	return decodeCommand(raw)
}

func decodeCommand(b []byte) (command, error) {
	var c command
	if len(b) < 10 || b[0] != commandVersion || b[1] != cmdLocalBatch {
		return c, fmt.Errorf("%w: header", errBadCommand)
	}
	c.Time = int64(binary.BigEndian.Uint64(b[2:]))
	p := b[10:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > maxCommandFields {
		return c, fmt.Errorf("%w: count", errBadCommand)
	}
	p = p[k:]
	c.Muts = make([]storage.Mutation, 0, min(n, 4096))
	for i := uint64(0); i < n; i++ {
		if len(p) < 2 {
			return c, fmt.Errorf("%w: mutation %d", errBadCommand, i)
		}
		m := storage.Mutation{Op: storage.Op(p[0]), Mode: storage.Mode(p[1])}
		p = p[2:]
		var fields [3][]byte
		for j := range fields {
			l, k := binary.Uvarint(p)
			if k <= 0 || uint64(len(p)-k) < l {
				return c, fmt.Errorf("%w: mutation %d field %d", errBadCommand, i, j)
			}
			fields[j] = p[k : k+int(l)]
			p = p[k+int(l):]
		}
		m.Kind, m.ID, m.Body = registry.Kind(fields[0]), string(fields[1]), fields[2]
		c.Muts = append(c.Muts, m)
	}
	if len(p) != 0 {
		return c, fmt.Errorf("%w: %d trailing bytes", errBadCommand, len(p))
	}
	return c, nil
}

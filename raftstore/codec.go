package raftstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// logFormatV1 is the version byte of the only log encoding written today.
const logFormatV1 byte = 1

// maxNanos is the largest valid nanosecond-of-second value.
const maxNanos = uint64(time.Second - 1)

// encodeLog returns the version 1 encoding of l, laid out as the package
// documentation's "Log entry format" section describes.
func encodeLog(l *raft.Log) []byte {
	size := 2 + 6*binary.MaxVarintLen64 + len(l.Data) + len(l.Extensions)
	buf := make([]byte, 0, size)
	buf = append(buf, logFormatV1, byte(l.Type))
	buf = binary.AppendUvarint(buf, l.Index)
	buf = binary.AppendUvarint(buf, l.Term)
	buf = binary.AppendUvarint(buf, uint64(len(l.Data)))
	buf = append(buf, l.Data...)
	buf = binary.AppendUvarint(buf, uint64(len(l.Extensions)))
	buf = append(buf, l.Extensions...)
	buf = binary.AppendVarint(buf, l.AppendedAt.Unix())
	buf = binary.AppendUvarint(buf, uint64(l.AppendedAt.Nanosecond()))
	return buf
}

// decodeLog decodes an entry written by encodeLog into l. It never panics
// and never keeps a reference to buf: Data and Extensions are fresh copies
// (nil when empty). Errors wrap ErrCorrupt or ErrUnsupportedVersion; on
// error l is left unchanged.
func decodeLog(buf []byte, l *raft.Log) error {
	if len(buf) == 0 {
		return fmt.Errorf("decode log: empty value: %w", ErrCorrupt)
	}
	if buf[0] != logFormatV1 {
		return fmt.Errorf("decode log: version %d: %w", buf[0], ErrUnsupportedVersion)
	}
	return decodeLogV1(buf[1:], l)
}

// decodeLogV1 decodes the version 1 body, which follows the version byte.
func decodeLogV1(body []byte, l *raft.Log) error {
	d := decoder{buf: body}
	typ := d.byte("type")
	var out raft.Log
	out.Type = raft.LogType(typ)
	out.Index = d.uvarint("index")
	out.Term = d.uvarint("term")
	out.Data = d.bytes("data")
	out.Extensions = d.bytes("extensions")
	sec := d.varint("appended_at seconds")
	nsec := d.uvarint("appended_at nanoseconds")
	if d.err == nil && nsec > maxNanos {
		d.fail("appended_at nanoseconds %d out of range", nsec)
	}
	if d.err == nil && len(d.buf) != 0 {
		d.fail("%d trailing bytes", len(d.buf))
	}
	if d.err != nil {
		return d.err
	}
	out.AppendedAt = time.Unix(sec, int64(nsec)).UTC()
	*l = out
	return nil
}

// decoder reads fields from buf, consuming them. After the first failure
// err is set and every further read is a no-op returning zero, so callers
// check err once at the end.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	d.err = fmt.Errorf("decode log: "+format+": %w", append(args, ErrCorrupt)...)
}

func (d *decoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if len(d.buf) == 0 {
		d.fail("%s: truncated", field)
		return 0
	}
	b := d.buf[0]
	d.buf = d.buf[1:]
	return b
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail("%s: bad or truncated uvarint", field)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail("%s: bad or truncated varint", field)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// bytes reads a uvarint length and that many bytes, returning a copy, or
// nil for length zero.
func (d *decoder) bytes(field string) []byte {
	n := d.uvarint(field + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.fail("%s length %d exceeds %d remaining bytes", field, n, len(d.buf))
		return nil
	}
	if n == 0 {
		return nil
	}
	out := bytes.Clone(d.buf[:n])
	d.buf = d.buf[n:]
	return out
}

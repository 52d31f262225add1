package node

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"fedsync/area"
)

// A snapshot file is a node's state as one verified file (`fedsync
// snapshot save`):
//
//	"FSNAP" version(1 = 0x01) headerLen(4, BE) header(JSON) body
//
// The header (SnapshotHeader) names the area, the server, the raft index
// the state reflects, when it was made, and the body's length and SHA-256.
// The body is the bbolt store file as of that index (storage.Snapshot).
// A reader refuses a file whose magic, version, header, length or
// checksum is wrong before it uses any of it.
const (
	snapshotMagic   = "FSNAP"
	snapshotVersion = 1
	maxHeaderBytes  = 64 << 10
)

// Errors of reading a snapshot file. Compare with errors.Is.
var (
	// ErrSnapshotFormat is returned when a file is not a snapshot file of
	// this version, or its header is malformed.
	ErrSnapshotFormat = errors.New("not a fedsync snapshot file")
	// ErrSnapshotTruncated is returned when the body is shorter than the
	// header says.
	ErrSnapshotTruncated = errors.New("snapshot file is truncated")
	// ErrSnapshotChecksum is returned when the body's SHA-256 differs from
	// the header's.
	ErrSnapshotChecksum = errors.New("snapshot checksum mismatch")
	// ErrSnapshotArea is returned when a snapshot of one area is restored
	// into a server of another.
	ErrSnapshotArea = errors.New("snapshot is of another area")
)

// SnapshotHeader describes a snapshot file's body.
type SnapshotHeader struct {
	Format     int       `json:"format"`
	Area       area.Code `json:"area"`
	Server     string    `json:"server"`
	RaftIndex  uint64    `json:"raft_index"`
	Created    time.Time `json:"created"`
	BodyBytes  int64     `json:"body_bytes"`
	BodySHA256 string    `json:"body_sha256"`
}

func (h SnapshotHeader) check() error {
	switch {
	case h.Format != snapshotVersion:
		return fmt.Errorf("%w: header format %d, this binary reads %d", ErrSnapshotFormat, h.Format, snapshotVersion)
	case !h.Area.Valid():
		return fmt.Errorf("%w: header area %q is not a 12-digit code", ErrSnapshotFormat, h.Area)
	case h.BodyBytes <= 0:
		return fmt.Errorf("%w: header body_bytes %d", ErrSnapshotFormat, h.BodyBytes)
	}
	if b, err := hex.DecodeString(h.BodySHA256); err != nil || len(b) != sha256.Size {
		return fmt.Errorf("%w: header body_sha256 %q is not 64 hex digits", ErrSnapshotFormat, h.BodySHA256)
	}
	return nil
}

// writeSnapshotFile writes the header for a body of size bytes whose hash
// is sum, then the body from writeBody.
func writeSnapshotFile(w io.Writer, h SnapshotHeader, writeBody func(io.Writer) (int64, error)) error {
	if _, err := w.Write(encodeSnapshotHeader(h)); err != nil {
		return fmt.Errorf("write snapshot header: %w", err)
	}
	n, err := writeBody(w)
	if err != nil {
		return fmt.Errorf("write snapshot body: %w", err)
	}
	if n != h.BodyBytes {
		return fmt.Errorf("write snapshot body: %d bytes, header says %d", n, h.BodyBytes)
	}
	return nil
}

// encodeSnapshotHeader returns the file's bytes before the body.
func encodeSnapshotHeader(h SnapshotHeader) []byte {
	h.Format = snapshotVersion
	hj, _ := json.Marshal(h) // strings, integers and a time: cannot fail
	pre := append([]byte(snapshotMagic), snapshotVersion)
	pre = binary.BigEndian.AppendUint32(pre, uint32(len(hj)))
	return append(pre, hj...)
}

// ReadSnapshotHeader reads and checks a snapshot file's header; r is then
// at the body's first byte.
func ReadSnapshotHeader(r io.Reader) (SnapshotHeader, error) {
	var h SnapshotHeader
	pre := make([]byte, len(snapshotMagic)+1+4)
	if _, err := io.ReadFull(r, pre); err != nil {
		return h, fmt.Errorf("%w: %d-byte preamble: %v", ErrSnapshotFormat, len(pre), err)
	}
	if !bytes.Equal(pre[:len(snapshotMagic)], []byte(snapshotMagic)) {
		return h, fmt.Errorf("%w: it does not start with %q", ErrSnapshotFormat, snapshotMagic)
	}
	if v := pre[len(snapshotMagic)]; v != snapshotVersion {
		return h, fmt.Errorf("%w: version %d, this binary reads %d", ErrSnapshotFormat, v, snapshotVersion)
	}
	n := binary.BigEndian.Uint32(pre[len(snapshotMagic)+1:])
	if n == 0 || n > maxHeaderBytes {
		return h, fmt.Errorf("%w: header of %d bytes (limit %d)", ErrSnapshotFormat, n, maxHeaderBytes)
	}
	hj := make([]byte, n)
	if _, err := io.ReadFull(r, hj); err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrSnapshotTruncated, err)
	}
	dec := json.NewDecoder(bytes.NewReader(hj))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrSnapshotFormat, err)
	}
	return h, h.check()
}

// CopySnapshotBody copies the body that follows a header to w, checking
// its length and SHA-256 against h. On error w has received a body that
// must not be used.
func CopySnapshotBody(w io.Writer, r io.Reader, h SnapshotHeader) error {
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, sum), io.LimitReader(r, h.BodyBytes))
	if err != nil {
		return fmt.Errorf("read snapshot body: %w", err)
	}
	if n < h.BodyBytes {
		return fmt.Errorf("%w: body has %d of %d bytes", ErrSnapshotTruncated, n, h.BodyBytes)
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return fmt.Errorf("%w: bytes after the %d-byte body", ErrSnapshotFormat, h.BodyBytes)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != h.BodySHA256 {
		return fmt.Errorf("%w: body SHA-256 %s, header says %s", ErrSnapshotChecksum, got, h.BodySHA256)
	}
	return nil
}

// hashingCounter counts and hashes what is written to it.
type hashingCounter struct {
	h hash.Hash
	n int64
}

func (c *hashingCounter) Write(p []byte) (int, error) {
	c.h.Write(p)
	c.n += int64(len(p))
	return len(p), nil
}

// bufferedReader wraps r for the small reads of the header.
func bufferedReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 1<<20) }

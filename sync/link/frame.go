package link

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"fedsync/sync/wire"
)

// FrameType is the first byte of every frame.
type FrameType byte

// Frame types. Zero and values above FrameAck are unknown.
const (
	FrameHello   FrameType = 1 // child → parent, first frame: JSON proto.Hello
	FrameWelcome FrameType = 2 // parent → child, first frame: JSON proto.Welcome
	FrameBatch   FrameType = 3 // child → parent: an encoded sync/wire batch
	FrameAck     FrameType = 4 // parent → child, one per batch: JSON proto.Ack
	// FramePing is child → parent, empty: a keepalive sent by an idle
	// child. The parent answers it with an empty Ack, in order like a
	// batch, and counts it as news from the child.
	FramePing FrameType = 5
)

// String returns the frame type's name, or "type-N" for an unknown byte.
func (t FrameType) String() string {
	switch t {
	case FrameHello:
		return "hello"
	case FrameWelcome:
		return "welcome"
	case FrameBatch:
		return "batch"
	case FrameAck:
		return "ack"
	case FramePing:
		return "ping"
	}
	return fmt.Sprintf("type-%d", byte(t))
}

func (t FrameType) known() bool { return t >= FrameHello && t <= FramePing }

// MaxControlBytes bounds the payload of hello, welcome and ack frames (1 MiB).
const MaxControlBytes = 1 << 20

// DefaultMaxBatchBytes is the default bound of a batch frame's payload: the
// largest batch sync/wire's default limits admit.
func DefaultMaxBatchBytes() int64 { return wire.DefaultLimits().MaxBatchBytes() }

// growChunk is the most a reader allocates ahead of the bytes it has
// received, for payloads larger than it; smaller payloads (every control
// frame) are allocated at once, after the length check.
const growChunk = 1 << 20

// frameReader reads frames from a buffered stream. It is not safe for
// concurrent use; each link has one reading goroutine.
type frameReader struct {
	br       *bufio.Reader
	maxBatch int64 // bound of a batch payload, in bytes
}

func newFrameReader(r io.Reader, maxBatch int64) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, 64<<10), maxBatch: maxBatch}
}

func (r *frameReader) limit(t FrameType) int64 {
	if t == FrameBatch {
		return r.maxBatch
	}
	return MaxControlBytes
}

// readFrame reads the next frame, which must be of type want, and returns
// its payload, a fresh slice the caller owns. It returns io.EOF at a clean
// end of stream, an error wrapping io.ErrUnexpectedEOF for a stream cut
// inside a frame, a *ProtocolError for a frame that breaks a rule, or the
// underlying read error. Checks come in order — type, length, limit — and
// the payload is allocated only after they pass.
func (r *frameReader) readFrame(want FrameType) ([]byte, error) {
	_, p, err := r.readFrameOf(want)
	return p, err
}

// readFrameOf is readFrame for a frame of any of the types wanted; it also
// returns the type read.
func (r *frameReader) readFrameOf(wanted ...FrameType) (FrameType, []byte, error) {
	want := wanted[0]
	b, err := r.br.ReadByte()
	if err != nil {
		return 0, nil, err // io.EOF here is a clean end
	}
	t := FrameType(b)
	if !t.known() {
		return t, nil, protoErr(RuleFrameType, t, ErrFrameType, "unknown frame type byte %d, want %s", b, want)
	}
	if !slices.Contains(wanted, t) {
		return t, nil, protoErr(RuleFrameOrder, t, ErrFrameType, "got a %s frame, want %s", t, want)
	}
	p, err := r.readBody(t)
	return t, p, err
}

// readBody reads the length and payload of a frame of type t.
func (r *frameReader) readBody(t FrameType) ([]byte, error) {
	n, err := binary.ReadUvarint(r.br)
	if err != nil {
		return nil, lengthErr(t, err)
	}
	if lim := r.limit(t); n > uint64(lim) {
		return nil, protoErr(RuleFrameSize, t, ErrFrameTooLarge, "%s frame of %d bytes exceeds the limit of %d bytes", t, n, lim)
	}
	p, err := readPayload(r.br, int(n))
	if err != nil {
		return nil, fmt.Errorf("read %s frame payload (%d bytes): %w", t, n, err)
	}
	return p, nil
}

func lengthErr(t FrameType, err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("read %s frame length: %w", t, io.ErrUnexpectedEOF)
	case errors.Is(err, binaryOverflow):
		return protoErr(RuleLength, t, ErrMalformed, "%s frame length is not a valid uvarint", t)
	}
	return fmt.Errorf("read %s frame length: %w", t, err)
}

// binaryOverflow is the error binary.ReadUvarint returns for a varint
// longer than 64 bits (the package does not export it).
var binaryOverflow = func() error {
	_, err := binary.ReadUvarint(bytes.NewReader(bytes.Repeat([]byte{0xff}, binary.MaxVarintLen64+1)))
	return err
}()

// readPayload reads exactly n bytes. Above growChunk it grows its buffer as
// bytes arrive, so a peer that declares a large frame and sends little
// costs little memory. A short stream is io.ErrUnexpectedEOF.
func readPayload(r io.Reader, n int) ([]byte, error) {
	if n <= growChunk {
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			return nil, unexpected(err)
		}
		return p, nil
	}
	p := make([]byte, 0, growChunk)
	for len(p) < n {
		if len(p) == cap(p) {
			p = slices.Grow(p, min(cap(p), n-len(p)))
		}
		m, err := io.ReadFull(r, p[len(p):min(cap(p), n)])
		p = p[:len(p)+m]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return p, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readControl reads a control frame of type want and decodes its JSON into
// v. Unknown JSON fields are ignored, so a later minor version may add some.
func (r *frameReader) readControl(want FrameType, v any) error {
	p, err := r.readFrame(want)
	if err != nil {
		return err
	}
	return decodeControl(want, p, v)
}

// decodeControl decodes the JSON payload p of a control frame of type t.
func decodeControl(t FrameType, p []byte, v any) error {
	if err := json.Unmarshal(p, v); err != nil {
		return protoErr(RulePayload, t, ErrMalformed, "%s payload: %v", t, err)
	}
	return nil
}

// frameWriter writes frames to a buffered stream, flushing after each. It is
// not safe for concurrent use; each link side has one writing goroutine.
type frameWriter struct {
	bw *bufio.Writer
}

func newFrameWriter(w io.Writer) *frameWriter {
	return &frameWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

// writeFrame writes one frame and flushes it. It does not check limits;
// callers do, before anything is written.
func (w *frameWriter) writeFrame(t FrameType, payload []byte) error {
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = byte(t)
	n := 1 + binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if _, err := w.bw.Write(hdr[:n]); err != nil {
		return fmt.Errorf("write %s frame: %w", t, err)
	}
	if _, err := w.bw.Write(payload); err != nil {
		return fmt.Errorf("write %s frame: %w", t, err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("write %s frame: %w", t, err)
	}
	return nil
}

// encodeControl returns the JSON payload of a control frame, refusing one
// over MaxControlBytes.
func encodeControl(t FrameType, v any) ([]byte, error) {
	p, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s frame: %w", t, err)
	}
	if len(p) > MaxControlBytes {
		return nil, fmt.Errorf("encode %s frame: %w: %d bytes, limit %d", t, ErrFrameTooLarge, len(p), MaxControlBytes)
	}
	return p, nil
}

// writeControl encodes v as JSON and writes it as one frame of type t.
func (w *frameWriter) writeControl(t FrameType, v any) error {
	p, err := encodeControl(t, v)
	if err != nil {
		return err
	}
	return w.writeFrame(t, p)
}

package link

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"reflect"
	"runtime"
	"testing"

	"fedsync/sync/proto"
)

var update = flag.Bool("update", false, "rewrite testdata/frames-v1.bin")

// goldenFrames is the stream pinned by testdata/frames-v1.bin: one frame of
// each type, as a link carries them.
func goldenFrames() (proto.Hello, proto.Welcome, []byte, proto.Ack) {
	return proto.Hello{Version: 1, Sender: "210102001000", Server: "street-1"},
		proto.Welcome{Version: 1, Receiver: "210102000000", Marks: []proto.Mark{{Origin: "210102001000", Seq: 7, Chain: [32]byte{1, 2, 3}}}},
		[]byte("FSB\x01 opaque batch bytes"),
		proto.Ack{Ranges: []proto.RangeAck{{Origin: "210102001000", Status: proto.StatusApplied, Applied: 3, Watermark: 10}}}
}

func TestGoldenFrames(t *testing.T) {
	hello, welcome, batch, ack := goldenFrames()
	var buf bytes.Buffer
	w := newFrameWriter(&buf)
	for _, err := range []error{
		w.writeControl(FrameHello, hello), w.writeControl(FrameWelcome, welcome),
		w.writeFrame(FrameBatch, batch), w.writeControl(FrameAck, ack),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	const path = "testdata/frames-v1.bin"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), stored) {
		t.Errorf("encoding changed: got %q, want %q (run with -update only for a new version)", buf.Bytes(), stored)
	}

	r := newFrameReader(bytes.NewReader(stored), 1024)
	var gotH proto.Hello
	var gotW proto.Welcome
	var gotA proto.Ack
	mustNil(t, r.readControl(FrameHello, &gotH))
	mustNil(t, r.readControl(FrameWelcome, &gotW))
	gotB, err := r.readFrame(FrameBatch)
	mustNil(t, err)
	mustNil(t, r.readControl(FrameAck, &gotA))
	if !reflect.DeepEqual(gotH, hello) || !reflect.DeepEqual(gotW, welcome) || !bytes.Equal(gotB, batch) || !reflect.DeepEqual(gotA, ack) {
		t.Errorf("decoded %+v %+v %q %+v; want %+v %+v %q %+v", gotH, gotW, gotB, gotA, hello, welcome, batch, ack)
	}
	if _, err := r.readFrame(FrameBatch); err != io.EOF {
		t.Errorf("after the last frame: got %v, want io.EOF", err)
	}
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadFrameErrors(t *testing.T) {
	const maxBatch = 100
	for _, tc := range []struct {
		name  string
		data  []byte
		want  FrameType
		rule  string // "" for a non-protocol error
		cause error
	}{
		{"empty", nil, FrameBatch, "", io.EOF},
		{"unknown type", []byte{0}, FrameBatch, RuleFrameType, ErrFrameType},
		{"wrong type", frame(FrameAck, nil), FrameBatch, RuleFrameOrder, ErrFrameType},
		{"batch at limit+1", append([]byte{3}, uvarint(maxBatch+1)...), FrameBatch, RuleFrameSize, ErrFrameTooLarge},
		{"control at limit+1", append([]byte{4}, uvarint(MaxControlBytes+1)...), FrameAck, RuleFrameSize, ErrFrameTooLarge},
		{"huge length", append([]byte{3}, uvarint(1<<63)...), FrameBatch, RuleFrameSize, ErrFrameTooLarge},
		{"length overflow", append([]byte{3}, bytes.Repeat([]byte{0x80}, 10)...), FrameBatch, RuleLength, ErrMalformed},
		{"length cut", []byte{3, 0x80}, FrameBatch, "", io.ErrUnexpectedEOF},
		{"payload cut", []byte{3, 5, 1, 2}, FrameBatch, "", io.ErrUnexpectedEOF},
		{"ack not json", frame(FrameAck, []byte("[1]")), FrameAck, RulePayload, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFrameReader(bytes.NewReader(tc.data), maxBatch)
			var err error
			if tc.want == FrameAck {
				err = r.readControl(FrameAck, new(proto.Ack))
			} else {
				_, err = r.readFrame(tc.want)
			}
			var pe *ProtocolError
			if got := errors.As(err, &pe); got != (tc.rule != "") || (got && pe.Rule != tc.rule) {
				t.Fatalf("got %v, want rule %q", err, tc.rule)
			}
			if !errors.Is(err, tc.cause) {
				t.Fatalf("got %v, want it to wrap %v", err, tc.cause)
			}
		})
	}
}

// TestReadFrameAllocatesAsReceived checks that a frame declaring a large
// payload but carrying little costs little memory.
func TestReadFrameAllocatesAsReceived(t *testing.T) {
	const declared = 64 << 20
	data := append([]byte{byte(FrameBatch)}, uvarint(declared)...)
	data = append(data, make([]byte, 1000)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := newFrameReader(bytes.NewReader(data), declared).readFrame(FrameBatch)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4*growChunk {
		t.Errorf("allocated %d bytes for a 1000-byte frame body, want <= %d", got, 4*growChunk)
	}
}

func TestReadPayloadGrows(t *testing.T) {
	for _, n := range []int{0, 1, growChunk, growChunk + 1, 3*growChunk + 17} {
		want := bytes.Repeat([]byte{0xab}, n)
		got, err := readPayload(bytes.NewReader(want), n)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("n=%d: got %d bytes, %v", n, len(got), err)
		}
	}
}

// FuzzReadFrame reads frames of every type from arbitrary bytes: it must
// never panic, never return a payload over its limit, and return either a
// frame, io.EOF, a cut stream or a *ProtocolError.
func FuzzReadFrame(f *testing.F) {
	hello, welcome, batch, ack := goldenFrames()
	f.Add(mustEncode(FrameHello, hello))
	f.Add(mustEncode(FrameWelcome, welcome))
	f.Add(frame(FrameBatch, batch))
	f.Add(mustEncode(FrameAck, ack))
	f.Add([]byte{3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{7, 1, 0})
	f.Add(append(frame(FrameBatch, batch), frame(FrameBatch, nil)...))
	const maxBatch = 4096
	f.Fuzz(func(t *testing.T, data []byte) {
		for want := FrameHello; want <= FrameAck; want++ {
			r := newFrameReader(bytes.NewReader(data), maxBatch)
			for range 8 {
				p, err := r.readFrame(want)
				if err != nil {
					var pe *ProtocolError
					if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &pe) {
						t.Fatalf("unexpected error kind: %v", err)
					}
					break
				}
				if int64(len(p)) > r.limit(want) {
					t.Fatalf("payload of %d bytes over the %s limit %d", len(p), want, r.limit(want))
				}
				if v := controlValue(want); v != nil {
					if err := decodeControl(want, p, v); err != nil && !errors.Is(err, ErrMalformed) {
						t.Fatalf("decode %s: %v", want, err)
					}
				}
			}
		}
	})
}

func mustEncode(t FrameType, v any) []byte {
	p, err := encodeControl(t, v)
	if err != nil {
		panic(err)
	}
	return frame(t, p)
}

// controlValue returns a pointer to the proto type a control frame of type t
// carries, or nil for batches.
func controlValue(t FrameType) any {
	switch t {
	case FrameHello:
		return new(proto.Hello)
	case FrameWelcome:
		return new(proto.Welcome)
	case FrameAck:
		return new(proto.Ack)
	}
	return nil
}

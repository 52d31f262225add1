package raftstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// sampleLogs covers every field at its edges.
func sampleLogs() map[string]raft.Log {
	return map[string]raft.Log{
		"zero":          {},
		"command":       {Index: 1, Term: 1, Type: raft.LogCommand, Data: []byte("hello")},
		"configuration": {Index: 7, Term: 3, Type: raft.LogConfiguration, Data: []byte{0, 1, 2}},
		"extensions":    {Index: 9, Term: 2, Type: raft.LogNoop, Extensions: []byte("ext")},
		"max fields": {
			Index: math.MaxUint64, Term: math.MaxUint64, Type: raft.LogType(255),
			Data: bytes.Repeat([]byte{0xff}, 1<<16),
		},
		"appended at":  {Index: 2, Term: 1, AppendedAt: time.Date(2025, 3, 4, 5, 6, 7, 999_999_999, time.UTC)},
		"before epoch": {Index: 3, Term: 1, AppendedAt: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC)},
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for name, want := range sampleLogs() {
		t.Run(name, func(t *testing.T) {
			var got raft.Log
			if err := decodeLog(encodeLog(&want), &got); err != nil {
				t.Fatalf("decodeLog: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestCodecDropsLocationAndMonotonic(t *testing.T) {
	now := time.Now() // carries a monotonic reading and time.Local
	in := raft.Log{Index: 1, AppendedAt: now}
	var got raft.Log
	if err := decodeLog(encodeLog(&in), &got); err != nil {
		t.Fatalf("decodeLog: %v", err)
	}
	if !got.AppendedAt.Equal(now) {
		t.Errorf("AppendedAt = %v, want instant %v", got.AppendedAt, now)
	}
	if got.AppendedAt.Location() != time.UTC {
		t.Errorf("AppendedAt location = %v, want UTC", got.AppendedAt.Location())
	}
}

// goldenLog is the entry stored in testdata/log_v1.bin. Never change it or
// the file: the test proves today's decoder reads version 1 as written.
var goldenLog = raft.Log{
	Index:      42,
	Term:       7,
	Type:       raft.LogCommand,
	Data:       []byte("fedsync"),
	Extensions: []byte{0xca, 0xfe},
	AppendedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
}

func TestCodecGoldenV1(t *testing.T) {
	path := filepath.Join("testdata", "log_v1.bin")
	if *update {
		if err := os.WriteFile(path, encodeLog(&goldenLog), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got raft.Log
	if err := decodeLog(stored, &got); err != nil {
		t.Fatalf("decode stored v1 sample: %v", err)
	}
	if !reflect.DeepEqual(got, goldenLog) {
		t.Errorf("stored v1 sample:\n got %+v\nwant %+v", got, goldenLog)
	}
	if enc := encodeLog(&goldenLog); !bytes.Equal(enc, stored) {
		t.Errorf("encoding changed without a version bump:\n got %x\nwant %x", enc, stored)
	}
}

func TestCodecRejectsBadInput(t *testing.T) {
	valid := encodeLog(&goldenLog)
	hugeLen := append([]byte{logFormatV1, 0, 1, 1}, binary.AppendUvarint(nil, math.MaxUint64)...)
	badNanos := append([]byte{logFormatV1, 0, 1, 1, 0, 0, 0}, binary.AppendUvarint(nil, 1e9)...)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"unknown version", append([]byte{2}, valid[1:]...), ErrUnsupportedVersion},
		{"version zero", []byte{0}, ErrUnsupportedVersion},
		{"version only", []byte{logFormatV1}, ErrCorrupt},
		{"no index", []byte{logFormatV1, 0}, ErrCorrupt},
		{"unterminated varint", []byte{logFormatV1, 0, 0x80, 0x80}, ErrCorrupt},
		{"varint overflow", append([]byte{logFormatV1, 0}, bytes.Repeat([]byte{0xff}, 11)...), ErrCorrupt},
		{"data longer than value", hugeLen, ErrCorrupt},
		{"nanoseconds out of range", badNanos, ErrCorrupt},
		{"truncated by one", valid[:len(valid)-1], ErrCorrupt},
		{"trailing byte", append(bytes.Clone(valid), 0), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := raft.Log{Index: 99}
			err := decodeLog(tt.in, &got)
			if !errors.Is(err, tt.want) {
				t.Fatalf("decodeLog(%x) error = %v, want %v", tt.in, err, tt.want)
			}
			if got.Index != 99 {
				t.Errorf("decodeLog modified the output on error: %+v", got)
			}
		})
	}
}

func TestCodecDoesNotAliasInput(t *testing.T) {
	buf := encodeLog(&goldenLog)
	var got raft.Log
	if err := decodeLog(buf, &got); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 0
	}
	if !reflect.DeepEqual(got, goldenLog) {
		t.Errorf("decoded log changed with its input buffer: %+v", got)
	}
}

// FuzzDecodeLog checks that decodeLog never panics, and that whatever it
// accepts re-encodes to bytes that decode to the same entry.
func FuzzDecodeLog(f *testing.F) {
	for _, l := range sampleLogs() {
		f.Add(encodeLog(&l))
	}
	f.Add(encodeLog(&goldenLog))
	f.Add([]byte{})
	f.Add([]byte{logFormatV1, 0, 0x80})
	f.Fuzz(func(t *testing.T, in []byte) {
		var first raft.Log
		if err := decodeLog(in, &first); err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnsupportedVersion", err)
			}
			return
		}
		var second raft.Log
		if err := decodeLog(encodeLog(&first), &second); err != nil {
			t.Fatalf("re-decode of accepted input: %v", err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("re-encode changed the entry:\n got %+v\nwant %+v", second, first)
		}
	})
}

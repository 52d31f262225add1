package wire

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zeros returns n zero bytes compressed by zstd, with the frame content
// size (EncodeAll) or without it (streaming).
func zeros(tb testing.TB, n int, withSize bool) []byte {
	tb.Helper()
	if withSize {
		enc, err := encoderFor(zstd.SpeedFastest)
		if err != nil {
			tb.Fatal(err)
		}
		return enc.EncodeAll(make([]byte, n), nil)
	}
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		tb.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for left := n; left > 0; left -= len(chunk) {
		if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// withPayload replaces the payload of an encoded batch, declaring raw bytes
// of raw size, and fixes the CRCs.
func withPayload(data, payload []byte, raw uint64) []byte {
	out := append(bytes.Clone(data[:hdrLen(data)]), payload...)
	setTrailer(out, raw, uint64(len(payload)))
	return out
}

// TestBombProduces feeds Decode a payload that claims 4 KiB but inflates to
// 128 MiB, with and without a zstd frame size, and checks that it is refused
// without allocating more than a few MiB.
func TestBombProduces(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 256 MiB")
	}
	data := mustEncode(t, sampleBatch())
	for _, withSize := range []bool{true, false} {
		bomb := withPayload(data, zeros(t, 128<<20, withSize), 4096)
		t.Logf("frame size known %v: %d-byte batch", withSize, len(bomb))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(bomb, Limits{})
		runtime.ReadMemStats(&after)
		wantRule(t, err, ErrTooLarge, RuleSize)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("frame size known %v: Decode allocated %d bytes refusing a bomb", withSize, alloc)
		}
	}
}

// TestPayloadShorterThanDeclared refuses a payload that inflates to less
// than its declared raw size, and one that is not zstd at all.
func TestPayloadShorterThanDeclared(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	_, err := Decode(withPayload(data, zeros(t, 100, true), 4096), Limits{})
	wantRule(t, err, ErrMalformed, RuleStructure)
	_, err = Decode(withPayload(data, []byte("definitely not zstd"), 400), Limits{})
	wantRule(t, err, ErrMalformed, RuleStructure)
}

package wire

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"
	"pgregory.net/rapid"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// genOrigin draws a valid area code of a node level (province to street).
func genOrigin() *rapid.Generator[area.Code] {
	return rapid.Custom(func(t *rapid.T) area.Code {
		level := rapid.IntRange(1, 4).Draw(t, "level")
		s := fmt.Sprintf("%02d", rapid.IntRange(1, 99).Draw(t, "province"))
		for l, w := range []int{2, 2, 3}[:level-1] {
			s += fmt.Sprintf("%0*d", w, rapid.IntRange(1, 10*w).Draw(t, fmt.Sprint("seg", l)))
		}
		return area.MustParse(s + "000000000000"[:12-len(s)])
	})
}

// genBody draws an empty, small or large body, compressible or not.
func genBody(t *rapid.T) []byte {
	var n int
	switch rapid.IntRange(0, 9).Draw(t, "size") {
	case 0, 1:
		return nil
	case 9:
		n = rapid.IntRange(1, registry.MaxRecordBytes).Draw(t, "large")
	default:
		n = rapid.IntRange(1, 600).Draw(t, "small")
	}
	r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	b := make([]byte, n)
	alphabet := rapid.IntRange(1, 256).Draw(t, "alphabet")
	for i := range b {
		b[i] = byte(r.IntN(alphabet))
	}
	return b
}

func genEntry(t *rapid.T) storage.Entry {
	return storage.Entry{
		Time: rapid.Int64().Draw(t, "time"),
		Kind: rapid.SampledFrom(registry.Kinds).Draw(t, "kind"),
		Op:   rapid.SampledFrom([]storage.Op{storage.OpPut, storage.OpDelete}).Draw(t, "op"),
		ID:   rapid.StringN(1, 40, -1).Draw(t, "id"),
		Body: genBody(t),
	}
}

// genBatch draws a valid batch of up to maxRanges origins.
func genBatch(t *rapid.T, maxRanges int) *Batch {
	origins := rapid.SliceOfNDistinct(genOrigin(), 1, maxRanges, func(c area.Code) area.Code { return c }).Draw(t, "origins")
	b := &Batch{Sender: rapid.SampledFrom(origins).Draw(t, "sender")}
	for _, o := range origins {
		first := uint64(1)
		var prev [32]byte
		if rapid.Bool().Draw(t, "continues") {
			first = rapid.Uint64Range(2, 1<<40).Draw(t, "first")
			copy(prev[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "prev"))
		}
		entries := rapid.SliceOfN(rapid.Custom(genEntry), 1, 30).Draw(t, "entries")
		b.Ranges = append(b.Ranges, newRange(o, first, prev, entries))
	}
	return b
}

// lenient limits switch the ratio rule off for generated bodies.
var lenient = Limits{RatioFreeRaw: 64 << 20}

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := genBatch(t, 40)
		level := rapid.SampledFrom(levels).Draw(t, "level")
		data, err := Encode(b, EncodeOptions{Level: level, Limits: lenient})
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		got, err := Decode(data, lenient)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("round trip changed the batch:\n got %+v\nwant %+v", got, b)
		}
	})
}

// TestInterleaved checks that Decode accepts entries of different ranges
// interleaved in the payload, each origin's in seq order.
func TestInterleaved(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := genBatch(t, 8)
		next := make([]int, len(b.Ranges))
		prevTime := make([]int64, len(b.Ranges))
		var raw []byte
		for left := totalEntries(b); left > 0; left-- {
			i := rapid.IntRange(0, len(b.Ranges)-1).Filter(func(i int) bool { return next[i] < len(b.Ranges[i].Entries) }).Draw(t, "range")
			e := &b.Ranges[i].Entries[next[i]]
			raw = appendEntry(raw, uint64(i), 1, e.Time-prevTime[i], e)
			next[i], prevTime[i] = next[i]+1, e.Time
		}
		got, err := Decode(sealUnchecked(t, b, raw, lenient), lenient)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("interleaved payload decoded to another batch")
		}
	})
}

var levels = []zstd.EncoderLevel{0, zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression}

func totalEntries(b *Batch) int {
	n := 0
	for _, r := range b.Ranges {
		n += len(r.Entries)
	}
	return n
}

// TestOneEntryAlwaysFits checks the promise of Limits: a batch of one entry
// with the largest, most compressible id and body encodes and decodes under
// default limits (the ratio rule does not apply below RatioFreeRaw).
func TestOneEntryAlwaysFits(t *testing.T) {
	max := registry.MaxRecordBytes
	e := storage.Entry{Kind: registry.KindOrg, Op: storage.OpPut,
		ID: string(bytes.Repeat([]byte("i"), max)), Body: bytes.Repeat([]byte("a"), max)}
	b := &Batch{Sender: area.MustParse("210102001000"), Ranges: []Range{newRange("210102001000", 9, [32]byte{1}, []storage.Entry{e})}}
	data := mustEncode(t, b)
	if _, err := Decode(data, Limits{}); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if ratio := float64(max*2) / float64(len(data)); ratio <= float64(DefaultLimits().MaxRatio) {
		t.Fatalf("ratio only %.0f; the test no longer exercises RatioFreeRaw", ratio)
	}
}

// TestManyOrigins encodes a batch of 2,000 single-entry ranges.
func TestManyOrigins(t *testing.T) {
	b := &Batch{Sender: "210000000000"}
	for i := range 2000 {
		o := area.MustParse(fmt.Sprintf("21%02d%02d%03d000", i/400+1, i/20%20+1, i%20+1))
		b.Ranges = append(b.Ranges, newRange(o, uint64(i+1), [32]byte{byte(i)}, []storage.Entry{
			{Time: int64(i), Kind: registry.KindOrg, ID: "o", Op: storage.OpDelete}}))
	}
	got, err := Decode(mustEncode(t, b), Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatal("round trip changed the batch")
	}
}

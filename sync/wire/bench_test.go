package wire

import (
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// benchBatches are the benchmark batches: 1,000 org records each, as
// registry.Org JSON (~320 bytes) and as ~500-byte richOrg JSON.
var benchBatches = []struct {
	name string
	rich bool
}{{"org320", false}, {"org500", true}}

// benchBatch returns the batch and the sizes of its raw payload and bodies.
func benchBatch(rich bool) (batch *Batch, raw, jsonBytes int) {
	batch = orgBatch(1000, 1, rich)
	for _, e := range batch.Ranges[0].Entries {
		jsonBytes += len(e.Body)
	}
	return batch, len(appendPayload(nil, batch)), jsonBytes
}

// report adds raw payload MB per CPU second (robust on a loaded machine,
// where MB/s counts wall time), and the compression metrics: wire bytes per
// entry, raw payload / wire bytes, and the mean JSON body size.
func report(b *testing.B, wire, raw, jsonBytes, entries int, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(raw)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(wire)/float64(entries), "wire-B/entry")
	b.ReportMetric(float64(raw)/float64(wire), "ratio")
	b.ReportMetric(float64(jsonBytes)/float64(entries), "json-B/entry")
}

// BenchmarkEncode measures Encode (checks and chain included); MB/s counts
// raw payload bytes.
func BenchmarkEncode(b *testing.B) {
	for _, bb := range benchBatches {
		for _, level := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression} {
			b.Run(bb.name+"/"+level.String(), func(b *testing.B) {
				batch, raw, js := benchBatch(bb.rich)
				var wire int
				b.SetBytes(int64(raw))
				b.ReportAllocs()
				cpu := cpuTime()
				for b.Loop() {
					data, err := Encode(batch, EncodeOptions{Level: level})
					if err != nil {
						b.Fatal(err)
					}
					wire = len(data)
				}
				report(b, wire, raw, js, 1000, cpuTime()-cpu)
			})
		}
	}
}

// BenchmarkDecode measures Decode of a SpeedDefault batch (checks and
// chain included); MB/s counts raw payload bytes.
func BenchmarkDecode(b *testing.B) {
	for _, bb := range benchBatches {
		b.Run(bb.name, func(b *testing.B) {
			batch, raw, js := benchBatch(bb.rich)
			data := mustEncode(b, batch)
			b.SetBytes(int64(raw))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := Decode(data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, len(data), raw, js, 1000, cpuTime()-cpu)
		})
	}
}

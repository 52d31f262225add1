package wire

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestLimitsValidate(t *testing.T) {
	cases := []struct {
		name string
		lim  Limits
		ok   bool
	}{
		{"zero means defaults", Limits{}, true},
		{"defaults", DefaultLimits(), true},
		{"negative", Limits{MaxEntries: -1}, false},
		{"raw over the ceiling", Limits{MaxRaw: MaxRawCeiling + 1}, false},
		{"entries over the count field", Limits{MaxEntries: 1 << 31}, false},
		{"one entry would not fit", Limits{MaxEntryBody: 1 << 20}, false},
		{"one entry fits", Limits{MaxEntryBody: 1 << 20, RatioFreeRaw: 3 << 20}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.lim.Validate()
			if got := err == nil; got != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrLimits) {
				t.Fatalf("Validate() = %v, want ErrLimits", err)
			}
			if _, err := Decode(mustEncode(t, sampleBatch()), tc.lim); (err == nil) != tc.ok {
				t.Fatalf("Decode with these limits: %v", err)
			}
		})
	}
	if _, err := Encode(sampleBatch(), EncodeOptions{Level: zstd.SpeedBestCompression + 1}); !errors.Is(err, ErrLimits) {
		t.Fatalf("Encode with an unknown level: %v, want ErrLimits", err)
	}
	if got, want := DefaultLimits().MaxBatchBytes(), int64(49+96*100_000+16<<20); got != want {
		t.Fatalf("MaxBatchBytes() = %d, want %d", got, want)
	}
}

// TestConcurrent encodes and decodes from many goroutines (run with -race):
// the shared zstd encoders, decoder and buffer pool must be safe.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			b := orgBatch(50, uint64(g), g%2 == 0)
			for range 20 {
				data, err := Encode(b, EncodeOptions{Level: levels[g%len(levels)]})
				if err != nil {
					t.Error(err)
					return
				}
				got, err := Decode(data, Limits{})
				if err != nil || !reflect.DeepEqual(got, b) {
					t.Errorf("goroutine %d: round trip failed: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

package wire

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/batch-v1.bin from sampleBatch")

const goldenV1 = "testdata/batch-v1.bin"

// TestGoldenV1 reads a batch written by an earlier build. If the format
// drifts, this stored sample stops decoding to sampleBatch. Rewrite it only
// with a new format version (go test -run GoldenV1 -update).
func TestGoldenV1(t *testing.T) {
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenV1), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenV1, mustEncode(t, sampleBatch()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenV1)
	}
	data, err := os.ReadFile(goldenV1)
	if err != nil {
		t.Fatalf("%v (create it once with -update)", err)
	}
	got, err := Decode(data, Limits{})
	if err != nil {
		t.Fatalf("Decode %s: %v", goldenV1, err)
	}
	if want := sampleBatch(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s decodes to\n%+v\nwant\n%+v", goldenV1, got, want)
	}
	// The encoder must still write the same header and raw payload (the
	// compressed bytes may change with the zstd library).
	again := mustEncode(t, sampleBatch())
	hl := hdrLen(data)
	if !bytes.Equal(again[:hl-trailerLen+12], data[:hl-trailerLen+12]) {
		t.Errorf("Encode writes a different header than %s", goldenV1)
	}
	raw, rerr := decompress(data[hl:], uint64(len(appendPayload(nil, got))))
	if rerr != nil || !bytes.Equal(raw, appendPayload(nil, sampleBatch())) {
		t.Errorf("Encode writes a different raw payload than %s (%v)", goldenV1, rerr)
	}
}

package node

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"fedsync/storage"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares enc with testdata/name (rewritten with -update) and
// returns the stored bytes.
func golden(t *testing.T, name string, enc []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, enc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, stored) {
		t.Errorf("%s: encoding changed without a version bump:\n got %q\nwant %q", name, enc, stored)
	}
	return stored
}

// goldenAddrs is the entry of testdata/addrbook_v1.bin. Never change it
// or the file.
var goldenAddrs = storage.ServerAddrs{Name: "heping-2", Raft: "10.0.3.8:8701", HTTP: "10.0.3.8:8700", Sync: "10.0.3.8:8702", Updated: 1764115200000000000}

func TestAddrBookGoldenV1(t *testing.T) {
	stored := golden(t, "addrbook_v1.bin", encodeAddrBook(addrPut, goldenAddrs))
	op, got, err := decodeAddrBook(stored)
	if err != nil || op != addrPut || got != goldenAddrs {
		t.Fatalf("stored v1 sample: op %d %+v %v", op, got, err)
	}
	for i := range stored {
		if _, _, err := decodeAddrBook(stored[:i]); err == nil {
			t.Fatalf("truncated at %d: decoded", i)
		}
	}
}

// goldenHeader is the header of testdata/snapshot_v1_header.bin.
var goldenHeader = SnapshotHeader{Area: testCounty, Server: "heping-1", RaftIndex: 1234,
	Created: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), BodyBytes: 65536,
	BodySHA256: strings.Repeat("ab", 32)}

func TestSnapshotHeaderGoldenV1(t *testing.T) {
	stored := golden(t, "snapshot_v1_header.bin", encodeSnapshotHeader(goldenHeader))
	got, err := ReadSnapshotHeader(bytes.NewReader(stored))
	want := goldenHeader
	want.Format = snapshotVersion
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("stored v1 header:\n got %+v %v\nwant %+v", got, err, want)
	}
}

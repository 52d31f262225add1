package wire

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// newRange returns a valid range of origin starting at first after chain
// prev: it sets each entry's Origin and Seq, fills its Chain and sets
// EndChain.
func newRange(origin area.Code, first uint64, prev [32]byte, entries []storage.Entry) Range {
	r := Range{Origin: origin, First: first, Last: first + uint64(len(entries)) - 1, PrevChain: prev, Entries: entries}
	c := prev
	for i := range entries {
		e := &entries[i]
		e.Origin, e.Seq = origin, first+uint64(i)
		if len(e.Body) == 0 {
			e.Body = nil // decoded empty bodies are nil
		}
		c = ChainNext(c, *e)
		e.Chain = c
	}
	r.EndChain = c
	return r
}

// sampleBatch returns a small fixed batch: three origins, every op, kinds
// of both owners, an empty body, a negative time delta and non-ASCII text.
func sampleBatch() *Batch {
	t0 := int64(1_700_000_000_000_000_000)
	street := area.MustParse("210102001000")
	county := area.MustParse("210102000000")
	other := area.MustParse("210103002000")
	prev := ChainNext([32]byte{}, storage.Entry{Origin: county, Seq: 41, Kind: registry.KindRegistration, ID: "r-0", Op: storage.OpPut})
	return &Batch{Sender: county, Ranges: []Range{
		newRange(street, 1, [32]byte{}, []storage.Entry{
			{Time: t0, Kind: registry.KindOrg, ID: "org-1", Op: storage.OpPut, Body: []byte(`{"id":"org-1","name":"夕阳红志愿服务队","category":"mutual_aid"}`)},
			{Time: t0 + 5e9, Kind: registry.KindActivity, ID: "act-1", Op: storage.OpPut, Body: []byte(`{"id":"act-1","org":"org-1","theme":"safety"}`)},
			{Time: t0 + 3e9, Kind: registry.KindOrg, ID: "org-1", Op: storage.OpDelete},
		}),
		newRange(county, 42, prev, []storage.Entry{
			{Time: t0 + 7e9, Kind: registry.KindRegistration, ID: "reg-9", Op: storage.OpPut, Body: []byte(`{"id":"reg-9","rating":"3A"}`)},
		}),
		newRange(other, 7, [32]byte{7}, []storage.Entry{
			{Time: -1, Kind: registry.KindTalent, ID: "t", Op: storage.OpPut, Body: []byte(`{}`)},
			{Time: 1 << 62, Kind: registry.KindPlatform, ID: "p", Op: storage.OpDelete},
		}),
	}}
}

// mustEncode encodes b with default options or fails the test.
func mustEncode(tb testing.TB, b *Batch) []byte {
	tb.Helper()
	data, err := Encode(b, EncodeOptions{})
	if err != nil {
		tb.Fatalf("Encode: %v", err)
	}
	return data
}

// failer is the part of testing.TB that *rapid.T also implements.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// sealUnchecked frames b without checking its rules, so tests can build
// batches that only Decode may refuse. It checks only sizes.
func sealUnchecked(tb failer, b *Batch, raw []byte, lim Limits) []byte {
	tb.Helper()
	enc, err := encoderFor(0)
	if err != nil {
		tb.Fatalf("encoder: %v", err)
	}
	if raw == nil {
		raw = appendPayload(nil, b)
	}
	out, rerr := seal(b, raw, enc, lim.withDefaults())
	if rerr != nil {
		tb.Fatalf("seal: %v", rerr)
	}
	return out
}

// hdrLen returns the header length of an encoded batch.
func hdrLen(data []byte) int {
	return headerLen(int(binary.BigEndian.Uint32(data[offRangeCount:])))
}

// fixCRCs recomputes the payload and header CRCs of data in place, as far
// as its range count allows, so that tampered fields reach later checks.
func fixCRCs(data []byte) {
	if len(data) < offRanges {
		return
	}
	hl := uint64(headerLen(0)) + uint64(binary.BigEndian.Uint32(data[offRangeCount:]))*rangeDescLen
	if hl > uint64(len(data)) {
		return
	}
	binary.BigEndian.PutUint32(data[hl-8:], crc32.Checksum(data[hl:], castagnoli))
	binary.BigEndian.PutUint32(data[hl-4:], crc32.Checksum(data[:hl-4], castagnoli))
}

// wantRule fails unless err is a *RuleError for rule wrapping sentinel.
func wantRule(tb testing.TB, err, sentinel error, rule string) *RuleError {
	tb.Helper()
	var re *RuleError
	if !errors.As(err, &re) {
		tb.Fatalf("got error %v (%T), want a *RuleError", err, err)
	}
	if !errors.Is(err, sentinel) || re.Rule != rule {
		tb.Fatalf("got %v (rule %q), want %v (rule %q)", err, re.Rule, sentinel, rule)
	}
	return re
}

package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"fedsync/storage"
)

// fuzzLimits keep fuzzing fast; RatioFreeRaw = MaxRaw lets any accepted
// batch re-encode whatever its compression ratio.
var fuzzLimits = Limits{MaxCompressed: 1 << 20, MaxRaw: 1 << 20, RatioFreeRaw: 1 << 20}

var sentinels = []error{ErrTruncated, ErrBadMagic, ErrVersion, ErrChecksum, ErrTooLarge, ErrRatio,
	ErrMalformed, ErrBadOrigin, ErrSeqGap, ErrUnknownKind, ErrBadOp, ErrChainBroken}

// checkRefusal fails unless err is a *RuleError wrapping a sentinel.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is %T, not a *RuleError", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// checkAccepted re-encodes an accepted batch and requires it to decode to
// an equal batch.
func checkAccepted(t *testing.T, b *Batch) {
	t.Helper()
	again, err := Encode(b, EncodeOptions{Limits: fuzzLimits})
	if err != nil {
		t.Fatalf("accepted batch does not re-encode: %v", err)
	}
	b2, err := Decode(again, fuzzLimits)
	if err != nil {
		t.Fatalf("re-encoded batch does not decode: %v", err)
	}
	if !reflect.DeepEqual(b, b2) {
		t.Fatalf("re-encoded batch decodes differently:\n%+v\n%+v", b, b2)
	}
}

// fuzzBatches returns the valid batches the fuzzers start from.
func fuzzBatches() []*Batch {
	one := &Batch{Sender: "210000000000", Ranges: []Range{newRange("210000000000", 3, [32]byte{9}, []storage.Entry{
		{Time: 5, Kind: "community", ID: "210102001001", Op: storage.OpPut, Body: []byte(`{"name":"浑河湾社区"}`)}})}}
	return []*Batch{sampleBatch(), one}
}

// FuzzDecode feeds Decode arbitrary bytes, and the same bytes with their
// CRCs repaired so that mutations reach the checks behind them. Decode must
// not panic, must refuse with a *RuleError, and whatever it accepts must
// re-encode to an equal batch.
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzBatches() {
		f.Add(mustEncode(f, b))
		f.Add(appendPayload(nil, b))
	}
	f.Add([]byte("FSB\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range [][]byte{data, fixedCopy(data)} {
			b, err := Decode(d, fuzzLimits)
			if err != nil {
				checkRefusal(t, err)
				continue
			}
			checkAccepted(t, b)
		}
	})
}

func fixedCopy(data []byte) []byte {
	d := bytes.Clone(data)
	fixCRCs(d)
	return d
}

// FuzzDecodePayload fuzzes the raw payload behind the header of
// sampleBatch. A payload that parses gets its ranges' end chains set from
// the recomputed chain, so the full Decode path accepts it, and the result
// must round-trip.
func FuzzDecodePayload(f *testing.F) {
	for _, b := range fuzzBatches() {
		f.Add(appendPayload(nil, b), uint8(len(b.Ranges)-1))
	}
	f.Fuzz(func(t *testing.T, raw []byte, ranges uint8) {
		b := &Batch{Sender: "210102000000"}
		for _, r := range sampleBatch().Ranges[:1+int(ranges)%3] {
			b.Ranges = append(b.Ranges, Range{Origin: r.Origin, First: r.First, Last: r.Last, PrevChain: r.PrevChain})
		}
		total := 0
		for _, r := range b.Ranges {
			total += int(r.Count())
		}
		lim := fuzzLimits.withDefaults()
		if rerr := parsePayload(raw, b, total, lim); rerr != nil {
			checkRefusal(t, rerr)
			return
		}
		var c chainer
		for i := range b.Ranges {
			r := &b.Ranges[i]
			r.EndChain = c.chainOver(r.PrevChain, r.Entries)
			if rerr := c.verify(r, true); rerr != nil {
				t.Fatalf("chain does not verify after setting EndChain: %v", rerr)
			}
		}
		enc, _ := encoderFor(0)
		data, rerr := seal(b, raw, enc, lim)
		if rerr != nil {
			checkRefusal(t, rerr)
			return
		}
		got, err := Decode(data, fuzzLimits)
		if err != nil {
			t.Fatalf("payload that parses is refused: %v", err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("Decode differs from parsePayload")
		}
		checkAccepted(t, got)
	})
}

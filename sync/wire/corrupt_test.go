package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"fedsync/area"
	"fedsync/storage"
)

// TestRefusedBatches breaks one rule of a valid batch at a time and checks
// that Encode refuses it and that Decode refuses its (unchecked) encoding
// with the same rule, sentinel, origin and seq.
func TestRefusedBatches(t *testing.T) {
	const street, county = "210102001000", "210102000000"
	cases := []struct {
		name     string
		mutate   func(b *Batch)
		lim      Limits
		sentinel error
		rule     string
		origin   area.Code
		seq      uint64
	}{
		{"gap inside a range", func(b *Batch) { b.Ranges[0].Entries[2].Seq = 4 }, Limits{}, ErrSeqGap, RuleSeq, street, 3},
		{"repeated seq", func(b *Batch) { b.Ranges[0].Entries[2].Seq = 2 }, Limits{}, ErrSeqGap, RuleSeq, street, 3},
		{"count disagrees with first..last", func(b *Batch) { b.Ranges[0].Last = 4 }, Limits{}, ErrSeqGap, RuleSeq, street, 0},
		{"first seq zero", func(b *Batch) { b.Ranges[1].First = 0 }, Limits{}, ErrSeqGap, RuleSeq, county, 0},
		{"unknown kind", func(b *Batch) { b.Ranges[0].Entries[1].Kind = "bogus" }, Limits{}, ErrUnknownKind, RuleKind, street, 2},
		{"invalid op", func(b *Batch) { b.Ranges[0].Entries[1].Op = 9 }, Limits{}, ErrBadOp, RuleOp, street, 2},
		{"empty id", func(b *Batch) { b.Ranges[0].Entries[0].ID = "" }, Limits{}, ErrMalformed, RuleStructure, street, 1},
		{"wrong end chain", func(b *Batch) { b.Ranges[1].EndChain[0] ^= 1 }, Limits{}, ErrChainBroken, RuleChain, county, 42},
		{"entry changed after chaining", func(b *Batch) { b.Ranges[0].Entries[1].Body = []byte("{}") }, Limits{}, ErrChainBroken, RuleChain, street, 3},
		{"prev chain before seq 1", func(b *Batch) { b.Ranges[0].PrevChain[5] = 1 }, Limits{}, ErrChainBroken, RuleChain, street, 1},
		{"invalid origin", func(b *Batch) { setOrigin(&b.Ranges[2], "210100000001") }, Limits{}, ErrBadOrigin, RuleOrigin, "", 0},
		{"invalid sender", func(b *Batch) { b.Sender = "000000000000" }, Limits{}, ErrBadOrigin, RuleOrigin, "", 0},
		{"duplicate origin", func(b *Batch) { setOrigin(&b.Ranges[2], street) }, Limits{}, ErrMalformed, RuleStructure, street, 0},
		{"body over limit", func(*Batch) {}, Limits{MaxEntryBody: 10}, ErrTooLarge, RuleSize, street, 1},
		{"too many entries", func(*Batch) {}, Limits{MaxEntries: 5}, ErrTooLarge, RuleSize, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := sampleBatch()
			tc.mutate(b)
			check := func(what string, err error) {
				t.Helper()
				re := wantRule(t, err, tc.sentinel, tc.rule)
				if re.Origin != tc.origin || re.Seq != tc.seq {
					t.Errorf("%s: error at origin %q seq %d, want %q seq %d (%v)", what, re.Origin, re.Seq, tc.origin, tc.seq, err)
				}
			}
			_, err := Encode(b, EncodeOptions{Limits: tc.lim})
			check("Encode", err)
			_, err = Decode(sealUnchecked(t, b, nil, Limits{}), tc.lim)
			check("Decode", err)
		})
	}
}

func setOrigin(r *Range, o area.Code) {
	r.Origin = o
	for i := range r.Entries {
		r.Entries[i].Origin = o
	}
}

func TestEncodeRefusesForeignEntry(t *testing.T) {
	b := sampleBatch()
	b.Ranges[0].Entries[1].Origin = b.Ranges[1].Origin
	_, err := Encode(b, EncodeOptions{})
	wantRule(t, err, ErrBadOrigin, RuleOrigin)
	_, err = Encode(&Batch{Sender: b.Sender}, EncodeOptions{})
	wantRule(t, err, ErrMalformed, RuleStructure)
}

// TestPayloadEntryCount refuses payloads with fewer or more entries than
// the header declares.
func TestPayloadEntryCount(t *testing.T) {
	b := sampleBatch()
	short := *b
	short.Ranges = append([]Range(nil), b.Ranges...)
	short.Ranges[0].Entries = short.Ranges[0].Entries[:2]
	_, err := Decode(sealUnchecked(t, b, appendPayload(nil, &short), Limits{}), Limits{})
	re := wantRule(t, err, ErrSeqGap, RuleSeq)
	if re.Seq != 3 {
		t.Errorf("missing entry reported at seq %d, want 3", re.Seq)
	}
	extra := appendPayload(nil, b)
	extra = appendEntry(extra, 1, 1, 0, &b.Ranges[1].Entries[0])
	_, err = Decode(sealUnchecked(t, b, extra, Limits{}), Limits{})
	wantRule(t, err, ErrMalformed, RuleStructure)
}

// TestHeaderFlips flips every header byte: the magic and version bytes are
// refused as such, every other byte by the header CRC (a range count that
// now points past the end reads as truncation).
func TestHeaderFlips(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	for i := range hdrLen(data) {
		bad := bytes.Clone(data)
		bad[i] ^= 0x5a
		_, err := Decode(bad, Limits{})
		switch {
		case i < offVersion:
			wantRule(t, err, ErrBadMagic, RuleMagic)
		case i == offVersion:
			wantRule(t, err, ErrVersion, RuleVersion)
		case i >= offRangeCount && i < offRanges && errors.Is(err, ErrTruncated):
		default:
			wantRule(t, err, ErrChecksum, RuleHeaderCRC)
		}
	}
}

func TestPayloadFlips(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	for i := hdrLen(data); i < len(data); i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 1 << (i % 8)
		_, err := Decode(bad, Limits{})
		wantRule(t, err, ErrChecksum, RulePayloadCRC)
	}
}

func TestTruncated(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	for n := range len(data) {
		_, err := Decode(data[:n], Limits{})
		wantRule(t, err, ErrTruncated, RuleTruncated)
	}
	_, err := Decode(append(bytes.Clone(data), 0), Limits{})
	wantRule(t, err, ErrMalformed, RuleStructure)
	_, err = Decode([]byte("PK\x03\x04 not a batch"), Limits{})
	wantRule(t, err, ErrBadMagic, RuleMagic)
}

func TestVersionAndFlags(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	data[offVersion] = 2
	_, err := Decode(data, Limits{})
	wantRule(t, err, ErrVersion, RuleVersion)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != 2 {
		t.Fatalf("got %v, want a *VersionError naming version 2", err)
	}
	data[offVersion], data[offFlags] = Version, 0x80
	fixCRCs(data)
	_, err = Decode(data, Limits{})
	if !errors.As(err, &ve) || ve.Version != Version || ve.Flags != 0x80 {
		t.Fatalf("got %v, want a *VersionError naming flags 0x80", err)
	}
}

// setTrailer rewrites trailer fields of an encoded batch and fixes the CRCs.
func setTrailer(data []byte, raw, compressed uint64) {
	p := data[hdrLen(data)-trailerLen:]
	binary.BigEndian.PutUint64(p[4:], raw)
	binary.BigEndian.PutUint64(p[12:], compressed)
	fixCRCs(data)
}

// TestDeclaredSizes refuses headers that claim sizes over the limits,
// before any payload is inflated.
func TestDeclaredSizes(t *testing.T) {
	data := mustEncode(t, sampleBatch())
	comp := uint64(len(data) - hdrLen(data))
	cases := []struct {
		name            string
		raw, compressed uint64
		sentinel        error
		rule            string
	}{
		{"claims a huge raw size (bomb)", 60 << 20, comp, ErrRatio, RuleRatio},
		{"claims raw over MaxRaw", 1 << 40, comp, ErrTooLarge, RuleSize},
		{"claims compressed over MaxCompressed", 100, 1 << 40, ErrTooLarge, RuleSize},
		{"claims compressed longer than the data", 300, comp + 1, ErrTruncated, RuleTruncated},
		{"claims raw too small for its entries", 10, comp, ErrMalformed, RuleStructure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			setTrailer(bad, tc.raw, tc.compressed)
			_, err := Decode(bad, Limits{})
			wantRule(t, err, tc.sentinel, tc.rule)
		})
	}
}

// TestEncodeTooLarge checks that Encode refuses, for the sender to split, a
// valid batch over MaxRaw or over MaxRatio.
func TestEncodeTooLarge(t *testing.T) {
	batchOf := func(n, size int) *Batch {
		es := make([]storage.Entry, n)
		for i := range es {
			es[i] = storage.Entry{Kind: "org", Op: storage.OpPut, ID: "x", Body: bytes.Repeat([]byte{'a'}, size)}
		}
		return &Batch{Sender: "210102001000", Ranges: []Range{newRange("210102001000", 1, [32]byte{}, es)}}
	}
	_, err := Encode(batchOf(200, 40), EncodeOptions{Limits: Limits{MaxRaw: 4200, MaxEntryBody: 50}})
	wantRule(t, err, ErrTooLarge, RuleSize)
	_, err = Encode(batchOf(60, 60000), EncodeOptions{})
	wantRule(t, err, ErrRatio, RuleRatio)
	if _, err = Encode(batchOf(1, 60000), EncodeOptions{}); err != nil {
		t.Fatalf("one entry of the same batch: %v", err)
	}
}

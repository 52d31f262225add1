package wire

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

func sampleState() *storage.OriginState {
	st := &storage.OriginState{Origin: area.MustParse("210102001000"), Seq: 42, Time: 1700000000000000000}
	st.Chain[0] = 7
	for i, id := range []string{"o1", "o2"} {
		st.Records = append(st.Records, storage.Stored{Kind: "org", Origin: st.Origin, ID: id, Seq: uint64(40 + i),
			Updated: time.Unix(0, int64(1700000000000000000+i)).UTC(), Body: []byte(`{"id":"` + id + `"}`)})
	}
	return st
}

func TestStateRoundTrip(t *testing.T) {
	st := sampleState()
	b, err := EncodeState(area.MustParse("210102000000"), st, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !IsState(b) {
		t.Fatal("IsState false for an encoded state")
	}
	sender, got, err := DecodeState(b, Limits{})
	if err != nil || sender != "210102000000" || !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip: %v %v\n got %+v\nwant %+v", sender, err, got, st)
	}
	for i := range b {
		if _, _, err := DecodeState(b[:i], Limits{}); err == nil {
			t.Fatalf("truncated at %d: accepted", i)
		}
	}
	flip := append([]byte(nil), b...)
	flip[len(flip)-1] ^= 1
	if _, _, err := DecodeState(flip, Limits{}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("flipped payload byte: %v, want ErrChecksum", err)
	}
}

func FuzzDecodeState(f *testing.F) {
	b, _ := EncodeState(area.MustParse("210102000000"), sampleState(), EncodeOptions{})
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		sender, st, err := DecodeState(data, Limits{})
		if err != nil {
			return
		}
		again, err := EncodeState(sender, st, EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := DecodeState(again, Limits{}); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
	})
}

// TestCheck: Check accepts what Decode accepts and refuses header and
// payload damage without decompressing.
func TestCheck(t *testing.T) {
	st := sampleState()
	e := storage.Entry{Origin: st.Origin, Seq: 1, Time: 5, Kind: "org", ID: "o1", Op: storage.OpPut, Body: []byte(`{"id":"o1"}`)}
	e.Chain = ChainNext([32]byte{}, e)
	b := &Batch{Sender: st.Origin, Ranges: []Range{{Origin: st.Origin, First: 1, Last: 1, EndChain: e.Chain, Entries: []storage.Entry{e}}}}
	data, err := Encode(b, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Check(data, Limits{}); err != nil || s != st.Origin {
		t.Fatalf("Check of a good batch: %v %v", s, err)
	}
	for _, i := range []int{0, 5, len(data) - 1} {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x40
		if _, err := Check(bad, Limits{}); err == nil {
			t.Errorf("byte %d flipped: Check accepted", i)
		}
	}
}

package node

import (
	"context"
	"maps"
	"testing"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/proto"
	"fedsync/sync/wire"
)

var testCounty = area.MustParse("210102000000")

func encodeRange(t *testing.T, sender area.Code, es []storage.Entry, prev [32]byte) []byte {
	t.Helper()
	r := wire.Range{Origin: es[0].Origin, First: es[0].Seq, Last: es[len(es)-1].Seq, PrevChain: prev, EndChain: es[len(es)-1].Chain, Entries: es}
	b, err := wire.Encode(&wire.Batch{Sender: sender, Ranges: []wire.Range{r}}, wire.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiveThroughRaft(t *testing.T) {
	street := startNode(t, testConfig(t.TempDir()))
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = testCounty, "county-test"
	county := startNode(t, ccfg)
	comms := area.Children(testStreet)
	var muts []storage.Mutation
	for i := range 40 {
		muts = append(muts, orgMut(t, i, comms[i%len(comms)].Code))
	}
	if _, err := street.Write(context.Background(), muts); err != nil {
		t.Fatal(err)
	}
	var es []storage.Entry
	street.store.Entries(testStreet, 1, func(e storage.Entry) bool { es = append(es, e); return true })

	w, err := county.Welcome(context.Background(), proto.Hello{Version: proto.Version, Sender: testStreet})
	if err != nil || len(w.Marks) != 0 {
		t.Fatalf("welcome: %+v %v", w, err)
	}
	half := len(es) / 2
	ack1 := county.Submit(context.Background(), testStreet, encodeRange(t, testStreet, es[:half], [32]byte{}))
	ack2 := county.Submit(context.Background(), testStreet, encodeRange(t, testStreet, es[half:], es[half-1].Chain))
	for i, a := range []proto.Ack{ack1(), ack2()} {
		if a.Error != "" || len(a.Ranges) != 1 || a.Ranges[0].Status != proto.StatusApplied {
			t.Fatalf("ack %d: %+v", i, a)
		}
	}
	if a := county.Submit(context.Background(), testStreet, encodeRange(t, testStreet, es[:half], [32]byte{}))(); a.Ranges[0].Status != proto.StatusDuplicate {
		t.Fatalf("replayed batch: %+v, want duplicate", a)
	}
	bad := encodeRange(t, testStreet, es[:2], [32]byte{})
	bad[len(bad)-1] ^= 0xff
	if a := county.Submit(context.Background(), testStreet, bad)(); a.Error == "" || a.Rule == "" {
		t.Fatalf("corrupt batch: %+v, want refused with the rule", a)
	}
	if a := county.Submit(context.Background(), area.MustParse("210102002000"), encodeRange(t, testStreet, es[:2], [32]byte{}))(); a.Error == "" {
		t.Fatalf("batch from another street's link: %+v, want refused", a)
	}
	if _, err := county.Welcome(context.Background(), proto.Hello{Version: proto.Version, Sender: area.MustParse("210103001000")}); err == nil {
		t.Fatal("welcome for a street of another county: accepted")
	}
	want, _ := street.store.AreaCounters(testStreet)
	got, _ := county.store.AreaCounters(testStreet)
	if !maps.Equal(got, want) {
		t.Fatalf("county counters of the street:\n got %v\nwant %v", got, want)
	}
	rep, err := county.Verify(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("county verify: %v %+v", err, rep)
	}
}

package storage

import (
	"maps"
	"testing"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
	"fedsync/registry"
)

// TestBypassThenCatchUp is the storage half of bypass (DESIGN §6): the city
// receives a street's entries straight from the street while the county is
// down (a grandchild sender is within jurisdiction), then the county catches
// up and sends the same entries again: the city skips them as duplicates,
// its counters equal the street's, and Via records the path each time.
func TestBypassThenCatchUp(t *testing.T) {
	street, county := openTest(t), openArea(t, testCounty)
	city := openArea(t, testCounty.Parent())
	cs := communities(t)
	mustApply(t, street, put(t, ModeCreate, cs[0]), put(t, ModeCreate, org("o1", cs[0].Code, registry.CatCulture)))
	es := entries(t, street, testStreet, 1)
	if _, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es[:1]}}); err != nil {
		t.Fatal(err)
	}
	// The county is down: the street sends to the city directly.
	res, err := city.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es}})
	if err != nil || res[0].Status != RangeApplied || res[0].Watermark != 2 {
		t.Fatalf("bypass batch: %+v %v", res, err)
	}
	if w := watermarkOf(t, city, testStreet); w.Via != testStreet {
		t.Fatalf("via after bypass = %q, want the street %s", w.Via, testStreet)
	}
	// The county returns, catches up from the street and forwards.
	if _, err := county.ApplyRemote(0, testStreet, []RemoteRange{{Origin: testStreet, Entries: es[1:]}}); err != nil {
		t.Fatal(err)
	}
	res, err = city.ApplyRemote(0, testCounty, []RemoteRange{{Origin: testStreet, Entries: entries(t, county, testStreet, 1)}})
	if err != nil || res[0].Status != RangeDuplicate || res[0].Applied != 0 {
		t.Fatalf("county's replay at the city: %+v %v, want duplicate", res, err)
	}
	want, _ := street.AreaCounters(testStreet)
	got, _ := city.AreaCounters(testStreet)
	if !maps.Equal(got, want) {
		t.Fatalf("city counters %v, want the street's %v", got, want)
	}
	if w := watermarkOf(t, city, testStreet); w.Via != testCounty || w.Seq != 2 {
		t.Fatalf("via after the county's replay = %q seq %d, want the county", w.Via, w.Seq)
	}
	mustVerify(t, city)
	if w := watermarkOf(t, street, testStreet); w.Via != "" {
		t.Fatalf("own origin via = %q, want empty", w.Via)
	}
}

// TestWatermarkWithoutVia: watermarks written before Via existed (57
// bytes) still decode, and a damaged via is refused.
func TestWatermarkWithoutVia(t *testing.T) {
	w := Watermark{Origin: testStreet, Seq: 7, Time: 3, HeardFrom: 4}
	w.Chain[0] = 9
	old := encodeWatermark(w)
	if len(old) != wmLen {
		t.Fatalf("without via: %d bytes, want %d", len(old), wmLen)
	}
	if got, err := decodeWatermark(testStreet, old); err != nil || got != w {
		t.Fatalf("old watermark: %+v %v", got, err)
	}
	w.Via = testStreet
	b := encodeWatermark(w)
	if got, err := decodeWatermark(testStreet, b); err != nil || got != w {
		t.Fatalf("with via: %+v %v", got, err)
	}
	b[len(b)-1] = 'x'
	if _, err := decodeWatermark(testStreet, b); err == nil {
		t.Fatal("damaged via accepted")
	}
	if _, err := decodeWatermark(testStreet, b[:60]); err == nil {
		t.Fatal("60-byte watermark accepted")
	}
}

func watermarkOf(t *testing.T, s *Store, origin area.Code) Watermark {
	t.Helper()
	var w Watermark
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		w, err = decodeWatermark(origin, tx.Bucket(bucketWM).Get([]byte(origin)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

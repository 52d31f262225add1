package proto

import (
	"encoding/json"
	"strings"
	"testing"

	"fedsync/area"
)

func TestMarkJSON(t *testing.T) {
	m := Mark{Origin: area.MustParse("210102001000"), Seq: 42}
	m.Chain[0], m.Chain[31] = 0xab, 0x01
	b, err := json.Marshal(Welcome{Marks: []Mark{m}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"chain":"ab00`) {
		t.Fatalf("chain not hex: %s", b)
	}
	var w Welcome
	if err := json.Unmarshal(b, &w); err != nil || w.Marks[0] != m {
		t.Fatalf("round trip: %+v %v", w, err)
	}
	if err := json.Unmarshal([]byte(`{"marks":[{"origin":"210102001000","seq":1,"chain":"zz"}]}`), &w); err == nil {
		t.Fatal("bad chain accepted")
	}
}

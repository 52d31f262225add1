package registry

import (
	"errors"
	"testing"
)

// fuzzDecode checks one kind's decoder on arbitrary bytes: it never panics,
// refuses only with a *FieldError naming a field, and every record it accepts
// re-encodes; an encoding within MaxRecordBytes decodes to an equal record
// with the same canonical bytes. Records that also pass Validate are small,
// so for them this always holds.
func fuzzDecode(f *testing.F, k Kind, seed Record) {
	enc, err := Encode(seed)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(enc), `{}`, `{"id":""}`, `{"id":"a","id":"b"}`,
		`{"ID":"x"}`, `{"category":"公益慈善类","theme":"邻里守望","rating":"3a"}`,
		`{"name":"\u00e9\ud800"}`, "{\"name\":\"\xff\"}", `{"members":1e3}`, `[]`, `nul`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(k, data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Kind != k {
				t.Fatalf("Decode error %v (%T) is not a *FieldError naming a field", err, err)
			}
			return
		}
		if r.Kind() != k {
			t.Fatalf("Decode(%s) returned a %s", k, r.Kind())
		}
		verr := r.Validate()
		var fe *FieldError
		if verr != nil && (!errors.As(verr, &fe) || fe.Field == "" || fe.Kind != k) {
			t.Fatalf("Validate error %v is not a *FieldError naming a field", verr)
		}
		b, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode of a decoded record: %v", err)
		}
		if len(b) > MaxRecordBytes {
			if verr == nil {
				t.Fatalf("valid record encodes to %d bytes", len(b))
			}
			return
		}
		r2, err := Decode(k, b)
		if err != nil {
			t.Fatalf("Decode(Encode(r)) = %v\n%s", err, b)
		}
		if r2 != r {
			t.Fatalf("round trip changed the record:\n got %+v\nwant %+v", r2, r)
		}
		if b2, _ := Encode(r2); string(b2) != string(b) {
			t.Fatalf("encoding not canonical:\n%s\n%s", b, b2)
		}
		if (r2.Validate() == nil) != (verr == nil) {
			t.Fatalf("validation differs after a round trip")
		}
	})
}

func FuzzDecodeCommunity(f *testing.F)    { fuzzDecode(f, KindCommunity, sampleCommunity()) }
func FuzzDecodeOrg(f *testing.F)          { fuzzDecode(f, KindOrg, sampleOrg()) }
func FuzzDecodeActivity(f *testing.F)     { fuzzDecode(f, KindActivity, sampleActivity()) }
func FuzzDecodeProject(f *testing.F)      { fuzzDecode(f, KindProject, sampleProject()) }
func FuzzDecodeTalent(f *testing.F)       { fuzzDecode(f, KindTalent, sampleTalent()) }
func FuzzDecodePlatform(f *testing.F)     { fuzzDecode(f, KindPlatform, samplePlatform()) }
func FuzzDecodeRegistration(f *testing.F) { fuzzDecode(f, KindRegistration, sampleRegistration()) }

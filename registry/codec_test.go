package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	for _, r := range samples() {
		b, err := Encode(r)
		if err != nil {
			t.Fatalf("Encode(%s): %v", r.Kind(), err)
		}
		got, err := Decode(r.Kind(), b)
		if err != nil {
			t.Fatalf("Decode(%s, %s): %v", r.Kind(), b, err)
		}
		if got != r {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", r.Kind(), got, r)
		}
		again, _ := Encode(got)
		if string(again) != string(b) {
			t.Errorf("%s: encoding not canonical:\n%s\n%s", r.Kind(), b, again)
		}
	}
}

func TestDecodeChineseLabels(t *testing.T) {
	in := `{"id":"hp-001","community":"210102001002","name":"水源地社区邻里互助队",
		"category":" 居民互助类","tier":"街道/乡镇备案","founded":"2021-03-05","members":25,
		"leader":"张三","leader_phone":"13912345678","charter":true,"party_building":true,
		"brand":false,"status":"正常"}`
	got, err := Decode(KindOrg, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got != Record(sampleOrg()) {
		t.Errorf("got %+v, want %+v", got, sampleOrg())
	}
	b, _ := Encode(got)
	if !strings.Contains(string(b), `"category":"mutual_aid"`) || !strings.Contains(string(b), `"status":"active"`) {
		t.Errorf("Encode wrote %s; want ASCII enum values", b)
	}
	for kind, in := range map[Kind]string{
		KindActivity:     `{"theme":"邻里守望"}`,
		KindProject:      `{"funding":"公益创投"}`,
		KindPlatform:     `{"type":"孵化机构"}`,
		KindRegistration: `{"rating":"3A"}`,
	} {
		if _, err := Decode(kind, []byte(in)); err != nil {
			t.Errorf("Decode(%s, %s): %v", kind, in, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		kind  Kind
		in    string
		field string
		rule  string
	}{
		{KindOrg, `{"category":"bogus"}`, "category", "life_service (生活服务类)"},
		{KindOrg, `{"id":"x","Category":"bogus"}`, "category", "must be one of"},
		{KindOrg, `{"name":"a","status":"gone"}`, "status", "active (正常)"},
		{KindOrg, `{"tier":7}`, "tier", "JSON string"},
		{KindActivity, `{"theme":"x"}`, "theme", "neighbour_watch (邻里守望)"},
		{KindProject, `{"funding":"x"}`, "funding", "must be one of"},
		{KindPlatform, `{"type":"x"}`, "type", "incubator (孵化机构)"},
		{KindRegistration, `{"rating":"9A"}`, "rating", "or empty"},
		{KindOrg, `{"members":"12"}`, "members", "whole number"},
		{KindOrg, `{"members":1.5}`, "members", "whole number"},
		{KindOrg, `{"charter":"是"}`, "charter", "true or false"},
		{KindOrg, `{"name":5}`, "name", "JSON string"},
		{KindOrg, `{"colour":"red"}`, "colour", "not a field of org"},
		{KindOrg, `{"id":"a"} {}`, "(record)", "nothing after it"},
		{KindOrg, `{"id":"a"`, "(record)", "complete JSON object"},
		{KindOrg, `{"id" "a"}`, "(record)", "invalid JSON"},
		{KindOrg, `[]`, "(record)", "JSON object"},
		{KindOrg, `null`, "(record)", "JSON object"},
		{KindOrg, ``, "(record)", "JSON object"},
		{KindOrg, `{"id":"` + strings.Repeat("a", MaxRecordBytes) + `"}`, "(record)", "at most"},
	}
	for _, tt := range tests {
		_, err := Decode(tt.kind, []byte(tt.in))
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("Decode(%s, %.40s) = %v, want *FieldError", tt.kind, tt.in, err)
			continue
		}
		if fe.Kind != tt.kind || fe.Field != tt.field || !strings.Contains(fe.Rule, tt.rule) {
			t.Errorf("Decode(%s, %.40s): got %s.%s %q, want %s.%s containing %q",
				tt.kind, tt.in, fe.Kind, fe.Field, fe.Rule, tt.kind, tt.field, tt.rule)
		}
	}
	if _, err := Decode("nope", []byte(`{}`)); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
}

func TestDecodeEmptyEnumThenValidate(t *testing.T) {
	r, err := Decode(KindOrg, []byte(`{"category":""}`))
	if err != nil {
		t.Fatalf("empty enum refused at decode: %v", err)
	}
	o := sampleOrg()
	o.Category = r.(Org).Category
	var fe *FieldError
	if err := o.Validate(); !errors.As(err, &fe) || fe.Field != "category" || !strings.HasPrefix(fe.Rule, "is required") {
		t.Errorf("Validate = %v, want category is required", err)
	}
}

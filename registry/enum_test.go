package registry

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestEnumLabels(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{CatLifeService.Label(), "生活服务类"},
		{CatRural.Label(), "农村专业类"},
		{TierRegistered.Label(), "依法登记"},
		{TierFiled.Label(), "街道/乡镇备案"},
		{StatusDissolved.Label(), "已注销"},
		{ThemeCoGovernance.Label(), "共建共治共享"},
		{FundFoundation.Label(), "基金"},
		{PlatformFederation.Label(), "联合会"},
		{Rating4A.Label(), "4A"},
		{Category("bogus").Label(), "bogus"},
		{Rating("").Label(), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("Label() = %q, want %q", tt.got, tt.want)
		}
	}
}

func TestEnumValues(t *testing.T) {
	counts := map[string]int{
		"categories": len(Categories()), "tiers": len(Tiers()), "statuses": len(Statuses()),
		"themes": len(Themes()), "funding": len(FundingSources()), "platform types": len(PlatformTypes()),
		"ratings": len(Ratings()),
	}
	want := map[string]int{"categories": 6, "tiers": 3, "statuses": 3, "themes": 5, "funding": 4, "platform types": 2, "ratings": 5}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d values, want %d", k, counts[k], n)
		}
	}
	if Categories()[0] != CatLifeService || Ratings()[4] != Rating5A {
		t.Error("values not in declaration order")
	}
	c := Categories()
	c[0] = "changed"
	if Categories()[0] != CatLifeService {
		t.Error("Categories returned shared storage")
	}
	for _, v := range Categories() {
		if got, err := ParseCategory(v.Label()); err != nil || got != v {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", v.Label(), got, err, v)
		}
	}
}

func TestParseEnums(t *testing.T) {
	tests := []struct {
		in   string
		got  func(string) (string, error)
		want string
		ok   bool
	}{
		{"charity", parseAs(ParseCategory), "charity", true},
		{" 公益慈善类 ", parseAs(ParseCategory), "charity", true},
		{"Charity", parseAs(ParseCategory), "charity", true},
		{"公益", parseAs(ParseCategory), "", false},
		{"", parseAs(ParseCategory), "", false},
		{"社区指导", parseAs(ParseTier), "guided", true},
		{"暂停活动", parseAs(ParseStatus), "suspended", true},
		{"共创平安", parseAs(ParseTheme), "safety", true},
		{"政府购买服务", parseAs(ParseFundingSource), "gov_purchase", true},
		{"孵化机构", parseAs(ParsePlatformType), "incubator", true},
		{"3a", parseAs(ParseRating), "3A", true},
		{"", parseAs(ParseRating), "", true},
		{"6A", parseAs(ParseRating), "", false},
	}
	for _, tt := range tests {
		got, err := tt.got(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parse(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || !strings.Contains(fe.Rule, "must be one of")) {
			t.Errorf("parse(%q) error %v does not list the values", tt.in, err)
		}
	}
}

func parseAs[T ~string](f func(string) (T, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		v, err := f(s)
		return string(v), err
	}
}

func TestEnumUnmarshalJSON(t *testing.T) {
	var c Category
	if err := json.Unmarshal([]byte(`"文体活动类"`), &c); err != nil || c != CatCulture {
		t.Errorf("label: got %q, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`null`), &c); err != nil || c != CatCulture {
		t.Errorf("null: got %q, %v; want unchanged", c, err)
	}
	if err := json.Unmarshal([]byte(`""`), &c); err != nil || c != "" {
		t.Errorf("empty: got %q, %v; want empty, no error", c, err)
	}
	err := json.Unmarshal([]byte(`"bogus"`), &c)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Value != "bogus" ||
		!strings.Contains(fe.Rule, "life_service (生活服务类), charity (公益慈善类)") {
		t.Errorf("bogus: got %v", err)
	}
	if err := json.Unmarshal([]byte(`5`), &c); !errors.As(err, &fe) || !strings.Contains(fe.Rule, "JSON string") {
		t.Errorf("number: got %v", err)
	}
	b, err := json.Marshal(struct{ C Category }{CatCulture})
	if err != nil || string(b) != `{"C":"culture"}` {
		t.Errorf("Marshal = %s, %v; want the ASCII value", b, err)
	}
}

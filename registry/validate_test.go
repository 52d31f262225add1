package registry

import (
	"errors"
	"strings"
	"testing"
)

func TestSamplesValid(t *testing.T) {
	for _, r := range samples() {
		if err := r.Validate(); err != nil {
			t.Errorf("%s sample: %v", r.Kind(), err)
		}
	}
	// Optional fields may be empty.
	o := sampleOrg()
	o.Leader, o.LeaderPhone, o.Members = "", "", 0
	a := sampleActivity()
	a.Community, a.Type = "", ""
	p := sampleProject()
	p.Community, p.Amount = "", 0
	tl := sampleTalent()
	tl.Community, tl.Name, tl.Phone, tl.IDNumber, tl.Role = "", "", "", "", ""
	g := sampleRegistration()
	g.Rating = ""
	for _, r := range []Record{o, a, p, tl, g} {
		if err := r.Validate(); err != nil {
			t.Errorf("%s without optional fields: %v", r.Kind(), err)
		}
	}
}

func TestValidateRules(t *testing.T) {
	long := strings.Repeat("组", MaxNameLen+1)
	tests := []struct {
		name  string
		rec   Record
		field string
		rule  string // substring of the rule
	}{
		{"id empty", with(sampleOrg(), func(r *Org) { r.ID = "" }), "id", "is required"},
		{"id too long", with(sampleOrg(), func(r *Org) { r.ID = strings.Repeat("a", 65) }), "id", "at most 64"},
		{"id bad char", with(sampleOrg(), func(r *Org) { r.ID = "a b" }), "id", "only letters"},
		{"id slash", with(sampleOrg(), func(r *Org) { r.ID = "a/b" }), "id", "only letters"},
		{"community empty", with(sampleOrg(), func(r *Org) { r.Community = "" }), "community", "is required"},
		{"community malformed", with(sampleOrg(), func(r *Org) { r.Community = "2101020010" }), "community", "12-digit"},
		{"community is street", with(sampleOrg(), func(r *Org) { r.Community = "210102001000" }), "community", "not a street code"},
		{"name empty", with(sampleOrg(), func(r *Org) { r.Name = " " }), "name", "is required"},
		{"name long", with(sampleOrg(), func(r *Org) { r.Name = long }), "name", "at most 100"},
		{"name newline", with(sampleOrg(), func(r *Org) { r.Name = "a\nb" }), "name", "control"},
		{"name bad utf8", with(sampleOrg(), func(r *Org) { r.Name = "a\xffb" }), "name", "UTF-8"},
		{"category empty", with(sampleOrg(), func(r *Org) { r.Category = "" }), "category", "is required"},
		{"category bogus", with(sampleOrg(), func(r *Org) { r.Category = "bogus" }), "category", "life_service (生活服务类)"},
		{"tier bogus", with(sampleOrg(), func(r *Org) { r.Tier = "x" }), "tier", "must be one of"},
		{"founded empty", with(sampleOrg(), func(r *Org) { r.Founded = "" }), "founded", "is required"},
		{"founded format", with(sampleOrg(), func(r *Org) { r.Founded = "2021/3/5" }), "founded", "YYYY-MM-DD"},
		{"founded not a day", with(sampleOrg(), func(r *Org) { r.Founded = "2021-02-29" }), "founded", "real date"},
		{"founded too early", with(sampleOrg(), func(r *Org) { r.Founded = "1949-09-30" }), "founded", "between"},
		{"founded too late", with(sampleOrg(), func(r *Org) { r.Founded = "2101-01-01" }), "founded", "between"},
		{"members negative", with(sampleOrg(), func(r *Org) { r.Members = -1 }), "members", "between 0 and 1000000"},
		{"members huge", with(sampleOrg(), func(r *Org) { r.Members = MaxCount + 1 }), "members", "between"},
		{"leader blank", with(sampleOrg(), func(r *Org) { r.Leader = "  " }), "leader", "only spaces"},
		{"leader phone", with(sampleOrg(), func(r *Org) { r.LeaderPhone = "12345678901" }), "leader_phone", "mobile"},
		{"status empty", with(sampleOrg(), func(r *Org) { r.Status = "" }), "status", "is required"},
		{"activity org", with(sampleActivity(), func(r *Activity) { r.Org = "" }), "org", "is required"},
		{"activity community", with(sampleActivity(), func(r *Activity) { r.Community = "210102000000" }), "community", "community code"},
		{"theme", with(sampleActivity(), func(r *Activity) { r.Theme = "" }), "theme", "is required"},
		{"type long", with(sampleActivity(), func(r *Activity) { r.Type = long }), "type", "at most"},
		{"date", with(sampleActivity(), func(r *Activity) { r.Date = "2022-13-01" }), "date", "real date"},
		{"participants", with(sampleActivity(), func(r *Activity) { r.Participants = -5 }), "participants", "between"},
		{"project name", with(sampleProject(), func(r *Project) { r.Name = "" }), "name", "is required"},
		{"funding", with(sampleProject(), func(r *Project) { r.Funding = "gift" }), "funding", "gov_purchase (政府购买服务)"},
		{"amount negative", with(sampleProject(), func(r *Project) { r.Amount = -1 }), "amount", "between 0"},
		{"amount huge", with(sampleProject(), func(r *Project) { r.Amount = MaxAmount + 1 }), "amount", "between 0"},
		{"year low", with(sampleProject(), func(r *Project) { r.Year = 1999 }), "year", "between 2000 and 2100"},
		{"year high", with(sampleProject(), func(r *Project) { r.Year = 2101 }), "year", "between 2000 and 2100"},
		{"talent name long", with(sampleTalent(), func(r *Talent) { r.Name = long }), "name", "at most"},
		{"phone letters", with(sampleTalent(), func(r *Talent) { r.Phone = "024-2345678a" }), "phone", "landline"},
		{"phone short", with(sampleTalent(), func(r *Talent) { r.Phone = "123" }), "phone", "landline"},
		{"id number length", with(sampleTalent(), func(r *Talent) { r.IDNumber = "11010519491231002" }), "id_number", "18-character"},
		{"id number letters", with(sampleTalent(), func(r *Talent) { r.IDNumber = "1101051949123100AX" }), "id_number", "17 digits"},
		{"id number check", with(sampleTalent(), func(r *Talent) { r.IDNumber = "110105194912310021" }), "id_number", "check character"},
		{"id number lower x", with(sampleTalent(), func(r *Talent) { r.IDNumber = "11010519491231002x" }), "id_number", "check character"},
		{"role control", with(sampleTalent(), func(r *Talent) { r.Role = "队\t长" }), "role", "control"},
		{"platform area community", with(samplePlatform(), func(r *Platform) { r.AreaCode = "210102001002" }), "area", "city, county or street"},
		{"platform area province", with(samplePlatform(), func(r *Platform) { r.AreaCode = "210000000000" }), "area", "not a province"},
		{"platform type", with(samplePlatform(), func(r *Platform) { r.Type = "" }), "type", "is required"},
		{"platform founded", with(samplePlatform(), func(r *Platform) { r.Founded = "20200101" }), "founded", "YYYY-MM-DD"},
		{"registration area", with(sampleRegistration(), func(r *Registration) { r.AreaCode = "210100000000" }), "area", "county code"},
		{"registration origin level", with(sampleRegistration(), func(r *Registration) { r.OrgOrigin = "210102001002" }), "org_origin", "street code"},
		{"registration origin outside", with(sampleRegistration(), func(r *Registration) { r.OrgOrigin = "210103001000" }), "org_origin", "inside area"},
		{"registration org", with(sampleRegistration(), func(r *Registration) { r.Org = "x y" }), "org", "only letters"},
		{"credit code empty", with(sampleRegistration(), func(r *Registration) { r.CreditCode = "" }), "credit_code", "is required"},
		{"credit code length", with(sampleRegistration(), func(r *Registration) { r.CreditCode = "52210102MJ0000000" }), "credit_code", "18 characters"},
		{"credit code letter", with(sampleRegistration(), func(r *Registration) { r.CreditCode = "52210102MJ000000OX" }), "credit_code", "other than I, O"},
		{"credit code lower", with(sampleRegistration(), func(r *Registration) { r.CreditCode = "52210102mj0000000X" }), "credit_code", "upper-case"},
		{"registered", with(sampleRegistration(), func(r *Registration) { r.Registered = "" }), "registered", "is required"},
		{"rating", with(sampleRegistration(), func(r *Registration) { r.Rating = "6A" }), "rating", "1A, 2A, 3A, 4A, 5A, or empty"},
		{"community id differs", with(sampleCommunity(), func(r *Community) { r.ID = "210102001003" }), "id", "must equal code"},
		{"community code level", with(sampleCommunity(), func(r *Community) { r.Code, r.ID = "210102001000", "210102001000" }), "code", "community code"},
		{"community name", with(sampleCommunity(), func(r *Community) { r.Name = "" }), "name", "is required"},
		{"urban rural empty", with(sampleCommunity(), func(r *Community) { r.UrbanRural = "" }), "urban_rural", "is required"},
		{"urban rural bogus", with(sampleCommunity(), func(r *Community) { r.UrbanRural = "130" }), "urban_rural", "must be one of"},
	}
	for _, tt := range tests {
		err := tt.rec.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Validate() = %v, want *FieldError", tt.name, err)
			continue
		}
		if fe.Kind != tt.rec.Kind() || fe.Field != tt.field || !strings.Contains(fe.Rule, tt.rule) {
			t.Errorf("%s: got %s/%s %q, want %s/%s containing %q", tt.name, fe.Kind, fe.Field, fe.Rule, tt.rec.Kind(), tt.field, tt.rule)
		}
	}
}

func TestPhonePatterns(t *testing.T) {
	good := []string{"13912345678", "19800000000", "024-23456789", "02423456789", "0411-8888888", "23456789", "024-23456789-123"}
	bad := []string{"12345678901", "1391234567", "139123456789", "024--23456789", "+8613912345678", "024 23456789", "0123456"}
	for _, s := range good {
		if fe := checkPhone("phone", s); fe != nil {
			t.Errorf("checkPhone(%q) = %v, want ok", s, fe)
		}
	}
	for _, s := range bad {
		if fe := checkPhone("phone", s); fe == nil {
			t.Errorf("checkPhone(%q) ok, want error", s)
		}
	}
}

func TestPIIValuesNotQuoted(t *testing.T) {
	tl := sampleTalent()
	tl.IDNumber = "110105194912310021"
	o := sampleOrg()
	o.LeaderPhone = "999"
	o2 := sampleOrg()
	o2.Leader = strings.Repeat("王", MaxNameLen+1)
	for _, r := range []Record{tl, o, o2} {
		err := r.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Value != "" {
			t.Errorf("%s: error %v quotes a PII value", r.Kind(), err)
		}
	}
}

// with returns a copy of r changed by f.
func with[R any](r R, f func(*R)) R {
	f(&r)
	return r
}

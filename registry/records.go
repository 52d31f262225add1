package registry

import (
	"fedsync/area"
)

// Kind names a record kind. The string form is used in URLs, JSON, log
// entries and storage keys, and never changes once released.
type Kind string

// The record kinds of DESIGN §3.
const (
	KindCommunity    Kind = "community"
	KindOrg          Kind = "org"
	KindActivity     Kind = "activity"
	KindProject      Kind = "project"
	KindTalent       Kind = "talent"
	KindPlatform     Kind = "platform"
	KindRegistration Kind = "registration"
)

// Kinds lists every kind in a fixed order (storage and rollup code iterate
// it; the order is part of no encoding).
var Kinds = []Kind{KindCommunity, KindOrg, KindActivity, KindProject, KindTalent, KindPlatform, KindRegistration}

// Record is implemented by every record struct. A record is identified by
// (Kind, ID) within its owning origin.
type Record interface {
	// Kind returns the record's kind.
	Kind() Kind
	// RecordID returns the record's id: the external id a roster carries, or
	// one assigned at creation. Non-empty for a valid record.
	RecordID() string
	// Area returns the area the record lies in: the community for
	// street-owned kinds, the platform's or registration's area otherwise.
	// Jurisdiction checks and rollups use it.
	Area() area.Code
	// Validate checks the record on its own (no stored state) and returns a
	// *FieldError naming the first field that breaks a rule.
	Validate() error
}

// Community is a reference row for one community/village (社区/村), owned by
// its street and seeded from the division data.
type Community struct {
	ID         string    `json:"id"`          // = the 12-digit code
	Code       area.Code `json:"code"`        // community code
	Name       string    `json:"name"`        // e.g. 浑河湾社区居委会
	UrbanRural string    `json:"urban_rural"` // 城乡分类代码, e.g. "111", "220"; first digit 1 urban, 2 rural
}

// Org is a community social organization (社区社会组织).
type Org struct {
	ID            string    `json:"id"`
	Community     area.Code `json:"community"`
	Name          string    `json:"name"`
	Category      Category  `json:"category"`
	Tier          Tier      `json:"tier"`
	Founded       string    `json:"founded"` // YYYY-MM-DD
	Members       int       `json:"members"`
	Leader        string    `json:"leader,omitempty"`       // PII: leader's name
	LeaderPhone   string    `json:"leader_phone,omitempty"` // PII
	Charter       bool      `json:"charter"`                // has a charter (章程)
	PartyBuilding bool      `json:"party_building"`         // party-building work established (党建)
	Brand         bool      `json:"brand"`                  // brand organization (品牌社区社会组织)
	Status        Status    `json:"status"`
}

// Activity is an activity or major-event report (重大活动报告) of an org.
type Activity struct {
	ID           string    `json:"id"`
	Org          string    `json:"org"`       // id of the Org (same origin)
	Community    area.Code `json:"community"` // the org's community; filled from the org when empty
	Theme        Theme     `json:"theme"`
	Type         string    `json:"type"` // free text, e.g. 讲座, 义诊
	Date         string    `json:"date"` // YYYY-MM-DD
	Participants int       `json:"participants"`
	Major        bool      `json:"major"` // a major event that must be reported (重大活动)
}

// Project is a service project of an org.
type Project struct {
	ID        string        `json:"id"`
	Org       string        `json:"org"`
	Community area.Code     `json:"community"` // filled from the org when empty
	Name      string        `json:"name"`
	Funding   FundingSource `json:"funding"`
	Amount    int64         `json:"amount"` // yuan (元), whole
	Year      int           `json:"year"`
	Brand     bool          `json:"brand"` // brand project (品牌项目)
}

// Talent is a backbone person (骨干人才) of an org.
type Talent struct {
	ID           string    `json:"id"`
	Org          string    `json:"org"`
	Community    area.Code `json:"community"`           // filled from the org when empty
	Name         string    `json:"name,omitempty"`      // PII
	Phone        string    `json:"phone,omitempty"`     // PII
	IDNumber     string    `json:"id_number,omitempty"` // PII: resident ID number
	Role         string    `json:"role"`
	Trained      bool      `json:"trained"`
	SocialWorker bool      `json:"social_worker"` // qualified social worker (持证社工)
}

// Platform is an incubation centre (孵化机构) or a federation of
// organizations (联合会), owned by a street, county or city.
type Platform struct {
	ID       string       `json:"id"`
	AreaCode area.Code    `json:"area"` // street, county or city code
	Name     string       `json:"name"`
	Type     PlatformType `json:"type"`
	Founded  string       `json:"founded"` // YYYY-MM-DD
}

// Registration is the legal registration (依法登记) and rating (等级评估) of an
// organization, owned by the county.
type Registration struct {
	ID         string    `json:"id"`
	AreaCode   area.Code `json:"area"`        // the county
	OrgOrigin  area.Code `json:"org_origin"`  // the street that owns the org
	Org        string    `json:"org"`         // org id at that street
	CreditCode string    `json:"credit_code"` // 统一社会信用代码, 18 characters
	Registered string    `json:"registered"`  // YYYY-MM-DD
	Rating     Rating    `json:"rating,omitempty"`
}

func (Community) Kind() Kind    { return KindCommunity }
func (Org) Kind() Kind          { return KindOrg }
func (Activity) Kind() Kind     { return KindActivity }
func (Project) Kind() Kind      { return KindProject }
func (Talent) Kind() Kind       { return KindTalent }
func (Platform) Kind() Kind     { return KindPlatform }
func (Registration) Kind() Kind { return KindRegistration }

func (r Community) RecordID() string    { return r.ID }
func (r Org) RecordID() string          { return r.ID }
func (r Activity) RecordID() string     { return r.ID }
func (r Project) RecordID() string      { return r.ID }
func (r Talent) RecordID() string       { return r.ID }
func (r Platform) RecordID() string     { return r.ID }
func (r Registration) RecordID() string { return r.ID }

func (r Community) Area() area.Code    { return r.Code }
func (r Org) Area() area.Code          { return r.Community }
func (r Activity) Area() area.Code     { return r.Community }
func (r Project) Area() area.Code      { return r.Community }
func (r Talent) Area() area.Code       { return r.Community }
func (r Platform) Area() area.Code     { return r.AreaCode }
func (r Registration) Area() area.Code { return r.AreaCode }

// Urban reports whether the community is urban (城镇, class 1xx); rural
// (乡村, 2xx) otherwise.
func (r Community) Urban() bool { return len(r.UrbanRural) > 0 && r.UrbanRural[0] == '1' }

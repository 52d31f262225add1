package registry

import (
	"fedsync/area"
)

// Validation limits. docs/RECORDS.md lists every rule per field.
const (
	MaxIDLen   = 64           // characters of an id
	MaxNameLen = 100          // runes of a name or free-text field
	MaxCount   = 1_000_000    // members, participants
	MaxAmount  = 1e10         // yuan of one project (keeps rollup sums far from overflow)
	MinDate    = "1949-10-01" // earliest date accepted
	MaxDate    = "2100-12-31" // latest date accepted
	MinYear    = 2000         // earliest project year
	MaxYear    = 2100         // latest project year
)

// firstError returns the first non-nil check as an error of kind k. Checks
// are listed in struct field order, so the error names the first bad field.
func firstError(k Kind, checks ...*FieldError) error {
	for _, fe := range checks {
		if fe != nil {
			fe.Kind = k
			return fe
		}
	}
	return nil
}

// Validate checks a community row: id equal to the code, a community-level
// code, a name and a valid urban-rural class.
func (r Community) Validate() error {
	idErr := checkID("id", r.ID)
	if idErr == nil && r.ID != string(r.Code) {
		idErr = &FieldError{Field: "id", Rule: "must equal code", Value: clip(r.ID)}
	}
	return firstError(KindCommunity,
		idErr,
		checkCode("code", r.Code, true, area.LevelCommunity),
		checkName("name", r.Name, true),
		checkUrbanRural("urban_rural", r.UrbanRural),
	)
}

// Validate checks an organization.
func (r Org) Validate() error {
	return firstError(KindOrg,
		checkID("id", r.ID),
		checkCode("community", r.Community, true, area.LevelCommunity),
		checkName("name", r.Name, true),
		categoryEnum.check("category", r.Category),
		tierEnum.check("tier", r.Tier),
		checkDate("founded", r.Founded),
		checkRange("members", int64(r.Members), 0, MaxCount),
		piiName("leader", r.Leader),
		checkPhone("leader_phone", r.LeaderPhone),
		statusEnum.check("status", r.Status),
	)
}

// Validate checks an activity. An empty community is allowed: the API fills
// it from the org before storing.
func (r Activity) Validate() error {
	return firstError(KindActivity,
		checkID("id", r.ID),
		checkID("org", r.Org),
		checkCode("community", r.Community, false, area.LevelCommunity),
		themeEnum.check("theme", r.Theme),
		checkName("type", r.Type, false),
		checkDate("date", r.Date),
		checkRange("participants", int64(r.Participants), 0, MaxCount),
	)
}

// Validate checks a service project. An empty community is allowed: the API
// fills it from the org before storing.
func (r Project) Validate() error {
	return firstError(KindProject,
		checkID("id", r.ID),
		checkID("org", r.Org),
		checkCode("community", r.Community, false, area.LevelCommunity),
		checkName("name", r.Name, true),
		fundingEnum.check("funding", r.Funding),
		checkRange("amount", r.Amount, 0, MaxAmount),
		checkRange("year", int64(r.Year), MinYear, MaxYear),
	)
}

// Validate checks a backbone person. An empty community is allowed: the API
// fills it from the org before storing. The PII fields are optional.
func (r Talent) Validate() error {
	return firstError(KindTalent,
		checkID("id", r.ID),
		checkID("org", r.Org),
		checkCode("community", r.Community, false, area.LevelCommunity),
		piiName("name", r.Name),
		checkPhone("phone", r.Phone),
		checkIDNumber("id_number", r.IDNumber),
		checkName("role", r.Role, false),
	)
}

// Validate checks a platform: its area is a street, county or city.
func (r Platform) Validate() error {
	return firstError(KindPlatform,
		checkID("id", r.ID),
		checkCode("area", r.AreaCode, true, area.LevelCity, area.LevelCounty, area.LevelStreet),
		checkName("name", r.Name, true),
		platformTypeEnum.check("type", r.Type),
		checkDate("founded", r.Founded),
	)
}

// Validate checks a registration: a county area, an origin street inside
// it, the org id, a credit code, a date and an optional rating.
func (r Registration) Validate() error {
	originErr := checkCode("org_origin", r.OrgOrigin, true, area.LevelStreet)
	if originErr == nil && r.AreaCode.Valid() && !r.AreaCode.Contains(r.OrgOrigin) {
		originErr = &FieldError{Field: "org_origin", Rule: "must be a street inside area " + string(r.AreaCode), Value: string(r.OrgOrigin)}
	}
	return firstError(KindRegistration,
		checkID("id", r.ID),
		checkCode("area", r.AreaCode, true, area.LevelCounty),
		originErr,
		checkID("org", r.Org),
		checkCreditCode("credit_code", r.CreditCode),
		checkDate("registered", r.Registered),
		ratingEnum.check("rating", r.Rating),
	)
}

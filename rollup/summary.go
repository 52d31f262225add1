package rollup

import (
	"time"

	"fedsync/area"
)

// Summary is the answer to "how does this area stand": every figure comes
// from rollup counters, so its cost depends on the number of areas listed,
// never on the number of records below them.
type Summary struct {
	Area        area.Code           `json:"area"`
	Name        string              `json:"name"`
	Level       string              `json:"level"`
	Year        int                 `json:"year"`        // the year asked for
	TargetYear  int                 `json:"target_year"` // the programme year whose targets apply
	Orgs        OrgFigures          `json:"orgs"`
	Communities CommunityFigures    `json:"communities"`
	Projects    ProjectFigures      `json:"projects"`
	Talent      TalentFigures       `json:"talent"`
	Activities  ActivityFigures     `json:"activities"`
	Platforms   map[string]int64    `json:"platforms"` // by platform type
	Registered  RegistrationFigures `json:"registrations"`
	// Children lists each direct child area with its compliance (for a
	// street: each community with its org count against its minimum).
	Children []ChildStatus `json:"children"`
	// BelowTarget lists communities under their minimum (capped at
	// BelowTargetCap; BelowTargetTotal has the full count).
	BelowTarget      []ChildStatus `json:"below_target"`
	BelowTargetTotal int64         `json:"below_target_total"`
	// Freshness says, for each origin whose data the answer includes, how
	// far its log has been applied here (filled by the node).
	Freshness []Freshness `json:"freshness"`
}

// Freshness is how current one origin's data is at the answering node.
type Freshness struct {
	Origin     area.Code `json:"origin"`
	Name       string    `json:"name"`
	Seq        uint64    `json:"seq"`         // highest entry applied
	OriginTime time.Time `json:"origin_time"` // when the origin wrote entry Seq
	HeardFrom  time.Time `json:"heard_from"`  // when this node last heard from the origin
	// Via is the child node that last delivered the origin's data here
	// (ViaName its division name); Bypass is true when that node is not a
	// direct child of the answering node: the child on the path was down
	// and was bypassed (DESIGN §6). Empty for the node's own origin.
	Via     area.Code `json:"via,omitempty"`
	ViaName string    `json:"via_name,omitempty"`
	Bypass  bool      `json:"bypass,omitempty"`
}

// BelowTargetCap bounds Summary.BelowTarget.
const BelowTargetCap = 500

// OrgFigures counts organizations. Total and the maps count active ones,
// except ByStatus which counts all.
type OrgFigures struct {
	Total       int64            `json:"total"`      // active, now
	AsOfYear    int64            `json:"as_of_year"` // active and founded by the end of Year
	Brand       int64            `json:"brand"`
	BrandTarget int64            `json:"brand_target,omitempty"` // province-wide target, shown at province level
	ByCategory  map[string]int64 `json:"by_category"`
	ByTier      map[string]int64 `json:"by_tier"`
	ByStatus    map[string]int64 `json:"by_status"`
}

// CommunityFigures is target compliance: communities meeting their minimum
// (≥10 organizations urban, ≥3 rural) against the year's required share.
type CommunityFigures struct {
	Urban         int64   `json:"urban"`
	Rural         int64   `json:"rural"`
	UrbanMeeting  int64   `json:"urban_meeting"`
	RuralMeeting  int64   `json:"rural_meeting"`
	UrbanShare    float64 `json:"urban_share"`    // 0..1
	RuralShare    float64 `json:"rural_share"`    // 0..1
	UrbanRequired float64 `json:"urban_required"` // the year's target share
	RuralRequired float64 `json:"rural_required"`
	UrbanOK       bool    `json:"urban_ok"`
	RuralOK       bool    `json:"rural_ok"`
}

// ProjectFigures counts service projects.
type ProjectFigures struct {
	Total          int64            `json:"total"`
	Brand          int64            `json:"brand"`
	BrandTarget    int64            `json:"brand_target,omitempty"`
	CountBySource  map[string]int64 `json:"count_by_source"`
	AmountBySource map[string]int64 `json:"amount_by_source"` // yuan
}

// TalentFigures counts backbone talent.
type TalentFigures struct {
	Total         int64   `json:"total"`
	Trained       int64   `json:"trained"`
	SocialWorkers int64   `json:"social_workers"`
	TrainedShare  float64 `json:"trained_share"`
}

// ActivityFigures counts activities dated in Year.
type ActivityFigures struct {
	Total        int64            `json:"total"`
	Major        int64            `json:"major"`
	Participants int64            `json:"participants"`
	ByTheme      map[string]int64 `json:"by_theme"`
}

// RegistrationFigures counts legal registrations and ratings.
type RegistrationFigures struct {
	Total    int64            `json:"total"`
	ByRating map[string]int64 `json:"by_rating"`
}

// ChildStatus is one child area's standing. For a community, Orgs is its
// active organization count (as of Year) and Minimum its target; for a
// higher area, the meeting/total community counts.
type ChildStatus struct {
	Area        area.Code `json:"area"`
	Name        string    `json:"name"`
	Level       string    `json:"level"`
	Urban       bool      `json:"urban,omitempty"`
	Orgs        int64     `json:"orgs"`
	Minimum     int64     `json:"minimum,omitempty"`
	Meets       bool      `json:"meets,omitempty"`
	Communities int64     `json:"communities,omitempty"`
	Meeting     int64     `json:"meeting,omitempty"`
}

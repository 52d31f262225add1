package rollup

import (
	"fmt"
	"strconv"
	"strings"

	"fedsync/area"
	"fedsync/registry"
)

// yearKey returns the org.asof/meet key for a report year: the year itself
// inside the programme, "now" after it.
func yearKey(year int) (string, error) {
	ys := registry.ProgrammeYears()
	if year < ys[0] {
		return "", fmt.Errorf("year %d: the programme's targets start in %d", year, ys[0])
	}
	if year > ys[len(ys)-1] {
		return Now, nil
	}
	return strconv.Itoa(year), nil
}

// Summarize reads the Summary of area a for a year from counters. Its cost
// is one read per dimension of a, one per child area, and one per
// community of a's subtree for the below-target list; never per record.
func Summarize(c Counters, a area.Code, year int) (*Summary, error) {
	key, err := yearKey(year)
	if err != nil {
		return nil, err
	}
	t := registry.TargetFor(year)
	s := &Summary{Area: a, Name: area.Name(a), Level: a.Level().String(), Year: year, TargetYear: t.Year}
	s.Orgs = orgFigures(c, a, key)
	s.Communities = communityFigures(c, a, key, t)
	s.Projects = projectFigures(c, a)
	s.Talent = talentFigures(c, a)
	s.Activities = activityFigures(c, a, year)
	s.Platforms = byValue(c, a, DimPlatform, []string{string(registry.PlatformIncubator), string(registry.PlatformFederation)})
	s.Registered = RegistrationFigures{Total: c.Get(a, DimRegistration), ByRating: byValue(c, a, DimRegistration+".rating", ratings())}
	if a.Level() == area.LevelProvince {
		s.Orgs.BrandTarget, s.Projects.BrandTarget = t.BrandOrgs, t.BrandProjects
	}
	for _, d := range area.Children(a) {
		s.Children = append(s.Children, childStatus(c, d, key))
	}
	s.BelowTargetTotal = s.Communities.Urban - s.Communities.UrbanMeeting + s.Communities.Rural - s.Communities.RuralMeeting
	s.BelowTarget = belowTarget(c, a, key)
	return s, nil
}

func orgFigures(c Counters, a area.Code, key string) OrgFigures {
	return OrgFigures{
		Total:      c.Get(a, DimOrgActive),
		AsOfYear:   c.Get(a, DimOrgAsOf+"."+key),
		Brand:      c.Get(a, DimOrgBrand),
		ByCategory: byValue(c, a, DimOrgCategory, enumStrings(registry.Categories())),
		ByTier:     byValue(c, a, DimOrgTier, enumStrings(registry.Tiers())),
		ByStatus:   byValue(c, a, DimOrgStatus, enumStrings(registry.Statuses())),
	}
}

func communityFigures(c Counters, a area.Code, key string, t registry.YearTarget) CommunityFigures {
	f := CommunityFigures{
		Urban:         c.Get(a, DimCommunity+".urban"),
		Rural:         c.Get(a, DimCommunity+".rural"),
		UrbanMeeting:  c.Get(a, DimMeet+".urban."+key),
		RuralMeeting:  c.Get(a, DimMeet+".rural."+key),
		UrbanRequired: t.UrbanShare,
		RuralRequired: t.RuralShare,
	}
	f.UrbanShare, f.UrbanOK = share(f.UrbanMeeting, f.Urban, t.UrbanShare)
	f.RuralShare, f.RuralOK = share(f.RuralMeeting, f.Rural, t.RuralShare)
	return f
}

// share returns n/total and whether it reaches required (an area with no
// communities of a class meets that class's target).
func share(n, total int64, required float64) (float64, bool) {
	if total == 0 {
		return 0, true
	}
	s := float64(n) / float64(total)
	return s, s+1e-9 >= required
}

func projectFigures(c Counters, a area.Code) ProjectFigures {
	src := enumStrings(registry.FundingSources())
	return ProjectFigures{
		Total:          c.Get(a, DimProject),
		Brand:          c.Get(a, DimProject+".brand"),
		CountBySource:  byValue(c, a, DimProject+".src", src),
		AmountBySource: byValue(c, a, DimProject+".amount", src),
	}
}

func talentFigures(c Counters, a area.Code) TalentFigures {
	f := TalentFigures{Total: c.Get(a, DimTalent), Trained: c.Get(a, DimTalent+".trained"), SocialWorkers: c.Get(a, DimTalent+".sw")}
	if f.Total > 0 {
		f.TrainedShare = float64(f.Trained) / float64(f.Total)
	}
	return f
}

func activityFigures(c Counters, a area.Code, year int) ActivityFigures {
	y := DimActivity + "." + strconv.Itoa(year)
	return ActivityFigures{
		Total:        c.Get(a, y),
		Major:        c.Get(a, y+".major"),
		Participants: c.Get(a, y+".people"),
		ByTheme:      byValue(c, a, y+".theme", enumStrings(registry.Themes())),
	}
}

func childStatus(c Counters, d area.Division, key string) ChildStatus {
	cs := ChildStatus{Area: d.Code, Name: d.Name, Level: d.Level.String()}
	if d.Level == area.LevelCommunity {
		class := Class(c, d.Code)
		if class == "" { // no community record: fall back to the division data
			class = map[bool]string{true: "urban", false: "rural"}[d.Urban()]
		}
		cs.Urban = class == "urban"
		cs.Orgs = c.Get(d.Code, DimOrgAsOf+"."+key)
		cs.Minimum = Minimum(class)
		cs.Meets = cs.Orgs >= cs.Minimum
		return cs
	}
	cs.Orgs = c.Get(d.Code, DimOrgAsOf+"."+key)
	cs.Communities = c.Get(d.Code, DimCommunity+".urban") + c.Get(d.Code, DimCommunity+".rural")
	cs.Meeting = c.Get(d.Code, DimMeet+".urban."+key) + c.Get(d.Code, DimMeet+".rural."+key)
	cs.Meets = cs.Meeting == cs.Communities
	return cs
}

// belowTarget lists up to BelowTargetCap communities of a's subtree that
// have a community record and are under their minimum.
func belowTarget(c Counters, a area.Code, key string) []ChildStatus {
	var out []ChildStatus
	for _, d := range area.Communities(a) {
		if Class(c, d.Code) == "" {
			continue
		}
		cs := childStatus(c, d, key)
		if !cs.Meets {
			out = append(out, cs)
			if len(out) == BelowTargetCap {
				break
			}
		}
	}
	return out
}

func byValue(c Counters, a area.Code, dim string, values []string) map[string]int64 {
	m := make(map[string]int64, len(values))
	for _, v := range values {
		if n := c.Get(a, dim+"."+v); n != 0 {
			m[v] = n
		}
	}
	return m
}

func ratings() []string {
	return []string{string(registry.Rating1A), string(registry.Rating2A), string(registry.Rating3A), string(registry.Rating4A), string(registry.Rating5A)}
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.TrimSpace(string(v))
	}
	return out
}

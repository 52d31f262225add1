package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"fedsync/area"
	"fedsync/registry"
)

// communityGen generates the records of one community.
type communityGen struct {
	r      *rand.Rand
	div    area.Division
	place  string // the community as named in organizations: 水源地社区
	street string // the street's name, for formal organization names
	county string // 6-digit county code, for ID numbers
	opts   Options
	names  map[string]bool // organization names used so far; nil: no uniqueness
	formal bool            // every organization name carries the street's name
	ros    *Roster
}

func newCommunityGen(r *rand.Rand, d area.Division, opts Options, ros *Roster) *communityGen {
	return &communityGen{
		r: r, div: d, opts: opts, ros: ros,
		place:  placeName(d.Name, d.Urban()),
		street: area.Name(d.Code.Parent()),
		county: string(d.Code)[:6],
		names:  make(map[string]bool),
	}
}

func (g *communityGen) community() registry.Community {
	return registry.Community{ID: string(g.div.Code), Code: g.div.Code, Name: g.div.Name, UrbanRural: g.div.UrbanRural}
}

// orgs generates active organizations and inactive ones, statuses in
// random order, each with its activities, projects and talents.
func (g *communityGen) orgs(active, inactive int) {
	statuses := make([]registry.Status, 0, active+inactive)
	for range active {
		statuses = append(statuses, registry.StatusActive)
	}
	for range inactive {
		statuses = append(statuses, pick(g.r, []registry.Status{registry.StatusSuspended, registry.StatusDissolved}))
	}
	g.r.Shuffle(len(statuses), func(i, j int) { statuses[i], statuses[j] = statuses[j], statuses[i] })
	for i, st := range statuses {
		o, leader := g.org(i+1, st)
		g.ros.Orgs = append(g.ros.Orgs, o)
		g.activities(o, i+1)
		g.projects(o, i+1)
		g.talents(o, i+1, leader)
	}
}

// org generates the n-th organization of the community.
func (g *communityGen) org(n int, st registry.Status) (registry.Org, person) {
	cats := urbanCategories
	if !g.div.Urban() {
		cats = ruralCategories
	}
	cat := pickWeighted(g.r, cats)
	tier := pickWeighted(g.r, tiers)
	leader := newPerson(g.r, g.county)
	members := 8 + g.r.IntN(33)
	if cat == registry.CatCulture {
		members = 15 + g.r.IntN(46)
	}
	return registry.Org{
		ID:            fmt.Sprintf("org-%s-%d", g.div.Code, n),
		Community:     g.div.Code,
		Name:          g.orgName(cat, tier),
		Category:      cat,
		Tier:          tier,
		Founded:       g.date(foundedYear(g.r, g.opts.Years)),
		Members:       members,
		Leader:        leader.name,
		LeaderPhone:   leader.phone,
		Charter:       chance(g.r, 0.7),
		PartyBuilding: chance(g.r, 0.4),
		Brand:         chance(g.r, 0.02),
		Status:        st,
	}, leader
}

// orgName makes a name unique in the community: place, an optional
// epithet and a stem of the category; filed and registered organizations
// carry the street's name in front, as their formal names do.
func (g *communityGen) orgName(cat registry.Category, tier registry.Tier) string {
	prefix := g.place
	if (g.formal || tier != registry.TierGuided) && g.street != "" {
		prefix = g.street + g.place
	}
	var name string
	for try := 0; try < 20; try++ {
		name = prefix + pick(g.r, orgBases[cat])
		if chance(g.r, 0.35) {
			name = prefix + pick(g.r, epithets) + pick(g.r, orgBases[cat])
		}
		if g.names == nil || !g.names[name] {
			break
		}
	}
	if g.names == nil {
		return name
	}
	base := pick(g.r, orgBases[cat])
	for k := 2; g.names[name]; k++ {
		name = fmt.Sprintf("%s第%d%s", prefix, k, base)
	}
	g.names[name] = true
	return name
}

// date returns a random day of year.
func (g *communityGen) date(year int) string {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	days := start.AddDate(1, 0, 0).Sub(start).Hours() / 24
	return start.AddDate(0, 0, g.r.IntN(int(days))).Format(time.DateOnly)
}

// dateAfter returns a random day from the day after from to the end of
// opts.Years[1] (from itself when from is already past it).
func (g *communityGen) dateAfter(from string) string {
	t, _ := time.Parse(time.DateOnly, from)
	end := time.Date(g.opts.Years[1], 12, 31, 0, 0, 0, 0, time.UTC)
	span := int(end.Sub(t).Hours() / 24)
	if span <= 0 {
		return from
	}
	return t.AddDate(0, 0, 1+g.r.IntN(span)).Format(time.DateOnly)
}

func (g *communityGen) activities(o registry.Org, n int) {
	for k := range poisson(g.r, g.opts.ActivitiesPerOrg) {
		theme := pickWeighted(g.r, themes)
		g.ros.Activities = append(g.ros.Activities, registry.Activity{
			ID:           fmt.Sprintf("act-%s-%d-%d", o.Community, n, k+1),
			Org:          o.ID,
			Community:    o.Community,
			Theme:        theme,
			Type:         pick(g.r, activityTypes[theme]),
			Date:         g.dateAfter(o.Founded),
			Participants: 10 + g.r.IntN(min(o.Members*4, 300)),
			Major:        chance(g.r, 0.05),
		})
	}
}

func (g *communityGen) projects(o registry.Org, n int) {
	fy, _ := strconv.Atoi(o.Founded[:4])
	for k := range poisson(g.r, g.opts.ProjectsPerOrg) {
		g.ros.Projects = append(g.ros.Projects, registry.Project{
			ID:        fmt.Sprintf("prj-%s-%d-%d", o.Community, n, k+1),
			Org:       o.ID,
			Community: o.Community,
			Name:      pick(g.r, projectNames),
			Funding:   pickWeighted(g.r, fundings),
			Amount:    int64(5+g.r.IntN(196)) * 1000,
			Year:      fy + g.r.IntN(g.opts.Years[1]-fy+1),
			Brand:     chance(g.r, 0.03),
		})
	}
}

// talents generates an org's backbone people; the first is its leader.
func (g *communityGen) talents(o registry.Org, n int, leader person) {
	for k := range poisson(g.r, g.opts.TalentsPerOrg) {
		p, role := leader, "负责人"
		if k > 0 {
			p, role = newPerson(g.r, g.county), pick(g.r, talentRoles[1:])
		}
		g.ros.Talents = append(g.ros.Talents, registry.Talent{
			ID:           fmt.Sprintf("tal-%s-%d-%d", o.Community, n, k+1),
			Org:          o.ID,
			Community:    o.Community,
			Name:         p.name,
			Phone:        p.phone,
			IDNumber:     p.idNumber,
			Role:         role,
			Trained:      chance(g.r, 0.75),
			SocialWorker: chance(g.r, 0.1),
		})
	}
}

package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
)

// renderReport prints a summary as the operator reads it: the area, each
// child's standing, the year's targets, then organizations, projects,
// talent, activities, platforms and registrations. `report` and `demo`
// share it.
func renderReport(w io.Writer, s *rollup.Summary) error {
	p := &printer{w: w}
	p.header(s)
	p.children(s)
	p.targets(s)
	p.orgs(s)
	p.projects(s)
	p.talent(s)
	p.activities(s)
	p.others(s)
	return p.err
}

// printer writes sections and keeps the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table(t *table) {
	if p.err == nil {
		p.err = t.write(p.w)
	}
}

func (p *printer) header(s *rollup.Summary) {
	name := s.Name
	if name == "" {
		name = area.Name(s.Area)
	}
	p.printf("%s (%s) · %s · year %d · targets of %d\n", name, s.Area, s.Level, s.Year, s.TargetYear)
}

// children lists each child: communities with their count against the
// minimum, higher areas with their communities meeting it.
func (p *printer) children(s *rollup.Summary) {
	if len(s.Children) == 0 {
		return
	}
	p.printf("\n")
	if s.Children[0].Level == area.LevelCommunity.String() {
		t := newTable("COMMUNITY", "CODE", "CLASS", "ORGS", "MINIMUM", "MEETS").alignRight(3, 4)
		for _, c := range s.Children {
			t.addf(c.Name, c.Area, urbanRural(c.Urban), c.Orgs, c.Minimum, check(c.Meets))
		}
		p.table(t)
		return
	}
	t := newTable("AREA", "CODE", "LEVEL", "ORGS", "COMMUNITIES", "MEETING", "SHARE").alignRight(3, 4, 5, 6)
	for _, c := range s.Children {
		t.addf(c.Name, c.Area, c.Level, thousands(c.Orgs), thousands(c.Communities), thousands(c.Meeting), share(c.Meeting, c.Communities))
	}
	p.table(t)
}

func urbanRural(urban bool) string {
	if urban {
		return "urban 城市"
	}
	return "rural 农村"
}

// share formats n/d as a percentage, "–" when d is 0.
func share(n, d int64) string {
	if d == 0 {
		return "–"
	}
	return percent(float64(n) / float64(d))
}

func (p *printer) targets(s *rollup.Summary) {
	c := s.Communities
	p.printf("\nTargets for %d (year %d)\n", s.TargetYear, s.Year)
	t := newTable()
	t.indent = "  "
	both := c.Urban == 0 && c.Rural == 0
	if c.Urban > 0 || both {
		t.add(fmt.Sprintf("urban communities with ≥%d orgs", registry.UrbanMinimum),
			fmt.Sprintf("%s/%s = %s", thousands(c.UrbanMeeting), thousands(c.Urban), share(c.UrbanMeeting, c.Urban)),
			"required "+wholePercent(c.UrbanRequired), verdict(c.UrbanOK, c.Urban))
	}
	if c.Rural > 0 || both {
		t.add(fmt.Sprintf("rural communities with ≥%d orgs", registry.RuralMinimum),
			fmt.Sprintf("%s/%s = %s", thousands(c.RuralMeeting), thousands(c.Rural), share(c.RuralMeeting, c.Rural)),
			"required "+wholePercent(c.RuralRequired), verdict(c.RuralOK, c.Rural))
	}
	p.table(t)
	if s.BelowTargetTotal > 0 && len(s.Children) > 0 && s.Children[0].Level != area.LevelCommunity.String() {
		p.printf("  %s communities below their minimum, e.g.:", thousands(s.BelowTargetTotal))
		for i, b := range s.BelowTarget {
			if i == 5 {
				break
			}
			p.printf(" %s (%d/%d)", b.Name, b.Orgs, b.Minimum)
		}
		p.printf("\n")
	}
}

// wholePercent formats a target share as "80%".
func wholePercent(share float64) string {
	return fmt.Sprintf("%.0f%%", share*100)
}

// verdict is ✓/✗, or – when there is nothing to count.
func verdict(ok bool, n int64) string {
	if n == 0 {
		return "–"
	}
	return check(ok)
}

func (p *printer) orgs(s *rollup.Summary) {
	o := s.Orgs
	p.printf("\nOrganizations: %s active (founded by the end of %d: %s)\n", thousands(o.Total), s.Year, thousands(o.AsOfYear))
	t := newTable()
	t.indent = "  "
	t.add("brand organizations", thousands(o.Brand)+target(o.BrandTarget))
	t.add("by category", counts(registry.KindOrg, "category", o.ByCategory))
	t.add("by tier", counts(registry.KindOrg, "tier", o.ByTier))
	t.add("by status", counts(registry.KindOrg, "status", o.ByStatus))
	p.table(t)
}

// target renders a province-wide target, when the level shows one.
func target(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (province target %s)", thousands(n))
}

func (p *printer) projects(s *rollup.Summary) {
	pr := s.Projects
	p.printf("\nProjects: %s, brand projects %s%s\n", thousands(pr.Total), thousands(pr.Brand), target(pr.BrandTarget))
	if len(pr.CountBySource) == 0 {
		return
	}
	t := newTable("FUNDING", "PROJECTS", "AMOUNT (元)").alignRight(1, 2)
	t.indent = "  "
	for _, k := range orderedKeys(registry.KindProject, "funding", pr.CountBySource) {
		t.addf(enumLabel(registry.KindProject, "funding", k), thousands(pr.CountBySource[k]), thousands(pr.AmountBySource[k]))
	}
	p.table(t)
}

func (p *printer) talent(s *rollup.Summary) {
	tl := s.Talent
	p.printf("\nBackbone talent: %s, trained %s/%s = %s, qualified social workers %s\n",
		thousands(tl.Total), thousands(tl.Trained), thousands(tl.Total), share(tl.Trained, tl.Total), thousands(tl.SocialWorkers))
}

func (p *printer) activities(s *rollup.Summary) {
	ac := s.Activities
	p.printf("\nActivities in %d: %s, major events %s, participants %s\n", s.Year, thousands(ac.Total), thousands(ac.Major), thousands(ac.Participants))
	if len(ac.ByTheme) == 0 {
		return
	}
	t := newTable("THEME", "ACTIVITIES").alignRight(1)
	t.indent = "  "
	for _, k := range orderedKeys(registry.KindActivity, "theme", ac.ByTheme) {
		t.addf(enumLabel(registry.KindActivity, "theme", k), thousands(ac.ByTheme[k]))
	}
	p.table(t)
}

func (p *printer) others(s *rollup.Summary) {
	if len(s.Platforms) > 0 {
		p.printf("\nPlatforms: %s\n", counts(registry.KindPlatform, "type", s.Platforms))
	}
	if r := s.Registered; r.Total > 0 {
		p.printf("Registrations: %s; ratings: %s\n", thousands(r.Total), counts(registry.KindRegistration, "rating", r.ByRating))
	}
}

// counts renders a count map as "生活服务类 3 · 公益慈善类 5", in the
// enum's order.
func counts(kind registry.Kind, field string, m map[string]int64) string {
	if len(m) == 0 {
		return "–"
	}
	var parts []string
	for _, k := range orderedKeys(kind, field, m) {
		label := enumLabel(kind, field, k)
		if k == "" {
			label = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s %s", label, thousands(m[k])))
	}
	return strings.Join(parts, " · ")
}

// orderedKeys returns m's keys in the order of the field's enum values,
// unknown keys last in sorted order.
func orderedKeys(kind registry.Kind, field string, m map[string]int64) []string {
	var out []string
	seen := map[string]bool{}
	if s, ok := spec(kind, field); ok {
		for _, v := range s.Enum {
			if _, ok := m[v]; ok {
				out = append(out, v)
				seen[v] = true
			}
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

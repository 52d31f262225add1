// Package gen generates deterministic, realistic rosters for a street:
// its communities and their organizations, activities, projects and
// backbone talent, with Chinese names, valid phone and ID numbers, and a
// chosen share of communities below the programme target. fedsync demo,
// tests and benchmarks use it; the same code and seed give the same roster.
package gen

import (
	"cmp"
	"hash/fnv"
	"iter"
	"math"
	"math/rand/v2"

	"fedsync/area"
	"fedsync/registry"
)

// Options shape a generated roster. A zero field takes its default; a
// negative one means none (no community below target, no activities, ...).
type Options struct {
	// OrgsPerCommunity is the mean number of active organizations of an
	// urban community that meets its target. Default 13.
	OrgsPerCommunity float64
	// RuralOrgsPerCommunity is the same for a rural community. Default 4.5.
	RuralOrgsPerCommunity float64
	// BelowTarget is the share of communities given fewer active
	// organizations than the target (urban < registry.UrbanMinimum, rural
	// < registry.RuralMinimum). Default 0.25.
	BelowTarget float64
	// InactiveShare adds suspended or dissolved organizations, as a share
	// of the active ones. They never count toward a target. Default 0.05.
	InactiveShare float64
	// ActivitiesPerOrg is the mean number of activities of an org. Default 3.
	ActivitiesPerOrg float64
	// ProjectsPerOrg is the mean number of service projects. Default 0.3.
	ProjectsPerOrg float64
	// TalentsPerOrg is the mean number of backbone people. Default 1.5.
	TalentsPerOrg float64
	// Years bounds the founding years, inclusive; years 2021–2023 (the
	// programme) are four times as likely as others. Activities and
	// projects fall between founding and the end of Years[1].
	// Default {2015, 2025}.
	Years [2]int
}

// DefaultOptions returns the defaults Street uses for zero fields.
func DefaultOptions() Options {
	return Options{
		OrgsPerCommunity: 13, RuralOrgsPerCommunity: 4.5, BelowTarget: 0.25, InactiveShare: 0.05,
		ActivitiesPerOrg: 3, ProjectsPerOrg: 0.3, TalentsPerOrg: 1.5, Years: [2]int{2015, 2025},
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	def := func(v *float64, dv float64) {
		switch {
		case *v == 0:
			*v = dv
		case *v < 0:
			*v = 0
		}
	}
	def(&o.OrgsPerCommunity, d.OrgsPerCommunity)
	def(&o.RuralOrgsPerCommunity, d.RuralOrgsPerCommunity)
	def(&o.BelowTarget, d.BelowTarget)
	def(&o.InactiveShare, d.InactiveShare)
	def(&o.ActivitiesPerOrg, d.ActivitiesPerOrg)
	def(&o.ProjectsPerOrg, d.ProjectsPerOrg)
	def(&o.TalentsPerOrg, d.TalentsPerOrg)
	if o.Years[0] == 0 || o.Years[1] < o.Years[0] {
		o.Years = d.Years
	}
	o.BelowTarget = min(o.BelowTarget, 1)
	return o
}

// Roster is everything a street holds, in id order within each kind
// (organizations before the records that refer to them).
type Roster struct {
	Street      area.Code
	Communities []registry.Community
	Orgs        []registry.Org
	Activities  []registry.Activity
	Projects    []registry.Project
	Talents     []registry.Talent
	// Below lists the communities generated below target, in code order.
	Below []area.Code
}

// All yields every record: communities, then organizations, activities,
// projects and talents, so that an organization comes before the records
// that refer to it.
func (r *Roster) All() iter.Seq[registry.Record] {
	return func(yield func(registry.Record) bool) {
		_ = yieldAll(yield, r.Communities) && yieldAll(yield, r.Orgs) && yieldAll(yield, r.Activities) &&
			yieldAll(yield, r.Projects) && yieldAll(yield, r.Talents)
	}
}

func yieldAll[T registry.Record](yield func(registry.Record) bool, recs []T) bool {
	for _, r := range recs {
		if !yield(r) {
			return false
		}
	}
	return true
}

// Len returns the number of records of every kind.
func (r *Roster) Len() int {
	return len(r.Communities) + len(r.Orgs) + len(r.Activities) + len(r.Projects) + len(r.Talents)
}

// Street generates the roster of the communities under code (usually a
// street or township; any area works) from seed. It returns an empty
// roster for a code with no communities in the division data. Every record
// passes Validate; ids are unique within the roster: the community's code,
// "org-<community>-<n>", "act-<community>-<n>-<k>", "prj-...", "tal-...".
func Street(code area.Code, seed int64, opts Options) Roster {
	opts = opts.withDefaults()
	divs := area.Communities(code)
	ros := Roster{Street: code}
	below := pickBelow(rng(seed, string(code)), len(divs), opts.BelowTarget)
	for i, d := range divs {
		g := newCommunityGen(rng(seed, string(d.Code)), d, opts, &ros)
		ros.Communities = append(ros.Communities, g.community())
		target := registry.RuralMinimum
		mean := opts.RuralOrgsPerCommunity
		if d.Urban() {
			target, mean = registry.UrbanMinimum, opts.OrgsPerCommunity
		}
		active := max(target, int(math.Round(mean+g.r.NormFloat64()*mean/4)))
		if below[i] {
			active = g.r.IntN(target)
			ros.Below = append(ros.Below, d.Code)
		}
		g.orgs(active, poisson(g.r, float64(active)*opts.InactiveShare))
	}
	return ros
}

// pickBelow chooses round(share·n) of n communities, at random.
func pickBelow(r *rand.Rand, n int, share float64) []bool {
	out := make([]bool, n)
	k := int(math.Round(share * float64(n)))
	for _, i := range r.Perm(n)[:k] {
		out[i] = true
	}
	return out
}

// rng returns a generator determined by seed and a key (an area code), so
// that one community's records do not depend on the others'.
func rng(seed int64, key string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// foundedYear draws a year of opts.Years, programme years (2021–2023)
// four times as likely.
func foundedYear(r *rand.Rand, years [2]int) int {
	var choices []weighted[int]
	for y := years[0]; y <= years[1]; y++ {
		choices = append(choices, weighted[int]{y, cmp.Or(4*boolInt(y >= 2021 && y <= 2023), 1)})
	}
	return pickWeighted(r, choices)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Package rollup owns the aggregate counters of DESIGN §4: what each record
// contributes to the counters of its area and every ancestor area, how the
// "communities meeting their minimum" counters follow from per-community
// counts, and how a Summary is read back from counters.
//
// Invariants:
//   - Every counter is a sum over records (or, for the meeting counters, over
//     communities) of a function of that record alone (or of that
//     community's own counters). Apply is therefore commutative: the counters
//     after any set of changes do not depend on the order in which they, or
//     different origins' entries, were applied.
//   - Recompute over the stored records yields exactly the stored counters.
package rollup

import (
	"strconv"

	"fedsync/area"
	"fedsync/registry"
)

// Counters is the counter state Apply reads and changes: one int64 per
// (area, dimension).
//
// Add adds delta to the counter of a AND of every ancestor of a: every
// contribution counts in its area's whole line of ancestors. Get must see
// the deltas added at a itself; Apply only reads community counters, which
// (communities being leaves) nothing below them changes, so an
// implementation may propagate deltas to ancestors lazily (storage does, at
// commit).
type Counters interface {
	Add(a area.Code, dim string, delta int64)
	Get(a area.Code, dim string) int64
}

// Dimension names. A dimension with a suffix is written Dim + "." + value.
const (
	DimCount        = "n"          // n.<kind>: records of a kind
	DimCommunity    = "comm"       // comm.urban / comm.rural: community records by class
	DimOrgActive    = "org.active" // active organizations now
	DimOrgStatus    = "org.status" // org.status.<status>: all organizations by status
	DimOrgCategory  = "org.cat"    // org.cat.<category>: active, by category
	DimOrgTier      = "org.tier"   // org.tier.<tier>: active, by tier
	DimOrgBrand     = "org.brand"  // active brand organizations
	DimOrgAsOf      = "org.asof"   // org.asof.<year>: active and founded by the end of <year>
	DimMeet         = "meet"       // meet.<urban|rural>.<year|now>: communities meeting their minimum
	DimActivity     = "act"        // act.<year>, act.<year>.major, act.<year>.people, act.<year>.theme.<theme>
	DimProject      = "proj"       // proj, proj.brand, proj.src.<source>, proj.amount.<source>
	DimTalent       = "talent"     // talent, talent.trained, talent.sw
	DimPlatform     = "plat"       // plat.<type>
	DimRegistration = "reg"        // reg, reg.rating.<rating>
)

// Now is the year key of the current state in org.asof and meet dimensions.
const Now = "now"

// years holds the dimension names built from the year keys once, so that
// applying a record builds no strings: asOf[i] = "org.asof.<key i>",
// meet[class][i] = "meet.<class>.<key i>".
var years = func() (y struct {
	keys []string
	nums []int // programme years, parallel to keys (without "now")
	asOf []string
	meet map[string][]string
}) {
	for _, n := range registry.ProgrammeYears() {
		y.keys = append(y.keys, strconv.Itoa(n))
		y.nums = append(y.nums, n)
	}
	y.keys = append(y.keys, Now)
	y.meet = map[string][]string{}
	for _, k := range y.keys {
		y.asOf = append(y.asOf, DimOrgAsOf+"."+k)
		for _, class := range []string{"urban", "rural"} {
			y.meet[class] = append(y.meet[class], DimMeet+"."+class+"."+k)
		}
	}
	return y
}()

// Apply changes the counters for one record replaced by another. old is nil
// for a create, new is nil for a delete. Records must be valid.
func Apply(c Counters, old, new registry.Record) {
	comms := affectedCommunities(old, new)
	var before [2][]meetState
	for i, x := range comms {
		before[i] = readMeet(c, x)
	}
	if old != nil {
		add(c, old, -1)
	}
	if new != nil {
		add(c, new, +1)
	}
	for i, x := range comms {
		after := readMeet(c, x)
		for j := range after {
			applyMeetDelta(c, x, before[i][j], after[j])
		}
	}
}

// affectedCommunities returns the distinct community areas of old and new.
func affectedCommunities(old, new registry.Record) []area.Code {
	var out []area.Code
	for _, r := range []registry.Record{old, new} {
		if r == nil || r.Area().Level() != area.LevelCommunity {
			continue
		}
		if len(out) == 0 || out[0] != r.Area() {
			out = append(out, r.Area())
		}
	}
	return out
}

// add adds sign × the record's contributions to its area (and so to its
// ancestors).
func add(c Counters, r registry.Record, sign int64) {
	a := r.Area()
	contribute(r, func(dim string, v int64) { c.Add(a, dim, sign*v) })
}

// Contribute calls emit for every (dimension, value) the record adds to the
// counters of its area (and of each ancestor). Meeting counters are not
// included: they follow from the community's own counters.
func contribute(r registry.Record, emit func(dim string, v int64)) {
	emit(DimCount+"."+string(r.Kind()), 1)
	switch r := r.(type) {
	case registry.Community:
		if r.Urban() {
			emit(DimCommunity+".urban", 1)
		} else {
			emit(DimCommunity+".rural", 1)
		}
	case registry.Org:
		contributeOrg(r, emit)
	case registry.Activity:
		y := r.Date[:4]
		emit(DimActivity+"."+y, 1)
		emit(DimActivity+"."+y+".people", int64(r.Participants))
		emit(DimActivity+"."+y+".theme."+string(r.Theme), 1)
		if r.Major {
			emit(DimActivity+"."+y+".major", 1)
		}
	case registry.Project:
		emit(DimProject, 1)
		emit(DimProject+".src."+string(r.Funding), 1)
		emit(DimProject+".amount."+string(r.Funding), r.Amount)
		if r.Brand {
			emit(DimProject+".brand", 1)
		}
	case registry.Talent:
		emit(DimTalent, 1)
		if r.Trained {
			emit(DimTalent+".trained", 1)
		}
		if r.SocialWorker {
			emit(DimTalent+".sw", 1)
		}
	case registry.Platform:
		emit(DimPlatform+"."+string(r.Type), 1)
	case registry.Registration:
		emit(DimRegistration, 1)
		if r.Rating != "" {
			emit(DimRegistration+".rating."+string(r.Rating), 1)
		}
	}
}

// Dimension names of enum values, built once so that applying a record
// builds no strings for them.
var (
	statusDims   = enumDims(DimOrgStatus, registry.Statuses())
	categoryDims = enumDims(DimOrgCategory, registry.Categories())
	tierDims     = enumDims(DimOrgTier, registry.Tiers())
)

func enumDims[T ~string](prefix string, values []T) map[T]string {
	m := make(map[T]string, len(values))
	for _, v := range values {
		m[v] = prefix + "." + string(v)
	}
	return m
}

// enumDim returns the cached "<prefix>.<v>" (built for a value outside the
// enum, which a valid record never has).
func enumDim[T ~string](m map[T]string, prefix string, v T) string {
	if d, ok := m[v]; ok {
		return d
	}
	return prefix + "." + string(v)
}

func contributeOrg(r registry.Org, emit func(string, int64)) {
	emit(enumDim(statusDims, DimOrgStatus, r.Status), 1)
	if r.Status != registry.StatusActive {
		return
	}
	emit(DimOrgActive, 1)
	emit(enumDim(categoryDims, DimOrgCategory, r.Category), 1)
	emit(enumDim(tierDims, DimOrgTier, r.Tier), 1)
	if r.Brand {
		emit(DimOrgBrand, 1)
	}
	founded, _ := strconv.Atoi(r.Founded[:4])
	for i, y := range years.nums {
		if founded <= y {
			emit(years.asOf[i], 1)
		}
	}
	emit(years.asOf[len(years.asOf)-1], 1)
}

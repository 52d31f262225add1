package rollup

import (
	"fedsync/area"
	"fedsync/registry"
)

// meetState is whether one community meets its minimum for one year key.
// A community with no community record has no class and meets nothing.
type meetState struct {
	key   int    // index into years.keys
	class string // "urban", "rural" or "" (no community record)
	meets bool
}

// Class returns "urban" or "rural" for a community with a community record,
// read from its own counters, or "" when it has none.
func Class(c Counters, x area.Code) string {
	switch {
	case c.Get(x, DimCommunity+".urban") > 0:
		return "urban"
	case c.Get(x, DimCommunity+".rural") > 0:
		return "rural"
	}
	return ""
}

// Minimum returns the organization minimum of a community class.
func Minimum(class string) int64 {
	if class == "urban" {
		return registry.UrbanMinimum
	}
	return registry.RuralMinimum
}

func readMeet(c Counters, x area.Code) []meetState {
	class := Class(c, x)
	out := make([]meetState, len(years.keys))
	for i := range years.keys {
		out[i] = meetState{key: i, class: class}
		if class != "" {
			out[i].meets = c.Get(x, years.asOf[i]) >= Minimum(class)
		}
	}
	return out
}

// applyMeetDelta moves community x's meeting contribution from before to
// after (in x, and so in every ancestor).
func applyMeetDelta(c Counters, x area.Code, before, after meetState) {
	if before == after {
		return
	}
	if before.meets {
		c.Add(x, years.meet[before.class][before.key], -1)
	}
	if after.meets {
		c.Add(x, years.meet[after.class][after.key], +1)
	}
}

// Map is an in-memory Counters, used to recompute rollups from records.
type Map map[area.Code]map[string]int64

// Add implements Counters, adding to a and every ancestor of a; zero
// counters are removed.
func (m Map) Add(a area.Code, dim string, delta int64) {
	if delta == 0 {
		return
	}
	for _, x := range a.Ancestors() {
		m.addOne(x, dim, delta)
	}
}

func (m Map) addOne(a area.Code, dim string, delta int64) {
	d := m[a]
	if d == nil {
		d = map[string]int64{}
		m[a] = d
	}
	d[dim] += delta
	if d[dim] == 0 {
		delete(d, dim)
		if len(d) == 0 {
			delete(m, a)
		}
	}
}

// Get implements Counters.
func (m Map) Get(a area.Code, dim string) int64 { return m[a][dim] }

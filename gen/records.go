package gen

import (
	"iter"

	"fedsync/area"
	"fedsync/registry"
)

// Records yields n organizations (registry.Org) spread evenly over the
// communities under street, for benchmarks: deterministic in seed, ids
// "org-<community>-<k>" unique, each passing Validate, with formal names
// (street and community in front) as a county's register lists them: about
// 320 bytes of JSON on average (an org has 13 short fields; names may
// repeat). It yields nothing when street has no communities.
func Records(n int, seed int64, street area.Code) iter.Seq[registry.Record] {
	return func(yield func(registry.Record) bool) {
		divs := area.Communities(street)
		if len(divs) == 0 {
			return
		}
		opts := DefaultOptions()
		var ros Roster
		gens := make([]*communityGen, len(divs))
		for i, d := range divs {
			gens[i] = newCommunityGen(rng(seed, string(d.Code)), d, opts, &ros)
			gens[i].names = nil // names may repeat; uniqueness would cost O(n) memory
			gens[i].formal = true
		}
		for i := range n {
			g := gens[i%len(gens)]
			o, _ := g.org(i/len(gens)+1, registry.StatusActive)
			if !yield(o) {
				return
			}
		}
	}
}

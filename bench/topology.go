package bench

import (
	"fmt"

	"fedsync/area"
)

// topology is the set of nodes of a scenario: the city, the county in
// ShapeTree ("" in ShapeFlat), and the streets.
type topology struct {
	city    area.Code
	county  area.Code
	streets []area.Code
	note    string // why fewer streets than asked, if so
}

// cityStreets returns the streets of the city's counties that have
// communities (a street without any could write no org), in code order.
func cityStreets() []area.Code {
	var out []area.Code
	for _, c := range area.Children(City) {
		out = append(out, countyStreets(c.Code)...)
	}
	return out
}

// countyStreets returns the streets of county that have communities.
func countyStreets(county area.Code) []area.Code {
	var out []area.Code
	for _, s := range area.Children(county) {
		if s.Code.Level() == area.LevelStreet && len(area.Communities(s.Code)) > 0 {
			out = append(out, s.Code)
		}
	}
	return out
}

// chooseTopology picks n streets of the city: for ShapeFlat the first n in
// code order; for ShapeTree the first county (in code order) with at least
// n streets, or, when none has, the county with the most, cut to its
// streets.
func chooseTopology(shape string, n int) topology {
	t := topology{city: City}
	if shape == ShapeFlat {
		t.streets = cityStreets()[:n]
		return t
	}
	var best []area.Code
	for _, c := range area.Children(City) {
		ss := countyStreets(c.Code)
		if len(ss) >= n {
			t.county, t.streets = c.Code, ss[:n]
			return t
		}
		if len(ss) > len(best) {
			t.county, best = c.Code, ss
		}
	}
	t.streets = best
	t.note = fmt.Sprintf("tree: no county of %s has %d streets; %s (%s) has the most, %d, and all of them are used",
		area.Name(City), n, t.county, area.Name(t.county), len(best))
	return t
}

package sim

import (
	"fmt"

	"fedsync/area"
)

// Server is one simulated server: its name and the area of its node.
type Server struct {
	Name string
	Area area.Code
}

// Liaoning is the root of the plan: the province.
var Liaoning = area.MustParse("210000000000")

// Plan returns n servers in the order they start: one per node of Liaoning
// from the embedded division data, level by level (the province, 14 cities,
// 100 counties, 1,393 streets = 1,508 servers), then second, third, ...
// servers of the same nodes in that order when n is larger.
func Plan(n int) []Server {
	nodes := nodesTopDown()
	out := make([]Server, 0, n)
	for i := 0; len(out) < n; i++ {
		a := nodes[i%len(nodes)]
		out = append(out, Server{Name: fmt.Sprintf("%s-%d", a, i/len(nodes)+1), Area: a})
	}
	return out
}

// NodeCount is the number of nodes in Liaoning: every street, county and
// city, and the province.
func NodeCount() int { return len(nodesTopDown()) }

// nodesTopDown lists the province, then every city, county and street, in
// breadth-first order.
func nodesTopDown() []area.Code {
	out := []area.Code{Liaoning}
	for i := 0; i < len(out); i++ {
		if out[i].Level() == area.LevelStreet {
			continue
		}
		for _, d := range area.Children(out[i]) {
			if d.Level <= area.LevelStreet {
				out = append(out, d.Code)
			}
		}
	}
	return out
}

package federation

import (
	"testing"

	"fedsync/area"
)

func member(name string, a area.Code, st Status, role RaftRole) Member {
	m := Member{Meta: testMeta(name, a), Status: st}
	m.RaftRole = role
	return m
}

func names(ms []Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestDiscovery(t *testing.T) {
	other := area.MustParse("210102002000") // a sibling street
	ms := []Member{
		member("prov-1", province, StatusAlive, RoleLeader),
		member("city-2", city, StatusDead, RoleLeader),
		member("city-1", city, StatusLeaving, RoleFollower),
		member("county-1", county, StatusDead, RoleLeader),
		member("st-b", street, StatusAlive, RoleLeader),
		member("st-a", street, StatusAlive, RoleFollower),
		member("st-c", street, StatusLeft, RoleFollower),
		member("other-1", other, StatusAlive, RoleUnknown),
	}
	if got := names(servers(ms, street)); len(got) != 2 || got[0] != "st-a" || got[1] != "st-b" {
		t.Errorf("servers(street) = %v, want [st-a st-b]", got)
	}
	if l, ok := leader(ms, street); !ok || l.Name != "st-b" {
		t.Errorf("leader(street) = %v %v, want st-b", l.Name, ok)
	}
	if _, ok := leader(ms, other); ok {
		t.Error("leader of an area whose server has no role")
	}
	if _, ok := leader(ms, county); ok {
		t.Error("a dead leader was returned")
	}
	// The street's county and city are down (dead, leaving): bypass goes to
	// the province.
	if a, s := nearestLiveAncestor(ms, street); a != province || len(s) != 1 || s[0].Name != "prov-1" {
		t.Errorf("nearestLiveAncestor(street) = %s %v, want the province", a, names(s))
	}
	if a, s := nearestLiveAncestor(ms, province); a != "" || s != nil {
		t.Errorf("nearestLiveAncestor(province) = %s %v, want none", a, names(s))
	}
	ms[1].Status = StatusAlive
	if a, _ := nearestLiveAncestor(ms, street); a != city {
		t.Errorf("with city-2 alive: %s, want the city", a)
	}
}

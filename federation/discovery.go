package federation

import "fedsync/area"

// Servers returns the alive members of area a (not leaving, dead or left),
// sorted by name: the servers of a's node.
func (p *Pool) Servers(a area.Code) []Member { return servers(p.Members(), a) }

// Leader returns the alive member of area a whose raft role is leader, and
// false when there is none. Roles are gossiped and may lag an election by a
// few gossip rounds; when two members still claim it, the first by name is
// returned, and a caller it refuses should try again later.
func (p *Pool) Leader(a area.Code) (Member, bool) { return leader(p.Members(), a) }

// NearestLiveAncestor walks up from a's parent (a itself excluded) and
// returns the first area with an alive member, with its alive members; ("",
// nil) when no ancestor has one. A node whose parent is dead uses it for
// bypass (DESIGN §6).
func (p *Pool) NearestLiveAncestor(a area.Code) (area.Code, []Member) {
	return nearestLiveAncestor(p.Members(), a)
}

func servers(ms []Member, a area.Code) []Member {
	var out []Member
	for _, m := range ms {
		if m.Area == a && m.Status == StatusAlive {
			out = append(out, m)
		}
	}
	sortMembers(out)
	return out
}

func leader(ms []Member, a area.Code) (Member, bool) {
	for _, m := range servers(ms, a) {
		if m.RaftRole == RoleLeader {
			return m, true
		}
	}
	return Member{}, false
}

func nearestLiveAncestor(ms []Member, a area.Code) (area.Code, []Member) {
	for c := a.Parent(); c != ""; c = c.Parent() {
		if s := servers(ms, c); len(s) > 0 {
			return c, s
		}
	}
	return "", nil
}

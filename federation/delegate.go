package federation

import (
	"fmt"
	"slices"

	"github.com/hashicorp/memberlist"

	"fedsync/area"
)

// delegate receives memberlist's callbacks for a Pool. memberlist calls the
// event and alive callbacks while holding its node lock, one at a time, so
// the view changes in the order memberlist saw them.
type delegate struct{ p *Pool }

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.AliveDelegate    = (*delegate)(nil)
	_ memberlist.MergeDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
)

// NodeMeta serves the encoded metadata (at most 501 bytes, under limit).
func (d *delegate) NodeMeta(limit int) []byte {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	return slices.Clone(d.p.metaBytes)
}

// The pool's own messages are queries and their answers (query.go).
func (d *delegate) NotifyMsg(b []byte) { d.p.notify(b) }
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.p.q.bq.GetBroadcasts(overhead, limit)
}
func (d *delegate) LocalState(bool) []byte                 { return nil }
func (d *delegate) MergeRemoteState(_ []byte, _ bool)      {}
func (d *delegate) NotifyJoin(n *memberlist.Node)          { d.p.observe(n, false) }
func (d *delegate) NotifyUpdate(n *memberlist.Node)        { d.p.observe(n, false) }
func (d *delegate) NotifyLeave(n *memberlist.Node)         { d.p.observe(n, true) }
func (d *delegate) NotifyConflict(old, n *memberlist.Node) { d.p.nameConflict(old, n) }

// NotifyAlive refuses a server whose metadata does not decode or validate,
// or that the ConflictChecker refuses. memberlist then ignores the alive
// message: a new server is never added, a known one keeps its old state.
func (d *delegate) NotifyAlive(n *memberlist.Node) error {
	p := d.p
	if n.Name == p.cfg.Name {
		return nil // our own metadata was validated by New and UpdateMeta
	}
	cand, flags, err := p.candidate(n)
	if err == nil && p.cfg.ConflictChecker != nil && !p.accepted(cand) {
		err = p.checkConflict(cand, p.upInArea(cand.Area))
	}
	if err != nil {
		return p.refuse(n, err)
	}
	if flags&flagLeaving != 0 {
		p.leftIfDead(n.Name) // the leave intent arrived after the leave
	}
	return nil
}

// NotifyMerge runs during a join, on both servers, with the other side's
// member list. It refuses the merge when a live member in that list has bad
// metadata, or when the ConflictChecker refuses one of them or this server
// itself against the merged view. On the joining server, Join returns the
// refusal.
func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	p := d.p
	var cands []Member
	for _, n := range peers {
		if n.Name == p.cfg.Name || (n.State != memberlist.StateAlive && n.State != memberlist.StateSuspect) {
			continue
		}
		c, _, err := p.candidate(n)
		if err != nil {
			return p.refuseMerge(n, err)
		}
		cands = append(cands, c)
	}
	if p.cfg.ConflictChecker == nil {
		return nil
	}
	byArea := p.upByArea(cands)
	for _, c := range append([]Member{p.Local()}, cands...) { // ourselves first: the joiner's error names itself
		if err := p.checkConflict(c, byArea[c.Area]); err != nil {
			return p.refuseMerge(&memberlist.Node{Name: c.Name}, err)
		}
	}
	return nil
}

// candidate decodes the metadata of n and checks it names n.
func (p *Pool) candidate(n *memberlist.Node) (Member, byte, error) {
	meta, flags, err := decodeMeta(n.Meta)
	if err != nil {
		return Member{}, 0, err
	}
	if meta.Name != n.Name {
		return Member{}, 0, fmt.Errorf("%w: %w", ErrBadMeta,
			fieldErr("meta.name", "%q differs from the gossip node name %q", meta.Name, n.Name))
	}
	st := StatusAlive
	if flags&flagLeaving != 0 {
		st = StatusLeaving
	}
	return Member{Meta: meta, GossipAddr: n.Address(), Status: st, Since: p.now()}, flags, nil
}

// upByArea groups the up members of the view, overridden by extra (by
// name), by area.
func (p *Pool) upByArea(extra []Member) map[area.Code][]Member {
	all := make(map[string]Member)
	p.mu.Lock()
	for name, e := range p.view {
		if e.m.Status.Up() && !e.hidden {
			all[name] = e.m
		}
	}
	p.mu.Unlock()
	for _, m := range extra {
		all[m.Name] = m
	}
	by := make(map[area.Code][]Member)
	for _, m := range all {
		by[m.Area] = append(by[m.Area], m)
	}
	return by
}

// accepted reports whether the view holds c, up, with the same metadata:
// the ConflictChecker has judged it already (alive messages repeat).
func (p *Pool) accepted(c Member) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.view[c.Name]
	return ok && !e.hidden && e.m.Status.Up() && e.m.Meta == c.Meta
}

// upInArea returns the up members of the view in area a.
func (p *Pool) upInArea(a area.Code) []Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Member
	for _, e := range p.view {
		if e.m.Area == a && e.m.Status.Up() && !e.hidden {
			out = append(out, e.m)
		}
	}
	return out
}

// checkConflict asks the ConflictChecker about c against the other members
// of its area in inArea.
func (p *Pool) checkConflict(c Member, inArea []Member) error {
	same := make([]Member, 0, len(inArea))
	for _, m := range inArea {
		if m.Name != c.Name {
			same = append(same, m)
		}
	}
	sortMembers(same)
	if err := p.cfg.ConflictChecker(c, same); err != nil {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return nil
}

// refuse logs a refusal and reports EventRefused, once per name and reason,
// and returns the *RefusalError.
func (p *Pool) refuse(n *memberlist.Node, err error) error {
	rerr := &RefusalError{Name: n.Name, Addr: n.Address(), Err: err}
	if n.Addr == nil {
		rerr.Addr = ""
	}
	reason := err.Error()
	p.mu.Lock()
	seen := p.refused[n.Name] == reason
	if !seen {
		if len(p.refused) >= maxRefusalsRemembered {
			clear(p.refused)
		}
		p.refused[n.Name] = reason
	}
	p.mu.Unlock()
	if !seen {
		p.log.Warn("refused gossip member", "member", n.Name, "addr", rerr.Addr, "err", err)
		m := Member{Meta: Meta{Name: n.Name}, GossipAddr: rerr.Addr}
		p.events.push(Event{Kind: EventRefused, Member: m, Err: rerr})
	}
	return rerr
}

// refuseMerge is refuse for NotifyMerge, remembering the refusal for Join.
func (p *Pool) refuseMerge(n *memberlist.Node, err error) error {
	rerr := p.refuse(n, err)
	p.mu.Lock()
	p.mergeRefusal = rerr
	p.mu.Unlock()
	return rerr
}

// nameConflict: two servers claim one name at different addresses.
// memberlist keeps the one it knew.
func (p *Pool) nameConflict(old, n *memberlist.Node) {
	_ = p.refuse(n, fmt.Errorf("%w: name %q is already used by the server at %s", ErrConflict, n.Name, old.Address()))
}

// observe records a join, update or leave reported by memberlist.
func (p *Pool) observe(n *memberlist.Node, gone bool) {
	meta, flags, err := decodeMeta(n.Meta)
	if err != nil { // NotifyAlive refused every other server with bad metadata
		p.log.Warn("gossip member with invalid metadata", "member", n.Name, "err", err)
		return
	}
	st := statusOf(gone, flags&flagLeaving != 0)
	m := Member{Meta: meta, GossipAddr: n.Address(), Status: st, Since: p.now()}
	p.mu.Lock()
	var prev Status
	if e, ok := p.view[n.Name]; ok && !e.hidden {
		prev = e.m.Status
		if prev == st {
			m.Since = e.m.Since
		}
	}
	p.view[n.Name] = &entry{m: m}
	if !gone {
		delete(p.refused, n.Name)
	}
	p.mu.Unlock()
	p.events.push(Event{Kind: kindOf(prev, st), Member: m, Prev: prev})
}

func statusOf(gone, leaving bool) Status {
	switch {
	case gone && leaving:
		return StatusLeft
	case gone:
		return StatusDead
	case leaving:
		return StatusLeaving
	}
	return StatusAlive
}

func kindOf(prev, now Status) EventKind {
	switch {
	case now == StatusDead:
		return EventFailed
	case now == StatusLeft:
		return EventLeft
	case prev.Up():
		return EventUpdate
	}
	return EventJoin
}

// leftIfDead turns a dead member into a left one, when its leave intent
// arrives after memberlist already reported it gone.
func (p *Pool) leftIfDead(name string) {
	p.mu.Lock()
	e, ok := p.view[name]
	if !ok || e.m.Status != StatusDead {
		p.mu.Unlock()
		return
	}
	e.m.Status, e.m.Since = StatusLeft, p.now()
	m := e.m
	p.mu.Unlock()
	p.events.push(Event{Kind: EventLeft, Member: m, Prev: StatusDead})
}

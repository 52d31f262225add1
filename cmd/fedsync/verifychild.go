package main

import (
	"context"
	"fmt"
	"sort"

	"fedsync/area"
	"fedsync/client"
	"fedsync/storage"
)

// Results of comparing one origin (originComparison.Result) and verdicts
// of a whole comparison (replicaComparison.Verdict).
const (
	resultEqual        = "equal"
	resultParentBehind = "parent behind"
	resultDifferent    = "different"
)

// replicaComparison is the answer of `verify --child`, and its -o json form.
type replicaComparison struct {
	Parent     string             `json:"parent"` // API address
	ParentArea area.Code          `json:"parent_area"`
	Child      string             `json:"child"`
	ChildArea  area.Code          `json:"child_area"`
	Verdict    string             `json:"verdict"` // the worst result of any origin
	Origins    []originComparison `json:"origins"`
}

// originComparison compares what the parent and the child hold of one
// origin.
type originComparison struct {
	Origin    area.Code `json:"origin"`
	Name      string    `json:"name"`
	ChildSeq  uint64    `json:"child_seq"`
	ParentSeq uint64    `json:"parent_seq"`
	Result    string    `json:"result"`           // resultEqual, resultParentBehind or resultDifferent
	Behind    uint64    `json:"behind,omitempty"` // entries the parent lacks
	// Prefix is whether the parent's chain at its seq equals the child's
	// at that seq; nil when not checked.
	Prefix *bool `json:"consistent_prefix,omitempty"`
	// FirstDifference is the first seq whose chains differ; Exact is false
	// when a log no longer holds the entries needed to be sure (the first
	// difference is then at or before it).
	FirstDifference uint64 `json:"first_difference,omitempty"`
	Exact           bool   `json:"first_difference_exact,omitempty"`
	// RecordsEqual compares the record digests when the seqs are equal.
	RecordsEqual *bool  `json:"records_equal,omitempty"`
	Detail       string `json:"detail"`
}

// comparer reads the two sides of a comparison.
type comparer struct {
	parent, child *client.Client
}

// compareReplicas compares, for every origin inside the child's area, the
// parent's replica with the child's data.
func compareReplicas(ctx context.Context, parent, child *client.Client) (*replicaComparison, error) {
	cst, err := child.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("child at %s: %w", child.Addr(), err)
	}
	pst, err := parent.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("parent at %s: %w", parent.Addr(), err)
	}
	if pst.Area == cst.Area || !pst.Area.Contains(cst.Area) {
		return nil, usagef("the agent at --http-addr %s serves %s (%s), which is not above the child's area %s (%s): point --http-addr at the child's parent node",
			parent.Addr(), area.Name(pst.Area), pst.Area, area.Name(cst.Area), cst.Area)
	}
	cd, err := child.Digests(ctx, cst.Area)
	if err != nil {
		return nil, fmt.Errorf("digests of the child at %s: %w", child.Addr(), err)
	}
	pd, err := parent.Digests(ctx, cst.Area)
	if err != nil {
		return nil, fmt.Errorf("digests of the parent at %s: %w", parent.Addr(), err)
	}
	cmp := &comparer{parent: parent, child: child}
	out := &replicaComparison{Parent: parent.Addr(), ParentArea: pst.Area, Child: child.Addr(), ChildArea: cst.Area, Verdict: resultEqual}
	ps, cs := byOrigin(pd), byOrigin(cd)
	for _, o := range unionOrigins(ps, cs) {
		r, err := cmp.origin(ctx, o, ps[o], cs[o])
		if err != nil {
			return nil, err
		}
		out.Origins = append(out.Origins, r)
		out.Verdict = worse(out.Verdict, r.Result)
	}
	return out, nil
}

func byOrigin(ds []storage.OriginDigest) map[area.Code]*storage.OriginDigest {
	m := make(map[area.Code]*storage.OriginDigest, len(ds))
	for i := range ds {
		m[ds[i].Origin] = &ds[i]
	}
	return m
}

func unionOrigins(a, b map[area.Code]*storage.OriginDigest) []area.Code {
	var out []area.Code
	for o := range a {
		out = append(out, o)
	}
	for o := range b {
		if a[o] == nil {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// worse returns the worse of two results: different > parent behind > equal.
func worse(a, b string) string {
	rank := map[string]int{resultEqual: 0, resultParentBehind: 1, resultDifferent: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// origin compares one origin; p or c is nil when that side holds no log of it.
func (cmp *comparer) origin(ctx context.Context, o area.Code, p, c *storage.OriginDigest) (originComparison, error) {
	r := originComparison{Origin: o, Name: area.Name(o)}
	if p != nil {
		r.ParentSeq = p.Seq
	}
	if c != nil {
		r.ChildSeq = c.Seq
	}
	switch {
	case r.ChildSeq == 0:
		r.Result = resultDifferent
		r.Detail = fmt.Sprintf("the parent holds %s entries of an origin the child has no log of", thousands(int64(r.ParentSeq)))
		return r, nil
	case r.ParentSeq == 0:
		r.setBehind(true, "")
		return r, nil
	case p.Seq == c.Seq && p.Head == c.Head:
		r.setRecords(p, c)
		return r, nil
	case p.Seq < c.Seq:
		return cmp.parentBehind(ctx, r, p)
	case p.Seq > c.Seq:
		return cmp.parentAhead(ctx, r, c)
	}
	return cmp.diverged(ctx, r, p.Seq) // same seq, different chains
}

// setBehind records that the parent lacks the child's latest entries.
func (r *originComparison) setBehind(prefix bool, unchecked string) {
	r.Result, r.Behind = resultParentBehind, r.ChildSeq-r.ParentSeq
	r.Detail = fmt.Sprintf("by %s entries; ", thousands(int64(r.Behind)))
	if unchecked != "" {
		r.Detail += "prefix not checked: " + unchecked
		return
	}
	r.Prefix = &prefix
	r.Detail += "consistent prefix"
}

// setRecords compares the record digests of two equal chains.
func (r *originComparison) setRecords(p, c *storage.OriginDigest) {
	eq := p.Digest == c.Digest && p.Records == c.Records
	r.RecordsEqual = &eq
	if eq {
		r.Result, r.Detail = resultEqual, fmt.Sprintf("%s records", thousands(c.Records))
		return
	}
	r.Result = resultDifferent
	r.Detail = fmt.Sprintf("same chain, different records: the parent holds %s, the child %s; digests differ",
		thousands(p.Records), thousands(c.Records))
}

// parentBehind checks that the parent's head is the child's chain at the
// parent's seq.
func (cmp *comparer) parentBehind(ctx context.Context, r originComparison, p *storage.OriginDigest) (originComparison, error) {
	h, err := cmp.child.ChainAt(ctx, r.Origin, p.Seq)
	switch {
	case client.IsNotFound(err):
		r.setBehind(false, fmt.Sprintf("the child's log no longer holds entry %d", p.Seq))
		return r, nil
	case err != nil:
		return r, fmt.Errorf("chain of %s at %d on the child: %w", r.Origin, p.Seq, err)
	case h == p.Head:
		r.setBehind(true, "")
		return r, nil
	}
	return cmp.diverged(ctx, r, p.Seq)
}

// parentAhead handles a parent that holds more of an origin than the child.
func (cmp *comparer) parentAhead(ctx context.Context, r originComparison, c *storage.OriginDigest) (originComparison, error) {
	h, err := cmp.parent.ChainAt(ctx, r.Origin, c.Seq)
	if err != nil && !client.IsNotFound(err) {
		return r, fmt.Errorf("chain of %s at %d on the parent: %w", r.Origin, c.Seq, err)
	}
	if err == nil && h != c.Head {
		return cmp.diverged(ctx, r, c.Seq)
	}
	r.Result = resultDifferent
	r.Detail = fmt.Sprintf("the parent holds %s entries the child lacks (was the child's store restored from an old copy?)",
		thousands(int64(r.ParentSeq-r.ChildSeq)))
	return r, nil
}

// diverged finds the first seq at which the chains differ, knowing that
// they differ at hi.
func (cmp *comparer) diverged(ctx context.Context, r originComparison, hi uint64) (originComparison, error) {
	first, exact, err := cmp.firstDifference(ctx, r.Origin, hi)
	if err != nil {
		return r, err
	}
	r.Result, r.FirstDifference, r.Exact = resultDifferent, first, exact
	r.Detail = fmt.Sprintf("chains differ from entry %d on", first)
	if !exact {
		r.Detail = fmt.Sprintf("chains differ at entry %d, maybe earlier (a log no longer holds the entries before it)", first)
	} else if first > 1 {
		r.Detail += fmt.Sprintf(" (entries 1–%d agree)", first-1)
	}
	return r, nil
}

// firstDifference binary-searches [1, hi] for the first seq whose chain
// hashes differ. A hash chain that differs once differs ever after, so the
// search is sound. exact is false when a log lacks an entry needed to tell.
func (cmp *comparer) firstDifference(ctx context.Context, o area.Code, hi uint64) (first uint64, exact bool, err error) {
	lo, lastSame := uint64(1), uint64(0)
	for lo < hi {
		mid := lo + (hi-lo)/2
		same, known, err := cmp.sameAt(ctx, o, mid)
		if err != nil {
			return 0, false, err
		}
		switch {
		case same && known:
			lo, lastSame = mid+1, mid
		case known:
			hi = mid
		default: // pruned on one side: look later
			lo = mid + 1
		}
	}
	return hi, hi == 1 || lastSame == hi-1, nil
}

// sameAt compares both chains at seq; known is false when a side's log no
// longer holds the entry.
func (cmp *comparer) sameAt(ctx context.Context, o area.Code, seq uint64) (same, known bool, err error) {
	ph, err := cmp.parent.ChainAt(ctx, o, seq)
	if client.IsNotFound(err) {
		return false, false, nil
	} else if err != nil {
		return false, false, fmt.Errorf("chain of %s at %d on the parent: %w", o, seq, err)
	}
	ch, err := cmp.child.ChainAt(ctx, o, seq)
	if client.IsNotFound(err) {
		return false, false, nil
	} else if err != nil {
		return false, false, fmt.Errorf("chain of %s at %d on the child: %w", o, seq, err)
	}
	return ph == ch, true, nil
}

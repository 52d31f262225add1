package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/sender"
)

// printUpstream renders the state of the link to the parent node.
func printUpstream(p *printer, up *sender.Status, all bool, now time.Time) {
	if up.Parent == "" {
		p.printf("\nUpstream: the parent has not welcomed this node yet\n")
	} else {
		p.printf("\nUpstream: %s (%s)%s%s\n", up.ParentName, up.Parent, peer(up.Peer), bypassNote(up))
	}
	t := newTable()
	t.indent = "  "
	t.add("connected", yesNo(up.Connected))
	t.add("last success", whenAgo(up.LastSuccess, now))
	lastErr := "–"
	if up.LastError != "" {
		lastErr = fmt.Sprintf("%s (%s)", up.LastError, ago(up.LastErrorAt, now))
	}
	t.add("last error", lastErr)
	tot := up.Totals
	backlog := "none: the parent has acknowledged every entry"
	if tot.Backlog > 0 {
		backlog = fmt.Sprintf("%s entries, %s, from %d origin(s)", thousands(int64(tot.Backlog)), fmtBytes(tot.BacklogBytes), backlogged(up))
	}
	t.add("backlog", backlog)
	if !tot.Oldest.IsZero() {
		t.add("oldest unsent", fmt.Sprintf("%s old (written %s)", fmtAge(time.Duration(tot.AgeSeconds*float64(time.Second))), fmtTime(tot.Oldest)))
	}
	p.table(t)
	printUpstreamOrigins(p, up, all)
}

func peer(server string) string {
	if server == "" {
		return ""
	}
	return ", server " + server
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// whenAgo renders "2026-11-26 19:06:02 (3s ago)", or "never".
func whenAgo(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s)", fmtTime(t), ago(t, now))
}

// backlogged counts the origins with entries the parent lacks.
func backlogged(up *sender.Status) int {
	n := 0
	for _, o := range up.Origins {
		if o.Backlog > 0 {
			n++
		}
	}
	return n
}

// printUpstreamOrigins lists the origins with a backlog (every origin when
// all), and the refusals that hold an origin back.
func printUpstreamOrigins(p *printer, up *sender.Status, all bool) {
	t := newTable("ORIGIN", "CODE", "LOCAL", "ACKED", "BACKLOG", "BYTES", "OLDEST", "NOTE").alignRight(2, 3, 4, 5, 6)
	t.indent = "  "
	for _, o := range up.Origins {
		if o.Backlog == 0 && !all {
			continue
		}
		age := "–"
		if !o.Oldest.IsZero() {
			age = fmtAge(time.Duration(o.AgeSeconds * float64(time.Second)))
		}
		t.add(area.Name(o.Origin), string(o.Origin), thousands(int64(o.Local)), thousands(int64(o.Acked)),
			thousands(int64(o.Backlog)), fmtBytes(o.BacklogBytes), age, originNote(o))
	}
	if t.len() == 1 {
		if len(up.Origins) > 0 {
			p.printf("  (%d origin(s), all acknowledged: --all lists them)\n", len(up.Origins))
		}
		return
	}
	p.printf("\n")
	p.table(t)
}

// originNote says why an origin is held back.
func originNote(o sender.OriginStatus) string {
	var parts []string
	if o.Refusals > 0 {
		parts = append(parts, fmt.Sprintf("%d refused, last: %s", o.Refusals, o.LastRefusal))
	}
	if !o.HeldUntil.IsZero() {
		parts = append(parts, "held until "+fmtTime(o.HeldUntil))
	}
	return strings.Join(parts, "; ")
}

// printChildren lists the watermarks of every origin below the node and
// warns of the stale ones.
func printChildren(p *printer, st *api.Status, now time.Time) {
	var wms []storage.Watermark
	for _, w := range st.Watermarks {
		if w.Origin != st.Area {
			wms = append(wms, w)
		}
	}
	if len(wms) == 0 {
		p.printf("\nChildren: no node below has sent anything yet\n")
		return
	}
	sort.Slice(wms, func(i, j int) bool { return wms[i].Origin < wms[j].Origin })
	p.printf("\nChildren: the origins below this node, as applied here\n")
	t := newTable("ORIGIN", "CODE", "SEQ", "ORIGIN TIME", "HEARD FROM", "PATH").alignRight(2)
	t.indent = "  "
	for _, w := range wms {
		t.add(area.Name(w.Origin), string(w.Origin), thousands(int64(w.Seq)), fmtNanos(w.Time), nanosAgo(w.HeardFrom, now),
			deliveryPath(w.Via, w.Via != "" && w.Via.Level() > st.Area.Level()+1))
	}
	p.table(t)
	limit := "the node's stale_after"
	if st.StaleAfter != "" {
		limit = "stale_after " + st.StaleAfter
	}
	for _, w := range st.Stale {
		p.printf("warning: no news from %s (%s) for %s (longer than %s): run `fedsync status` at its node\n",
			area.Name(w.Origin), w.Origin, fmtAge(now.Sub(time.Unix(0, w.HeardFrom))), limit)
	}
}

func nanosAgo(ns int64, now time.Time) string {
	if ns == 0 {
		return "–"
	}
	return ago(time.Unix(0, ns), now)
}

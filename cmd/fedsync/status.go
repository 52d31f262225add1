package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"fedsync/api"
	"fedsync/registry"
	"fedsync/storage"
)

func newStatusCmd(a *app) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show the agent's identity, raft state, records and sync state",
		GroupID: "reports",
		Long: `Show what the agent at --http-addr is: its area and server name, version,
raft state and leader, its data directory, how many records of each kind it
holds, and the head of its own change log. Then, when the node has a parent:

  Upstream   the parent node (area, name, the server this one talks to),
             whether the link is up, the last batch the parent acknowledged,
             the last error, and the backlog: entries and bytes the parent
             has not acknowledged yet and the age of the oldest of them; then
             each origin with a backlog (--all: every origin) with its local
             seq, the seq the parent acknowledged and the backlog.

and when it has children (a county, city or the province):

  Children   every origin below it whose log it holds: the seq applied
             here, when the origin wrote that entry, and when this node last
             heard from it; a warning for each origin not heard from within
             the node's stale_after (default 15m).

A backlog that keeps growing, or a stale child, means a sync link is down:
run ` + "`fedsync status`" + ` at the node below to see its last error.`,
		Example: `  fedsync status
  fedsync status --http-addr 10.0.3.7:8700 --all
  fedsync status -o json | jq .upstream.totals`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return fmt.Errorf("status: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, st)
			}
			return printStatus(a, st, all, time.Now())
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list every origin under Upstream, not only those with a backlog")
	return cmd
}

func printStatus(a *app, st *api.Status, all bool, now time.Time) error {
	p := &printer{w: a.stdout}
	t := newTable()
	t.add("area", areaLabel(string(st.Area)))
	t.add("level", st.Level)
	t.add("server", st.Server)
	t.add("version", st.Version)
	t.add("raft", fmt.Sprintf("%s (leader %s)", st.RaftState, st.Leader))
	addRaftRows(t, st.Raft)
	t.add("started", fmtTime(st.Started))
	t.add("data dir", st.DataDir)
	if st.SyncAddr != "" && st.Level != "street" {
		t.add("sync addr", st.SyncAddr+" (children connect here)")
	}
	for _, k := range registry.Kinds {
		if n, ok := st.Records[string(k)]; ok {
			t.add("records "+string(k), thousands(n))
		}
	}
	if own, ok := ownWatermark(st); ok {
		t.add("own log", fmt.Sprintf("seq %s, last entry %s", thousands(int64(own.Seq)), fmtNanos(own.Time)))
	}
	p.table(t)
	if st.Upstream != nil {
		printUpstream(p, st.Upstream, all, now)
	}
	if st.Level != "" && st.Level != "street" {
		printChildren(p, st, now)
	}
	return p.err
}

// ownWatermark returns the watermark of the node's own origin.
func ownWatermark(st *api.Status) (storage.Watermark, bool) {
	for _, w := range st.Watermarks {
		if w.Origin == st.Area {
			return w, true
		}
	}
	return storage.Watermark{}, false
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func fmtNanos(ns int64) string {
	if ns == 0 {
		return "–"
	}
	return fmtTime(time.Unix(0, ns))
}

// fmtAge renders a duration as an operator reads it: 4s, 27m, 3h05m, 2d4h.
func fmtAge(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

// ago renders "27m ago", or "–" for a zero time.
func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return fmtAge(now.Sub(t)) + " ago"
}

// fmtBytes renders a byte count: 512 B, 34.5 KiB, 2.1 MiB.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}

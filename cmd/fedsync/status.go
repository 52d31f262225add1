package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"fedsync/api"
	"fedsync/registry"
	"fedsync/storage"
)

func newStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "status",
		Short:   "Show the agent's identity, raft state, records and log heads",
		GroupID: "reports",
		Long: `Show what the agent at --http-addr is: its area and server name, version,
raft state and leader, its data directory, how many records of each kind it
holds, and for every origin whose log it holds (its own and, at a higher
level, every node below) the highest sequence number applied, the time of
that entry and when the origin was last heard from.`,
		Example: `  fedsync status
  fedsync status --http-addr 10.0.3.7:8700 -o json`,
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
			return printStatus(a, st)
		},
	}
}

func printStatus(a *app, st *api.Status) error {
	t := newTable()
	t.add("area", areaLabel(string(st.Area)))
	t.add("level", st.Level)
	t.add("server", st.Server)
	t.add("version", st.Version)
	t.add("raft", fmt.Sprintf("%s (leader %s)", st.RaftState, st.Leader))
	t.add("started", fmtTime(st.Started))
	t.add("data dir", st.DataDir)
	for _, k := range registry.Kinds {
		if n, ok := st.Records[string(k)]; ok {
			t.add("records "+string(k), thousands(n))
		}
	}
	if err := t.write(a.stdout); err != nil {
		return err
	}
	if len(st.Watermarks) == 0 {
		return nil
	}
	fmt.Fprintln(a.stdout)
	wms := append([]storage.Watermark(nil), st.Watermarks...)
	sort.Slice(wms, func(i, j int) bool { return wms[i].Origin < wms[j].Origin })
	w := newTable("ORIGIN", "SEQ", "ENTRY TIME", "LAST HEARD").alignRight(1)
	for _, m := range wms {
		w.add(areaLabel(string(m.Origin)), fmt.Sprint(m.Seq), fmtNanos(m.Time), fmtNanos(m.HeardFrom))
	}
	return w.write(a.stdout)
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

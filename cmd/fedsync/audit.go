package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/storage"
)

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "audit",
		Short:   "The audit trail: who wrote what, from where",
		GroupID: "reports",
		Long: `Every write accepted through the API is attributed, in the same raft entry
as the data, by an audit entry in the origin's change log: the token's
accessor, description, role and area, the client's address, the time, the
route and the seqs written. Audit entries replicate upward with the data and
are covered by the hash chain, so a county or city reads the trail of every
street below it.`,
		Example: "  fedsync audit list\n  fedsync audit list --origin 210102001000 -o json",
	}
	cmd.AddCommand(newAuditListCmd(a))
	return cmd
}

func newAuditListCmd(a *app) *cobra.Command {
	var origin string
	var limit int
	var after string
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List audit entries of the origins inside an area",
		Example: "  fedsync audit list --origin 210102001000\n  fedsync audit list --limit 50 --after CURSOR",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var code area.Code
			if origin != "" {
				c, err := area.Parse(origin)
				if err != nil {
					return usagef("--origin: %v", err)
				}
				code = c
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			page, err := c.Audit(cmd.Context(), code, after, limit)
			if err != nil {
				return fmt.Errorf("audit list: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, page)
			}
			return a.printAudit(page)
		},
	}
	f := cmd.Flags()
	f.StringVar(&origin, "origin", "", "origins inside this area `CODE` (default: your token's area)")
	f.IntVar(&limit, "limit", 0, "entries per page (default 100)")
	f.StringVar(&after, "after", "", "continue after this cursor (printed under a full page)")
	return cmd
}

func (a *app) printAudit(page *storage.AuditPage) error {
	t := newTable("ORIGIN", "SEQ", "TIME", "SEQS", "ACCESSOR", "ROLE", "TOKEN AREA", "REMOTE", "ROUTE", "NAME")
	for _, e := range page.Items {
		t.add(string(e.Origin), fmt.Sprint(e.Seq), e.Time.Local().Format("2006-01-02 15:04:05"), fmt.Sprintf("%d-%d", e.First, e.Last),
			e.Accessor, string(e.Role), string(e.TokenArea), e.Remote, e.Route, e.Name)
	}
	if err := t.write(a.stdout); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(a.stdout, "more: --after %s\n", page.Next)
	}
	return nil
}

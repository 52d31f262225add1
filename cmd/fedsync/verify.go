package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"fedsync/storage"
)

func newVerifyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "verify",
		Short:   "Check the agent's store: rollups against records, log hash chains",
		GroupID: "reports",
		Long: `Ask the agent to check its store's invariants: every rollup counter equals
the total recomputed from the stored records, and every origin's change log
forms an unbroken SHA-256 hash chain. It prints what was checked and each
problem found.

Exit code 0 when the store is consistent, 2 when differences were found,
1 when the check could not run.`,
		Example: `  fedsync verify
  fedsync verify -o json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			rep, err := c.Verify(cmd.Context())
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			if a.json() {
				err = printJSON(a.stdout, rep)
			} else {
				err = printVerify(a, rep)
			}
			if err == nil && !rep.OK {
				return partial("verify found %d problem(s)", len(rep.Problems))
			}
			return err
		},
	}
}

func printVerify(a *app, rep *storage.VerifyReport) error {
	verdict := "OK: the store is consistent"
	if !rep.OK {
		verdict = "PROBLEMS FOUND"
	}
	fmt.Fprintf(a.stdout, "%s\nchecked %s records, %s log entries, %s counters\n\n",
		verdict, thousands(rep.Records), thousands(rep.Entries), thousands(rep.Counters))
	t := newTable("ORIGIN", "FIRST", "LAST", "CHAIN", "HEAD").alignRight(1, 2)
	for _, o := range rep.Origins {
		head := o.Head
		if len(head) > 16 {
			head = head[:16] + "…"
		}
		t.add(areaLabel(string(o.Origin)), fmt.Sprint(o.First), fmt.Sprint(o.Last), check(o.ChainOK), head)
	}
	if err := t.write(a.stdout); err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(a.stdout, "problem: %s\n", p)
	}
	return nil
}

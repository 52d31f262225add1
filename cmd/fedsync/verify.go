package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/storage"
)

func newVerifyCmd(a *app) *cobra.Command {
	var child string
	cmd := &cobra.Command{
		Use:     "verify [--child ADDR]",
		Short:   "Check the agent's store, or compare its replica with a child's data",
		GroupID: "reports",
		Long: `Ask the agent to check its store's invariants: every rollup counter equals
the total recomputed from the stored records, and every origin's change log
forms an unbroken SHA-256 hash chain. It prints what was checked and each
problem found.

With --child ADDR, compare instead the agent at --http-addr (the parent)
with the agent of one of its child nodes at ADDR: for every origin inside
the child's area (the child's own records and everything it holds from
below), both sides' watermark, chain hash and record digest. Each origin is
  equal          same seq, same chain, same records;
  parent behind  the parent lacks the child's latest entries, but what it
                 holds is a prefix of the child's log (the chains agree at
                 the parent's seq): sync has not caught up yet;
  different      the chains disagree: the first differing entry is found by
                 binary search over both logs; or the same chain holds
                 different records; or the parent holds entries the child
                 lacks.

Exit code 0 when the store is consistent (with --child: every origin equal
or the parent only behind), 2 when differences were found, 1 when the check
could not run.`,
		Example: `  fedsync verify
  fedsync verify -o json
  fedsync verify --http-addr 10.0.3.7:8700 --child 10.0.5.20:8700`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if child != "" {
				return a.verifyChild(cmd.Context(), child)
			}
			return a.verifyStore(cmd)
		},
	}
	cmd.Flags().StringVar(&child, "child", "", "API `ADDR` of a child node's agent: compare this agent's replica with it")
	cmd.Flags().StringVar(&a.auth.childTokenFile, "child-token-file", "", "read the token for the child's agent from `FILE` (tokens are per node; env "+envChildToken+")")
	return cmd
}

func (a *app) verifyStore(cmd *cobra.Command) error {
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

// verifyChild compares the replica of the agent at --http-addr with the
// child's agent at addr.
func (a *app) verifyChild(ctx context.Context, addr string) error {
	parent, err := a.client()
	if err != nil {
		return err
	}
	secret, err := a.childTokenSecret()
	if err != nil {
		return err
	}
	child, err := a.clientAt(addr, secret)
	if err != nil {
		return usagef("--child: %v", err)
	}
	cmp, err := compareReplicas(ctx, parent, child)
	if err != nil {
		return fmt.Errorf("verify --child: %w", err)
	}
	if a.json() {
		err = printJSON(a.stdout, cmp)
	} else {
		err = printComparison(a.stdout, cmp)
	}
	if err == nil && cmp.Verdict == resultDifferent {
		return partial("verify --child: the parent's replica differs from the child's data in %d origin(s)", cmp.count(resultDifferent))
	}
	return err
}

// count returns how many origins have the result.
func (c *replicaComparison) count(result string) int {
	n := 0
	for _, o := range c.Origins {
		if o.Result == result {
			n++
		}
	}
	return n
}

func printComparison(w io.Writer, c *replicaComparison) error {
	p := &printer{w: w}
	p.printf("parent  %s (%s) at %s\nchild   %s (%s) at %s\n\n",
		area.Name(c.ParentArea), c.ParentArea, c.Parent, area.Name(c.ChildArea), c.ChildArea, c.Child)
	t := newTable("ORIGIN", "CODE", "CHILD SEQ", "PARENT SEQ", "RESULT", "DETAIL").alignRight(2, 3)
	for _, o := range c.Origins {
		t.add(o.Name, string(o.Origin), seqOrDash(o.ChildSeq), seqOrDash(o.ParentSeq), o.Result, o.Detail)
	}
	if len(c.Origins) > 0 {
		p.table(t)
		p.printf("\n")
	}
	switch c.Verdict {
	case resultEqual:
		p.printf("OK: the parent's replica equals the child's data (%d origin(s)).\n", len(c.Origins))
	case resultParentBehind:
		p.printf("OK so far: the parent is behind in %d origin(s), but what it holds is a consistent prefix of the child's log.\n"+
			"The parent is behind; run again after sync catches up (`fedsync status --http-addr %s` shows the child's backlog).\n",
			c.count(resultParentBehind), c.Child)
	default:
		p.printf("DIFFERENCES FOUND in %d origin(s): the parent's replica is not a copy of the child's data.\n", c.count(resultDifferent))
	}
	return p.err
}

// seqOrDash renders a seq, or – for a side that holds no log of the origin.
func seqOrDash(seq uint64) string {
	if seq == 0 {
		return "–"
	}
	return thousands(int64(seq))
}

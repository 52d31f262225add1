package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/node"
)

// runStreetDemo is `fedsync demo --street CODE`: one street node with its
// generated roster, serving at --http-addr.
func (a *app) runStreetDemo(cmd *cobra.Command, f demoFlags) error {
	code, err := nodeArea(f.street)
	if err != nil || code.Level() != area.LevelStreet {
		return usagef("--street %s: want the code of a street or township in the division data (%v)", f.street, err)
	}
	ctx := cmd.Context()
	dir, cleanup, err := a.demoDir(f)
	if err != nil {
		return err
	}
	defer cleanup()
	pki, err := demoPKI(dir)
	if err != nil {
		return err
	}
	cfg, err := demoConfig(pki, code, dir, hostPort(a.httpAddr), nil)
	if err != nil {
		return err
	}
	node.Version = version
	n, err := startNode(ctx, cfg, a.demoLogger(f, code))
	if err != nil {
		return err
	}
	defer n.Stop()
	c, tokenFile, err := demoClient(ctx, n.HTTPURL(), cfg.DataDir, demoCA(pki))
	if err != nil {
		return err
	}
	ros := gen.Street(code, f.seed, gen.Options{})
	bar := newProgress(a.stderr, ros.Len(), "writing sample roster", "records", f.quiet)
	refused, err := a.writeRoster(ctx, c, &ros, bar)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Wrote %d sample records (%d refused) for %s.\n\n", ros.Len()-refused, refused, area.Name(code))
	s, err := c.Summary(ctx, code, demoYear(f.year))
	if err != nil {
		return fmt.Errorf("demo: report: %w", err)
	}
	if err := renderReport(a.stdout, s); err != nil {
		return err
	}
	a.tlsNote(pki)
	a.streetHints(n.HTTPAddr(), pki.CAFile, code, cfg.DataDir, tokenFile, f.exit)
	if !f.exit {
		<-ctx.Done()
		fmt.Fprintln(a.stdout, "\nstopping")
	}
	return n.Stop()
}

func (a *app) streetHints(addr, caFile string, code area.Code, dir, tokenFile string, exit bool) {
	fmt.Fprintf(a.stdout, `
The demo agent for %s is serving the API at https://%s (data in %s).
Its admin token (from fedsync acl bootstrap) is in %s.
Try, in another terminal:
  export FEDSYNC_HTTP_ADDR=%s FEDSYNC_CA_FILE=%s
  export FEDSYNC_TOKEN=$(cat %s)
  fedsync report --area %s
  fedsync org list --limit 10
  fedsync org list --where category=文体活动类 -o json
  fedsync export --kind org -f orgs.xlsx --labels
  fedsync audit list --limit 5
  curl -s --cacert %s -H "Authorization: Bearer $FEDSYNC_TOKEN" https://%s/v1/status
  curl -s --cacert %s -H "Authorization: Bearer $FEDSYNC_TOKEN" 'https://%s/v1/areas/%s/summary'
`, area.Name(code), addr, dir, tokenFile, addr, caFile, tokenFile, code, caFile, addr, caFile, addr, code)
	if !exit {
		fmt.Fprintln(a.stdout, "Press Ctrl-C to stop.")
	}
}

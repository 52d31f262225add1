package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/client"
	"fedsync/gen"
	"fedsync/node"
	"fedsync/registry"
)

// demoStreet is the street `fedsync demo` runs by default: 浑河湾街道 of
// Shenyang's 和平区.
const demoStreet = "210102001000"

// demoFlags are the flags of `fedsync demo`.
type demoFlags struct {
	street  string
	dataDir string
	keep    bool
	seed    int64
	year    int
	exit    bool
	verbose bool
	quiet   bool
}

func newDemoCmd(a *app) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run a street's server with generated sample data",
		GroupID: "server",
		Long: `Start a complete street node in this process, on loopback: a data directory
(a temporary one unless --data-dir), the store, a one-server raft group and
the HTTP API. It then generates a realistic roster for the street's
communities (organizations, activities, projects, backbone talent; about a
quarter of the communities below target), writes it through the API in
batches, prints the street's report, and serves until Ctrl-C.

The API listens at --http-addr (default 127.0.0.1:8700; 127.0.0.1:0 takes
any free port). While it runs, every other command works against it: see the
examples it prints. The temporary data directory is removed on exit unless --keep.`,
		Example: `  fedsync demo
  fedsync demo --street 210102002000 --seed 7 --http-addr 127.0.0.1:9700
  fedsync demo --data-dir ./demo --keep
  fedsync demo --exit --http-addr 127.0.0.1:0`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.street, "street", demoStreet, "12-digit `CODE` of the street or township")
	fl.StringVar(&f.dataDir, "data-dir", "", "data `DIR` (default: a new temporary directory)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary data directory on exit")
	fl.Int64Var(&f.seed, "seed", 1, "roster generator `SEED`: the same seed gives the same roster")
	fl.IntVar(&f.year, "year", 0, "report `YEAR` (default: the current year, at most the roster's last year)")
	fl.BoolVar(&f.exit, "exit", false, "exit after printing the report instead of serving")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the server's info messages")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

func (a *app) runDemo(cmd *cobra.Command, f demoFlags) error {
	code, err := nodeArea(f.street)
	if err != nil || code.Level() != area.LevelStreet {
		return usagef("--street %s: want the code of a street or township in the division data (%v)", f.street, err)
	}
	ctx := cmd.Context()
	cfg, cleanup, err := demoConfig(code, f, hostPort(a.httpAddr))
	if err != nil {
		return err
	}
	defer cleanup(a)
	level := "error"
	if f.verbose {
		level = "info"
	}
	node.Version = version
	n, err := startNode(ctx, cfg, newLogger(a.stderr, level))
	if err != nil {
		return err
	}
	defer n.Stop()
	c, err := client.New(n.HTTPAddr(), client.WithUserAgent("fedsync-demo/"+version))
	if err != nil {
		return err
	}
	ros := gen.Street(code, f.seed, gen.Options{})
	if err := a.writeRoster(ctx, c, &ros, f.quiet); err != nil {
		return err
	}
	if err := a.printDemoReport(ctx, c, code, demoYear(f.year)); err != nil {
		return err
	}
	a.demoHints(n.HTTPAddr(), code, cfg.DataDir, f.exit)
	if !f.exit {
		<-ctx.Done()
		fmt.Fprintln(a.stdout, "\nstopping")
	}
	return n.Stop()
}

// demoConfig prepares the data directory and configuration; cleanup
// removes a temporary directory unless --keep.
func demoConfig(code area.Code, f demoFlags, httpAddr string) (node.Config, func(*app), error) {
	cleanup := func(*app) {}
	dir := f.dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "fedsync-demo-")
		if err != nil {
			return node.Config{}, cleanup, fmt.Errorf("demo data dir: %w", err)
		}
		dir = tmp
		cleanup = func(a *app) {
			if f.keep {
				fmt.Fprintf(a.stdout, "data kept in %s\n", tmp)
				return
			}
			os.RemoveAll(tmp)
		}
	}
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	if _, err := existingConfig(cfgPath, code); err != nil {
		return node.Config{}, cleanup, err
	}
	cfg := node.DefaultConfig()
	cfg.Area, cfg.DataDir, cfg.Name = code, dir, string(code)+"-demo"
	cfg.HTTPAddr, cfg.RaftAddr = httpAddr, "127.0.0.1:0"
	cfg.UnsafeNoSync = true // a demo: speed over durability
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return cfg, cleanup, fmt.Errorf("demo data dir: %w", err)
	}
	if _, err := os.Stat(cfgPath); err != nil {
		if err := node.WriteConfig(cfgPath, cfg); err != nil {
			return cfg, cleanup, err
		}
	}
	return cfg, cleanup, nil
}

// demoYear is the year the demo reports: the current year, at most the
// last year the generator fills.
func demoYear(year int) int {
	if year != 0 {
		return year
	}
	return min(time.Now().Year(), gen.DefaultOptions().Years[1])
}

// writeRoster sends the roster through the batch endpoint, kind by kind
// (organizations before what refers to them).
func (a *app) writeRoster(ctx context.Context, c *client.Client, ros *gen.Roster, quiet bool) error {
	bar := newProgress(a.stderr, ros.Len(), "writing sample roster", "records", quiet)
	defer bar.Finish()
	var refused int
	for _, part := range rosterParts(ros) {
		for i := 0; i < len(part.recs); i += client.MaxBatch {
			chunk := part.recs[i:min(i+client.MaxBatch, len(part.recs))]
			res, err := c.Batch(ctx, part.kind, client.ModeUpsert, chunk)
			if err != nil {
				return fmt.Errorf("demo: write %s records: %w", part.kind, err)
			}
			for _, r := range res {
				if r.Status == client.StatusError {
					refused++
					fmt.Fprintf(a.stderr, "demo: %s %s refused: %v\n", part.kind, r.ID, r.Error)
				}
			}
			_ = bar.Add(len(chunk))
		}
	}
	_ = bar.Finish()
	fmt.Fprintf(a.stdout, "Wrote %d sample records (%d refused) for %s.\n\n", ros.Len()-refused, refused, area.Name(ros.Street))
	return nil
}

type rosterPart struct {
	kind registry.Kind
	recs []json.RawMessage
}

func rosterParts(ros *gen.Roster) []rosterPart {
	return []rosterPart{
		{registry.KindCommunity, encodeAll(ros.Communities)},
		{registry.KindOrg, encodeAll(ros.Orgs)},
		{registry.KindActivity, encodeAll(ros.Activities)},
		{registry.KindProject, encodeAll(ros.Projects)},
		{registry.KindTalent, encodeAll(ros.Talents)},
	}
}

// encodeAll encodes generated records; they are valid by construction.
func encodeAll[R registry.Record](recs []R) []json.RawMessage {
	out := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		body, err := registry.Encode(r)
		if err != nil {
			panic(err)
		}
		out[i] = body
	}
	return out
}

func (a *app) printDemoReport(ctx context.Context, c *client.Client, code area.Code, year int) error {
	s, err := c.Summary(ctx, code, year)
	if err != nil {
		return fmt.Errorf("demo: report: %w", err)
	}
	return renderReport(a.stdout, s)
}

func (a *app) demoHints(addr string, code area.Code, dir string, exit bool) {
	fmt.Fprintf(a.stdout, `
The demo agent for %s is serving the API at http://%s (data in %s).
Try, in another terminal:
  export FEDSYNC_HTTP_ADDR=%s
  fedsync report --area %s
  fedsync org list --limit 10
  fedsync org list --where category=文体活动类 -o json
  fedsync export --kind org -f orgs.xlsx --labels
  curl -s http://%s/v1/status
  curl -s 'http://%s/v1/areas/%s/summary'
`, area.Name(code), addr, dir, addr, code, addr, addr, code)
	if !exit {
		fmt.Fprintln(a.stdout, "Press Ctrl-C to stop.")
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/client"
	"fedsync/gen"
	"fedsync/node"
	"fedsync/registry"
	"fedsync/tlsutil"
)

// demoCity is the city `fedsync demo` federates by default: 沈阳市.
const demoCity = "210100000000"

// demoFlags are the flags of `fedsync demo`.
type demoFlags struct {
	city    string
	street  string
	dataDir string
	keep    bool
	seed    int64
	year    int
	timeout time.Duration
	exit    bool
	verbose bool
	quiet   bool
}

const demoLong = `Start a mini-federation in this process, on loopback: a city of Liaoning
(--city, default 沈阳市), two of its counties (the first two, in code order,
with at least two streets) and two streets of each: seven nodes, each with
its own data directory, store, one-server raft group, HTTP API and sync
link, each child sending its change log to its parent's sync address.

It generates a realistic roster for every street (organizations,
activities, projects, backbone talent; about a quarter of the communities
below target), writes it through each street's API in batches, waits until
the city's replica holds every street's entries, and prints the city's
report, how fresh the city's data is for each street, the nodes with their
addresses, and commands to try. Then it serves until Ctrl-C and stops the
nodes from the streets up.

The city's API listens at --http-addr (default 127.0.0.1:8700; 127.0.0.1:0
takes any free port), so every other command works against the city as it
is; the other nodes take free ports. Data lives in a temporary directory,
removed on exit unless --keep, or in --data-dir (one directory per node).

--street CODE runs the earlier, smaller demo instead: one street node with
its roster, serving at --http-addr.`

func newDemoCmd(a *app) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run a mini-federation (a city, two counties, four streets) with sample data",
		GroupID: "server",
		Long:    demoLong,
		Example: `  fedsync demo
  fedsync demo --city 210200000000 --seed 7
  fedsync demo --data-dir ./demo --keep
  fedsync demo --exit --http-addr 127.0.0.1:0
  fedsync demo --street 210102002000 --http-addr 127.0.0.1:9700`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.stderr = &lockedWriter{w: a.stderr} // the nodes and the writers share it
			if f.street != "" {
				if cmd.Flags().Changed("city") {
					return usagef("--street runs a single street, --city a federation: give one of them")
				}
				return a.runStreetDemo(cmd, f)
			}
			return a.runFederationDemo(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.city, "city", demoCity, "12-digit `CODE` of the city to federate")
	fl.StringVar(&f.street, "street", "", "run a single street node instead: 12-digit `CODE` of the street or township")
	fl.StringVar(&f.dataDir, "data-dir", "", "data `DIR` (default: a new temporary directory)")
	fl.BoolVar(&f.keep, "keep", false, "keep the temporary data directory on exit")
	fl.Int64Var(&f.seed, "seed", 1, "roster generator `SEED`: the same seed gives the same rosters")
	fl.IntVar(&f.year, "year", 0, "report `YEAR` (default: the current year, at most the roster's last year)")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "`DURATION` to wait at most for the city to hold every street's entries")
	fl.BoolVar(&f.exit, "exit", false, "exit after printing the report instead of serving")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log the servers' info messages")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	return cmd
}

// demoDir returns the demo's data directory and a cleanup that removes a
// temporary one unless --keep.
func (a *app) demoDir(f demoFlags) (string, func(), error) {
	if f.dataDir != "" {
		return f.dataDir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "fedsync-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("demo data dir: %w", err)
	}
	return tmp, func() {
		if f.keep {
			fmt.Fprintf(a.stdout, "data kept in %s\n", tmp)
			return
		}
		os.RemoveAll(tmp)
	}, nil
}

// demoConfig prepares a node's data directory and configuration, writing
// the config to DIR/fedsync.toml (replacing the one an earlier demo left).
func demoConfig(p *tlsutil.DevPKI, code area.Code, dir, httpAddr string, parent []string) (node.Config, error) {
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	if _, err := existingConfig(cfgPath, code); err != nil {
		return node.Config{}, err
	}
	cfg := node.DefaultConfig()
	cfg.Area, cfg.DataDir, cfg.Name = code, dir, string(code)+"-demo"
	cfg.HTTPAddr, cfg.RaftAddr, cfg.SyncAddr, cfg.Parent = httpAddr, "127.0.0.1:0", "127.0.0.1:0", parent
	cfg.UnsafeNoSync = true         // a demo: speed over durability
	cfg.Privacy.UnsafeDevKey = true // generated residents: the public development hash key
	// One voter on loopback: a short election timeout costs nothing and
	// starts each node in a fraction of a second.
	cfg.RaftTimeout = node.Duration{Duration: 100 * time.Millisecond}
	var err error
	if cfg.TLS, err = demoTLS(p, code, cfg.Name); err != nil {
		return cfg, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return cfg, fmt.Errorf("demo data dir: %w", err)
	}
	if err := os.Remove(cfgPath); err != nil && !os.IsNotExist(err) {
		return cfg, fmt.Errorf("demo config: %w", err)
	}
	return cfg, node.WriteConfig(cfgPath, cfg)
}

// demoLogger logs a demo server's errors, or its info messages with -v.
func (a *app) demoLogger(f demoFlags, code area.Code) *slog.Logger {
	level := "error"
	if f.verbose {
		level = "info"
	}
	return newLogger(a.stderr, level).With("node", area.Name(code))
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
// (organizations before what refers to them), and returns how many
// records were refused.
func (a *app) writeRoster(ctx context.Context, c *client.Client, ros *gen.Roster, bar *progressbar.ProgressBar) (int, error) {
	var refused int
	for _, part := range rosterParts(ros) {
		for i := 0; i < len(part.recs); i += client.MaxBatch {
			chunk := part.recs[i:min(i+client.MaxBatch, len(part.recs))]
			res, err := c.Batch(ctx, part.kind, client.ModeUpsert, chunk)
			if err != nil {
				return refused, fmt.Errorf("demo: write %s records of %s: %w", part.kind, area.Name(ros.Street), err)
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
	return refused, nil
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

// lockedWriter serializes writes from several goroutines (the demo's
// nodes' loggers, its roster writers) to one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

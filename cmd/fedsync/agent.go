package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/node"
)

func newAgentCmd(a *app) *cobra.Command {
	var cfgPath, logLevel string
	cmd := &cobra.Command{
		Use:     "agent -config FILE",
		Short:   "Run a server of an area's node",
		GroupID: "server",
		Long: `Run one server: it opens the store in the config's data_dir, joins (or, the
first time, bootstraps) its node's raft group, and serves the HTTP API at
http_addr until it receives SIGINT or SIGTERM, then stops cleanly.

Settings come from the defaults, then FILE (written by ` + "`fedsync init`" + `), then
the flags given here. Logs go to standard error.`,
		Example: `  fedsync agent -config /var/lib/fedsync/fedsync.toml
  fedsync agent --config ./heping/fedsync.toml --http-addr 0.0.0.0:8700 --log-level debug`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfgPath == "" {
				return usagef("agent needs -config FILE; create one with `fedsync init --area CODE --data-dir DIR`")
			}
			cfg, err := loadAgentConfig(cfgPath)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("http-addr") {
				cfg.HTTPAddr = hostPort(a.httpAddr)
			}
			if logLevel != "" {
				cfg.LogLevel = logLevel
			}
			if err := checkConfig(cfgPath, cfg); err != nil {
				return err
			}
			return a.runAgent(cmd.Context(), cfg)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration `FILE` (TOML), as written by fedsync init")
	cmd.Flags().StringVar(&logLevel, "log-level", "", "debug, info, warn or error (overrides the config)")
	return cmd
}

// loadAgentConfig reads the config, saying how to create a missing one.
func loadAgentConfig(path string) (node.Config, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return node.Config{}, fmt.Errorf("config %s does not exist; create it with `fedsync init --area CODE --data-dir DIR`", path)
	}
	return node.LoadConfig(path)
}

// checkConfig validates cfg, listing every problem, and checks that the
// data directory exists.
func checkConfig(path string, cfg node.Config) error {
	if err := cfg.Validate(); err != nil {
		problems := strings.Split(err.Error(), "\n")
		return fmt.Errorf("config %s has %d problem(s):\n  - %s", path, len(problems), strings.Join(problems, "\n  - "))
	}
	fi, err := os.Stat(cfg.DataDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data_dir %s does not exist: fix data_dir in %s, or create it with `fedsync init --area %s --data-dir %s`", cfg.DataDir, path, cfg.Area, cfg.DataDir)
	case err != nil:
		return fmt.Errorf("data_dir: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("data_dir %s is not a directory: fix data_dir in %s", cfg.DataDir, path)
	}
	return nil
}

// newLogger returns a text logger at the config's level.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// runAgent starts a node and serves until ctx ends.
func (a *app) runAgent(ctx context.Context, cfg node.Config) error {
	node.Version = version
	n, err := startNode(ctx, cfg, newLogger(a.stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "fedsync agent for %s (%s) serving the API at %s\n", area.Name(cfg.Area), cfg.Area, n.HTTPURL())
	select {
	case <-ctx.Done():
	case <-n.Done(): // left the gossip pool (`fedsync leave`)
	}
	fmt.Fprintln(a.stdout, "stopping")
	if err := n.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}

// addrInUseHint says which setting to change for an address in use.
func addrInUseHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "sync_addr"):
		return "Another program listens there: set another sync_addr in the config (children connect to it, so give it a fixed port and tell them)"
	case strings.Contains(msg, "raft_addr"):
		return "Another program listens there: set another raft_addr in the config"
	}
	return "Another program listens there: choose another --http-addr (127.0.0.1:0 takes any free port) or http_addr in the config"
}

// startNode creates and starts a node, explaining a locked data directory.
func startNode(ctx context.Context, cfg node.Config, logger *slog.Logger) (*node.Node, error) {
	n, err := node.New(cfg, logger)
	if err != nil {
		return nil, err
	}
	if err := n.Start(ctx); err != nil {
		if errors.Is(err, node.ErrDataDirLocked) {
			return nil, fmt.Errorf("%w\nAnother fedsync agent is using %s: stop it first, or give this one its own data directory (fedsync init --data-dir)", err, cfg.DataDir)
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("start: %w\n%s", err, addrInUseHint(err))
		}
		return nil, fmt.Errorf("start: %w", err)
	}
	return n, nil
}

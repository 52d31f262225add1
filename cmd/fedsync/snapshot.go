package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/node"
	"fedsync/registry"
)

func newSnapshotCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "snapshot",
		Short:   "Save, inspect and restore a node's state as one verified file",
		GroupID: "server",
		Long: `A snapshot file holds a node's whole store (its records, the replicas of
everything below it, the change logs, watermarks and counters) as of one
raft index, with a header naming the area, the server, the index, when it
was made, and the body's length and SHA-256.`,
		Example: `  fedsync snapshot save heping-2026-11-26.snap
  fedsync snapshot inspect heping-2026-11-26.snap
  fedsync snapshot restore heping-2026-11-26.snap --config /var/lib/fedsync/fedsync.toml`,
		Args: args(cobra.NoArgs),
	}
	cmd.AddCommand(newSnapshotSaveCmd(a), newSnapshotInspectCmd(a), newSnapshotRestoreCmd(a))
	return cmd
}

func newSnapshotSaveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "save FILE",
		Short: "Save the running agent's state to FILE",
		Long: `Ask the agent at --http-addr for a snapshot (GET /v1/snapshot) and write it
to FILE, then check it as inspect does. FILE is written beside itself first
and renamed into place only once it checks, so a failed save leaves no
FILE. Any server of the node can be asked; a follower's state may trail the
leader's by the entries it has not applied yet.`,
		Example: `  fedsync snapshot save /backup/heping.snap --http-addr 10.0.3.7:8700`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			path := argv[0]
			tmp := path + ".part"
			f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fmt.Errorf("snapshot save: %w", err)
			}
			defer os.Remove(tmp)
			_, err = c.Snapshot(cmd.Context(), f)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("snapshot save: %w", err)
			}
			rep, err := node.InspectSnapshot(cmd.Context(), tmp)
			if err != nil {
				return fmt.Errorf("snapshot save: the file received does not check: %w", err)
			}
			if err := os.Rename(tmp, path); err != nil {
				return fmt.Errorf("snapshot save: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, rep)
			}
			fmt.Fprintf(a.stdout, "Saved %s: %s (%s), server %s, raft index %d, %d bytes, verified.\n",
				path, rep.Header.Area, area.Name(rep.Header.Area), rep.Header.Server, rep.Header.RaftIndex, rep.Header.BodyBytes)
			return nil
		},
	}
}

func newSnapshotInspectCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE",
		Short: "Check a snapshot file and print what it holds",
		Long: `Read FILE's header, check the body's length and SHA-256, open its store in a
temporary directory and verify it (every change log's hash chain, every
rollup counter against the records), then print the header, the records
per kind and the verification. Exit code 2 when the store does not verify;
1 when the file is not a complete snapshot.`,
		Example: `  fedsync snapshot inspect heping.snap
  fedsync snapshot inspect heping.snap -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			rep, err := node.InspectSnapshot(cmd.Context(), argv[0])
			if err != nil {
				return fmt.Errorf("snapshot inspect: %w", err)
			}
			if a.json() {
				if err := printJSON(a.stdout, rep); err != nil {
					return err
				}
			} else {
				printSnapshotReport(a, argv[0], rep)
			}
			if !rep.Verify.OK {
				return partial("snapshot inspect: the store in %s does not verify (%d problems)", argv[0], len(rep.Verify.Problems))
			}
			return nil
		},
	}
}

func printSnapshotReport(a *app, path string, rep *node.SnapshotReport) {
	h := rep.Header
	w := a.stdout
	fmt.Fprintf(w, "Snapshot %s\n", path)
	fmt.Fprintf(w, "  area        %s (%s, %s)\n", h.Area, area.Name(h.Area), h.Area.Level())
	fmt.Fprintf(w, "  server      %s\n", h.Server)
	fmt.Fprintf(w, "  raft index  %d\n", h.RaftIndex)
	fmt.Fprintf(w, "  created     %s\n", h.Created.Format(time.RFC3339))
	fmt.Fprintf(w, "  body        %d bytes, SHA-256 %s (checked)\n", h.BodyBytes, h.BodySHA256)
	fmt.Fprintf(w, "  origins     %d\n", rep.Origins)
	t := newTable("KIND", "RECORDS").alignRight(1)
	t.indent = "  "
	for _, k := range registry.Kinds {
		t.addf(k, rep.Records[string(k)])
	}
	_ = t.write(w)
	if rep.Verify.OK {
		fmt.Fprintln(w, "  verify      ok: every chain continues, every counter matches its records")
		return
	}
	fmt.Fprintf(w, "  verify      %d problems:\n", len(rep.Verify.Problems))
	for _, p := range rep.Verify.Problems {
		fmt.Fprintf(w, "    - %s\n", p)
	}
}

func newSnapshotRestoreCmd(a *app) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "restore FILE --config FILE",
		Short: "Restore a stopped server's store from a snapshot file",
		Long: `Replace the store of the STOPPED server configured by --config with the
snapshot's. Restore works offline, on the data directory: stop the agent
first (a running agent is refused).

FILE is refused, and nothing is changed, when it is truncated, its checksum
does not match, it is a snapshot of another area, or its store does not
verify. Otherwise the server's previous store, raft log and raft snapshots
are moved into DATA_DIR/pre-restore-TIME (nothing is deleted) and the
snapshot's store is put in place. On its next start the server begins a
new raft group of itself (its config must have bootstrap = true and no
bootstrap_expect) holding the snapshot's state; a node's other servers are
then re-created empty and added with ` + "`fedsync operator raft add-voter`" + `.

Writes made after the snapshot are not in it. A node with a parent sends
from the restored state onward; if the parent had already received later
entries of this node, the parent refuses the diverging ones: restore a
node only together with the parts of the federation that depend on it, or
rebuild the parent (it then receives a state transfer).`,
		Example: `  fedsync snapshot restore /backup/heping.snap --config /var/lib/fedsync/fedsync.toml
  (stop the agent before, e.g. systemctl stop fedsync; start it after)`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if cfgPath == "" {
				return usagef("restore needs --config FILE, the stopped server's configuration")
			}
			cfg, err := loadAgentConfig(cfgPath)
			if err != nil {
				return err
			}
			if err := checkConfig(cfgPath, cfg); err != nil {
				return err
			}
			res, err := node.RestoreSnapshot(cmd.Context(), cfg, argv[0])
			if err != nil {
				return fmt.Errorf("snapshot restore: %w", err)
			}
			if a.json() {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "Restored %s (raft index %d of server %s) into %s.\nThe previous store and raft state are in %s.\n",
				argv[0], res.Header.RaftIndex, res.Header.Server, filepath.Join(cfg.DataDir, "fedsync.db"), res.Aside)
			fmt.Fprintf(a.stdout, "Start the agent: it begins a new raft group of itself; add the node's other servers with `fedsync operator raft add-voter`.\n")
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "the stopped server's configuration `FILE`")
	return cmd
}

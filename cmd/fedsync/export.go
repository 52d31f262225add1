package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"fedsync/client"
	"fedsync/importer"
	"fedsync/registry"
	"fedsync/storage"
)

// exportFlags are the flags of `fedsync export`.
type exportFlags struct {
	list   listFlags
	kind   string
	file   string
	labels bool
	force  bool
	quiet  bool
}

func newExportCmd(a *app) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:     "export --kind KIND -f FILE",
		Short:   "Write records to an .xlsx or .csv roster",
		GroupID: "records",
		Long: `Write every record of a kind (inside --area, matching each --where) to a
roster file: .xlsx or .csv by the file's extension, or CSV on standard output
with -f -. The columns are the kind's fields; ` + "`fedsync import`" + ` reads the file
back to the same records.

--labels writes Chinese column headers (组织名称, ...), Chinese enum labels
and 是/否, for people; without it the file holds JSON names and ASCII values,
for programs. An existing file is replaced only with --force.`,
		Example: `  fedsync export --kind org --area 210102001000 -f orgs.xlsx --labels
  fedsync export --kind activity -f - > activities.csv
  fedsync export --kind org --where status=正常 -f active.csv --force`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, err := registry.ParseKind(f.kind)
			if err != nil {
				return usagef("--kind: %v", err)
			}
			f.list.all = true
			opts, err := f.list.options(kind)
			if err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.runExport(cmd.Context(), c, kind, opts, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "", "record `KIND` to export")
	fl.StringVarP(&f.file, "file", "f", "", "output `FILE`: .xlsx, .csv, or - for CSV on standard output")
	fl.StringVar(&f.list.area, "area", "", "only records inside the area `CODE`")
	fl.StringArrayVar(&f.list.where, "where", nil, "only records whose `FIELD=VALUE` (repeatable)")
	fl.BoolVar(&f.labels, "labels", false, "Chinese headers and labels, for people")
	fl.BoolVar(&f.force, "force", false, "replace FILE if it exists")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress indicator")
	_ = cmd.MarkFlagRequired("kind")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func (a *app) runExport(ctx context.Context, c *client.Client, kind registry.Kind, opts client.ListOptions, f exportFlags) error {
	write := importer.WriteCSV
	if f.file != "-" {
		format, err := importer.FormatOf(f.file)
		if err != nil {
			return usagef("-f: %v", err)
		}
		if format == importer.FormatXLSX {
			write = importer.WriteXLSX
		}
		if _, err := os.Stat(f.file); err == nil && !f.force {
			return usagef("%s exists; add --force to replace it", f.file)
		}
	}
	bar := newProgress(a.stderr, -1, "exporting "+string(kind), "records", f.quiet)
	var n int
	var listErr error
	recs := func(yield func(registry.Record) bool) {
		listErr = c.ListAll(ctx, kind, opts, func(st storage.Stored) error {
			rec, _, err := registry.DecodeStored(kind, st.Body) // full here, redacted from below
			if err != nil {
				return fmt.Errorf("record %s: %w", st.ID, err)
			}
			n++
			_ = bar.Add(1)
			if !yield(rec) {
				return errStopped
			}
			return nil
		})
	}
	err := writeOut(a.stdout, f.file, func(w io.Writer) error {
		if err := write(w, kind, recs, f.labels); err != nil {
			return err
		}
		return listErr
	})
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("export %s: %w", kind, err)
	}
	if f.file != "-" {
		fmt.Fprintf(a.stdout, "wrote %d %s records to %s\n", n, kind, f.file)
	}
	return nil
}

// errStopped ends a listing early when the writer stops reading.
var errStopped = errors.New("stopped")

// writeOut runs fn on stdout for "-", else on a temporary file beside
// path that replaces path only when fn succeeds.
func writeOut(stdout io.Writer, path string, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fn(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

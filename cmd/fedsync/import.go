package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"fedsync/client"
	"fedsync/importer"
	"fedsync/registry"
)

// importFlags are the flags of `fedsync import`.
type importFlags struct {
	kind  string
	sheet string
	batch int
	quiet bool
	max   byteSize // --max-file-size
}

func newImportCmd(a *app) *cobra.Command {
	f := importFlags{max: defaultMaxImportBytes}
	cmd := &cobra.Command{
		Use:     "import FILE --kind KIND",
		Short:   "Load a roster (.xlsx or .csv) of records into the agent",
		GroupID: "records",
		Long: `Load a roster: an .xlsx workbook (Excel 工作簿) or a UTF-8 .csv file whose
first row names the columns, by JSON field name or Chinese label (组织名称,
所属社区, ...); title rows above the header are skipped. Every row needs an id.

The whole file is read and every row checked here first: a file that turns
out damaged half-way (a cut workbook, an unterminated CSV quote) stores
nothing. The rows are then sent in batches (--batch, at most 1000; four
outstanding at a time) to the agent, which checks them again against what
it holds and applies each batch as one durable write. Each refused row
is reported as "row N: field: rule" with N the row number in the file. At
the end the counts: created, unchanged, errors.

Importing is safe to repeat: a row already stored with the same content is
"unchanged"; a row whose id is stored with other content is refused (change
it with ` + "`fedsync KIND update`" + `). After fixing the refused rows, import
the same file again.

Exit code 0 when every row was stored, 2 when some rows were refused, 1 when
the file could not be read or the agent failed.`,
		Example: `  fedsync import 和平区社区社会组织花名册.xlsx --kind org
  fedsync import activities.csv --kind activity --batch 500 --quiet
  fedsync import roster.xlsx --kind org --sheet 组织 -o json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			kind, err := registry.ParseKind(f.kind)
			if err != nil {
				return usagef("--kind: %v", err)
			}
			if f.batch < 1 || f.batch > client.MaxBatch {
				return usagef("--batch %d: want 1 to %d", f.batch, client.MaxBatch)
			}
			if err := checkImportSize(argv[0], int64(f.max)); err != nil {
				return err
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			return a.runImport(cmd.Context(), c, argv[0], kind, f)
		},
	}
	cmd.Flags().StringVar(&f.kind, "kind", "", "record `KIND` of every row: community, org, activity, project, talent, platform or registration")
	cmd.Flags().StringVar(&f.sheet, "sheet", "", "`NAME` of the .xlsx sheet to read (default: the first)")
	cmd.Flags().IntVar(&f.batch, "batch", client.MaxBatch, "rows per request to the agent, 1 to 1000")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	cmd.Flags().Var(&f.max, "max-file-size", "refuse, before reading it, a file larger than `SIZE` (e.g. 128MiB, 1GiB)")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

// rowProblem is one refused row.
type rowProblem struct {
	Row   int    `json:"row"`
	Field string `json:"field,omitempty"`
	Rule  string `json:"rule"`
}

func (p rowProblem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("row %d: %s", p.Row, p.Rule)
	}
	return fmt.Sprintf("row %d: %s: %s", p.Row, p.Field, p.Rule)
}

// importResult is what an import did (-o json prints it).
type importResult struct {
	File       string       `json:"file"`
	Kind       string       `json:"kind"`
	Rows       int          `json:"rows"`
	Created    int          `json:"created"`
	Updated    int          `json:"updated"`
	Unchanged  int          `json:"unchanged"`
	Duplicates int          `json:"duplicates"` // rows repeating an earlier row exactly, skipped
	Errors     []rowProblem `json:"errors"`
	Fatal      string       `json:"fatal,omitempty"`
}

// importRun sends one file's rows in batches.
type importRun struct {
	c     *client.Client
	kind  registry.Kind
	size  int
	recs  []json.RawMessage
	lines []int // file row of each of recs
	sent  int   // rows sent so far
	res   importResult
	bar   *progressbar.ProgressBar
}

func (a *app) runImport(ctx context.Context, c *client.Client, path string, kind registry.Kind, f importFlags) error {
	r, err := importer.Open(path, kind, importer.Options{Sheet: f.sheet})
	if err != nil {
		return err
	}
	defer r.Close()
	run := &importRun{c: c, kind: kind, size: f.batch, res: importResult{File: path, Kind: string(kind), Errors: []rowProblem{}}}
	run.bar = newProgress(a.stderr, r.Total(), "reading "+path, "rows", f.quiet)
	fatal := run.readAll(r)
	_ = run.bar.Finish()
	if fatal == nil {
		run.bar = newProgress(a.stderr, len(run.recs), "storing "+string(kind), "rows", f.quiet)
		fatal = run.sendAll(ctx)
		_ = run.bar.Finish()
	}
	run.res.Duplicates = r.Stats().Duplicates
	sort.SliceStable(run.res.Errors, func(i, j int) bool { return run.res.Errors[i].Row < run.res.Errors[j].Row })
	if fatal != nil {
		run.res.Fatal = fatal.Error()
	}
	if err := a.printImport(&run.res); err != nil {
		return err
	}
	switch {
	case fatal != nil:
		if run.sent == 0 {
			return fmt.Errorf("import stopped: %w\nNothing was stored; fix the file and import it again", fatal)
		}
		return fmt.Errorf("import stopped: %w\n%d rows were sent before the problem; import the file again (stored rows will show as unchanged)", fatal, run.sent)
	case len(run.res.Errors) > 0:
		return partial("%d of %d rows were refused; fix them and import the file again", len(run.res.Errors), run.res.Rows)
	}
	return nil
}

// readAll reads and checks every row before anything is sent, so that a
// file found damaged half-way (a cut CSV quote, a broken sheet) changes
// nothing stored; it returns such a fatal error.
func (run *importRun) readAll(r *importer.Reader) error {
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		run.res.Rows++
		_ = run.bar.Add(1)
		if row.Err != nil {
			run.res.Errors = append(run.res.Errors, localProblem(row))
			continue
		}
		body, err := registry.Encode(row.Record)
		if err != nil {
			run.res.Errors = append(run.res.Errors, rowProblem{Row: row.Line, Rule: err.Error()})
			continue
		}
		run.recs, run.lines = append(run.recs, body), append(run.lines, row.Line)
	}
}

// sendAll sends the rows read in batches of run.size; it stops at the first
// batch the agent does not answer (not a row refusal: those are counted).
//
// Up to importInFlight batches are outstanding at once, so that the agent's
// raft log takes the next batches while its store applies the previous one;
// outcomes are counted in file order.
func (run *importRun) sendAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type sent struct {
		results []client.BatchResult
		lines   []int
		err     error
	}
	var pending []chan sent
	var first error
	collect := func() {
		r := <-pending[0]
		pending = pending[1:]
		if r.err != nil {
			if first == nil {
				first = r.err
				cancel()
			}
			return
		}
		run.count(r.results, r.lines)
		run.sent += len(r.results)
		_ = run.bar.Add(len(r.results))
	}
	for i := 0; i < len(run.recs) && first == nil; i += run.size {
		j := min(i+run.size, len(run.recs))
		ch := make(chan sent, 1)
		pending = append(pending, ch)
		go func(recs []json.RawMessage, lines []int) {
			res, err := run.c.Batch(ctx, run.kind, client.ModeCreate, recs)
			if err == nil && len(res) != len(recs) {
				err = fmt.Errorf("the agent answered %d results for %d rows", len(res), len(recs))
			}
			if err != nil {
				err = fmt.Errorf("send rows %d to %d: %w", lines[0], lines[len(lines)-1], err)
			}
			ch <- sent{res, lines, err}
		}(run.recs[i:j], run.lines[i:j])
		if len(pending) == importInFlight {
			collect()
		}
	}
	for len(pending) > 0 {
		collect()
	}
	return first
}

// importInFlight is how many batches an import keeps outstanding.
const importInFlight = 4

// count counts the outcomes of one batch whose rows are at lines.
func (run *importRun) count(results []client.BatchResult, lines []int) {
	for i, res := range results {
		switch res.Status {
		case client.StatusCreated:
			run.res.Created++
		case client.StatusUpdated:
			run.res.Updated++
		case client.StatusUnchanged:
			run.res.Unchanged++
		default:
			run.res.Errors = append(run.res.Errors, remoteProblem(lines[i], res.Error))
		}
	}
}

// localProblem describes a row the importer refused.
func localProblem(row importer.Row) rowProblem {
	p := rowProblem{Row: row.Line, Rule: row.Err.Error()}
	var re *importer.RowError
	if !errors.As(row.Err, &re) {
		return p
	}
	p.Row, p.Field, p.Rule = re.Line, re.Field, re.Err.Error()
	if p.Field == "" {
		p.Field = re.Column
	}
	var fe *registry.FieldError
	if errors.As(re.Err, &fe) {
		p.Field, p.Rule = fe.Field, fe.Rule
		if fe.Value != "" {
			p.Rule += fmt.Sprintf(" (got %q)", fe.Value)
		}
	}
	return p
}

// remoteProblem describes a row the agent refused.
func remoteProblem(line int, e *client.APIError) rowProblem {
	if e == nil {
		return rowProblem{Row: line, Rule: "refused by the agent"}
	}
	if e.Field != "" {
		return rowProblem{Row: line, Field: e.Field, Rule: e.Rule}
	}
	return rowProblem{Row: line, Rule: e.FieldRule()}
}

func (a *app) printImport(res *importResult) error {
	if a.json() {
		return printJSON(a.stdout, res)
	}
	for _, p := range res.Errors {
		fmt.Fprintln(a.stdout, p)
	}
	fmt.Fprintf(a.stdout, "%s: %d rows of %s: created %d, unchanged %d, updated %d, errors %d",
		res.File, res.Rows, res.Kind, res.Created, res.Unchanged, res.Updated, len(res.Errors))
	if res.Duplicates > 0 {
		fmt.Fprintf(a.stdout, " (%d repeated rows skipped)", res.Duplicates)
	}
	_, err := fmt.Fprintln(a.stdout)
	return err
}

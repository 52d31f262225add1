package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// newKindCmd builds `fedsync KIND add|get|list|update|delete` for one kind.
func newKindCmd(a *app, kind registry.Kind) *cobra.Command {
	k := string(kind)
	cmd := &cobra.Command{
		Use:     k,
		Short:   kindTitle[kind] + ": add, get, list, update, delete",
		GroupID: "records",
		Long: fmt.Sprintf(`Records of kind %q: %s.

Each subcommand calls the agent at --http-addr. Fields are set with one flag
each (see "fedsync %s add --help"); enum fields take the ASCII value or the
Chinese label. Writes go through the agent's raft group and its change log,
and from there upward to every level above.`, k, kindBlurb[kind], k),
		Example: fmt.Sprintf("  fedsync %[1]s list --limit 20\n  fedsync %[1]s get ID -o json\n  fedsync %[1]s add --file record.json", k),
	}
	cmd.AddCommand(newAddCmd(a, kind), newGetCmd(a, kind), newListCmd(a, kind), newUpdateCmd(a, kind), newDeleteCmd(a, kind))
	return cmd
}

// exampleFlags is a realistic add command line per kind.
var exampleFlags = map[registry.Kind]string{
	registry.KindCommunity:    "--id 210102001002 --code 210102001002 --name 水源地社区居委会 --urban-rural 111",
	registry.KindOrg:          "--community 210102001002 --name 邻里互助队 --category 居民互助类 --tier 社区指导 \\\n      --founded 2021-03-01 --members 12 --charter --status 正常",
	registry.KindActivity:     "--org ORG-ID --theme 邻里守望 --type 义诊 --date 2022-05-12 --participants 40",
	registry.KindProject:      "--org ORG-ID --name 四点半课堂 --funding 公益创投 --amount 50000 --year 2022 --brand",
	registry.KindTalent:       "--org ORG-ID --name 张三 --role 负责人 --trained --social-worker",
	registry.KindPlatform:     "--area 210102001000 --name 浑河湾街道社会组织孵化中心 --type 孵化机构 --founded 2020-06-01",
	registry.KindRegistration: "--area 210102000000 --org-origin 210102001000 --org ORG-ID \\\n      --credit-code 52210102MJ0000000X --registered 2021-08-01 --rating 3A",
}

func newAddCmd(a *app, kind registry.Kind) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "add [flags]",
		Short: "Add one " + string(kind) + " record",
		Long: `Add one record. Give its fields as flags, or as a JSON object with --file
(use - for standard input); flags override fields of the file. Without --id
the agent assigns one. Adding a record that is already stored with the same
content changes nothing; the same id with other content is refused (use
update).`,
		Example: fmt.Sprintf("  fedsync %[1]s add %[2]s\n  fedsync %[1]s add --file record.json\n  echo '{...}' | fedsync %[1]s add --file -", kind, exampleFlags[kind]),
		Args:    args(cobra.NoArgs),
	}
	ff := addFieldFlags(cmd.Flags(), kind)
	cmd.Flags().StringVarP(&file, "file", "f", "", "read the record as a JSON object from `FILE` (- for standard input)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		rec, err := a.readRecord(file)
		if err != nil {
			return err
		}
		if ff.apply(rec) == 0 && file == "" {
			return usagef("no fields given: set them with flags (see --help) or --file")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		st, created, err := c.Create(cmd.Context(), kind, mustJSON(rec))
		if err != nil {
			return fmt.Errorf("add %s: %w", kind, err)
		}
		what := "added"
		if !created {
			what = "unchanged (already stored with the same content):"
		}
		return a.printStored(st, what)
	}
	return cmd
}

func newUpdateCmd(a *app, kind registry.Kind) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "update ID [flags]",
		Short: "Change fields of one " + string(kind) + " record",
		Long: `Change a record. The flags you give replace those fields and keep the
others as stored. With --file the file replaces the whole record (flags
still override its fields).`,
		Example: fmt.Sprintf("  fedsync %[1]s update ID --name 新名称\n  fedsync %[1]s update ID --file record.json", kind),
		Args:    args(cobra.ExactArgs(1)),
	}
	ff := addFieldFlags(cmd.Flags(), kind)
	cmd.Flags().StringVarP(&file, "file", "f", "", "replace the record with the JSON object in `FILE` (- for standard input)")
	cmd.RunE = func(cmd *cobra.Command, argv []string) error {
		id := argv[0]
		c, err := a.client()
		if err != nil {
			return err
		}
		rec, err := a.readRecord(file)
		if err != nil {
			return err
		}
		if file == "" {
			old, err := c.Get(cmd.Context(), kind, "", id)
			if err != nil {
				return fmt.Errorf("update %s %s: %w", kind, id, err)
			}
			if rec, err = recordFields(old.Body); err != nil {
				return err
			}
		}
		if ff.apply(rec) == 0 && file == "" {
			return usagef("nothing to change: give the fields to change as flags (see --help) or --file")
		}
		if _, ok := rec["id"]; !ok {
			rec["id"] = id
		}
		st, err := c.Update(cmd.Context(), kind, id, mustJSON(rec))
		if err != nil {
			return fmt.Errorf("update %s %s: %w", kind, id, err)
		}
		return a.printStored(st, "updated")
	}
	return cmd
}

func newGetCmd(a *app, kind registry.Kind) *cobra.Command {
	var origin string
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show one " + string(kind) + " record",
		Long: `Show one record with every field, its Chinese label and, for area codes,
the area's name. At a county, city or province agent, --origin names the
street (or other node) that owns the record.`,
		Example: fmt.Sprintf("  fedsync %[1]s get ID\n  fedsync %[1]s get ID --origin 210102001000 -o json", kind),
		Args:    args(cobra.ExactArgs(1)),
	}
	cmd.Flags().StringVar(&origin, "origin", "", "area `CODE` of the node that owns the record (default: the agent's own area)")
	cmd.RunE = func(cmd *cobra.Command, argv []string) error {
		if origin != "" {
			if _, err := area.Parse(origin); err != nil {
				return usagef("--origin: %v", err)
			}
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		st, err := c.Get(cmd.Context(), kind, area.Code(origin), argv[0])
		if err != nil {
			return fmt.Errorf("get %s %s: %w", kind, argv[0], err)
		}
		if a.json() {
			return printJSON(a.stdout, st)
		}
		t, err := recordTable(st)
		if err != nil {
			return err
		}
		return t.write(a.stdout)
	}
	return cmd
}

func newDeleteCmd(a *app, kind registry.Kind) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete one " + string(kind) + " record",
		Long: `Delete a record the agent owns. The deletion is logged and replicated
upward like any change; totals at every level drop accordingly.`,
		Example: fmt.Sprintf("  fedsync %s delete ID", kind),
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.Delete(cmd.Context(), kind, argv[0]); err != nil {
				return fmt.Errorf("delete %s %s: %w", kind, argv[0], err)
			}
			if a.json() {
				return printJSON(a.stdout, map[string]any{"kind": kind, "id": argv[0], "deleted": true})
			}
			fmt.Fprintf(a.stdout, "deleted %s %s\n", kind, argv[0])
			return nil
		},
	}
}

// readRecord reads a JSON object from file ("-" = stdin); "" gives an
// empty record.
func (a *app) readRecord(file string) (map[string]any, error) {
	if file == "" {
		return map[string]any{}, nil
	}
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(a.stdin, registry.MaxRecordBytes+1))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil || rec == nil {
		return nil, fmt.Errorf("read record from %s: want one JSON object (%v); to load many records use `fedsync import`", file, err)
	}
	return rec, nil
}

// printStored reports a written record: its JSON with -o json, else one
// line.
func (a *app) printStored(st *storage.Stored, what string) error {
	if a.json() {
		return printJSON(a.stdout, st)
	}
	fmt.Fprintf(a.stdout, "%s %s %s (seq %d)\n", what, st.Kind, st.ID, st.Seq)
	return nil
}

// mustJSON marshals a record map; it cannot fail for maps decoded from
// JSON and flag values.
func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

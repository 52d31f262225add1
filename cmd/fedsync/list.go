package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/client"
	"fedsync/registry"
	"fedsync/storage"
)

// listFlags are the flags of `fedsync KIND list`.
type listFlags struct {
	area  string
	limit int
	all   bool
	after string
	where []string
}

func newListCmd(a *app, kind registry.Kind) *cobra.Command {
	var lf listFlags
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List " + string(kind) + " records",
		Long: fmt.Sprintf(`List records, one page at a time (--limit, default 100), or every page with
--all. --area keeps the records inside an area (a community, street, county,
...); --where field=value keeps those whose field has that value, and may be
repeated (all must match). Fields are named by JSON name, flag name or
Chinese label; enum values by ASCII value or label.

The table shows the main columns, with Chinese labels for enums; -o json
prints every field. Fields of %s: %s.`, kind, fieldNames(kind)),
		Example: fmt.Sprintf("  fedsync %[1]s list --area 210102001002\n  fedsync %[1]s list --all -o json > %[1]s.json\n  fedsync org list --where category=文体活动类 --where brand=true", kind),
		Args:    args(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringVar(&lf.area, "area", "", "only records inside the area `CODE`")
	f.IntVar(&lf.limit, "limit", 0, fmt.Sprintf("records per page, 1 to %d (default %d)", storage.MaxPageSize, storage.DefaultPageSize))
	f.BoolVar(&lf.all, "all", false, "follow the cursors and list every page")
	f.StringVar(&lf.after, "after", "", "start after this `CURSOR` (printed at the end of a page)")
	f.StringArrayVar(&lf.where, "where", nil, "keep records whose `FIELD=VALUE` (repeatable)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		opts, err := lf.options(kind)
		if err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		page, err := fetchList(cmd, c, kind, opts, lf.all)
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		return a.printList(kind, page)
	}
	return cmd
}

// options checks the flags and turns them into a query.
func (lf *listFlags) options(kind registry.Kind) (client.ListOptions, error) {
	opts := client.ListOptions{Limit: lf.limit, After: lf.after, Where: map[string]string{}}
	if lf.area != "" {
		c, err := area.Parse(lf.area)
		if err != nil {
			return opts, usagef("--area: %v", err)
		}
		opts.Area = c
	}
	if lf.limit < 0 || lf.limit > storage.MaxPageSize {
		return opts, usagef("--limit %d: want 1 to %d", lf.limit, storage.MaxPageSize)
	}
	if lf.all && lf.limit == 0 {
		opts.Limit = storage.MaxPageSize
	}
	for _, w := range lf.where {
		name, value, ok := strings.Cut(w, "=")
		if !ok {
			return opts, usagef("--where %q: want FIELD=VALUE", w)
		}
		s, ok := spec(kind, strings.TrimSpace(name))
		if !ok {
			return opts, usagef("--where %q: %s has no field %q; its fields are: %s", w, kind, name, fieldNames(kind))
		}
		v, err := canonical(kind, s, strings.TrimSpace(value))
		if err != nil {
			return opts, usagef("--where %q: %v", w, err)
		}
		opts.Where[s.Name] = v
	}
	return opts, nil
}

// fetchList returns one page, or with all every page merged into one.
func fetchList(cmd *cobra.Command, c *client.Client, kind registry.Kind, opts client.ListOptions, all bool) (*storage.ListPage, error) {
	if !all {
		return c.List(cmd.Context(), kind, opts)
	}
	page := &storage.ListPage{Items: []storage.Stored{}}
	err := c.ListAll(cmd.Context(), kind, opts, func(st storage.Stored) error {
		page.Items = append(page.Items, st)
		return nil
	})
	return page, err
}

func (a *app) printList(kind registry.Kind, page *storage.ListPage) error {
	if a.json() {
		return printJSON(a.stdout, page)
	}
	if len(page.Items) == 0 {
		fmt.Fprintf(a.stdout, "no %s records\n", kind)
		return nil
	}
	t, err := listTable(kind, page.Items)
	if err != nil {
		return err
	}
	if err := t.write(a.stdout); err != nil {
		return err
	}
	if page.Next != "" {
		fmt.Fprintf(a.stderr, "(more records: add --all, or --after %s for the next page)\n", page.Next)
	}
	return nil
}

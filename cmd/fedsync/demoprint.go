package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"fedsync/area"
	"fedsync/rollup"
)

// printFederation prints the city's report, how fresh its data is for each
// street, and the nodes with their addresses.
func (a *app) printFederation(ctx context.Context, fed *federation, year int) error {
	city := fed.city()
	s, err := city.c.Summary(ctx, city.code, year)
	if err != nil {
		return fmt.Errorf("demo: report of %s: %w", city.name(), err)
	}
	if err := renderReport(a.stdout, s); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nFreshness: what %s's figures reflect of each origin\n", city.name())
	if err := printFreshness(a.stdout, s.Freshness, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\nThe demo federation: %d nodes on loopback, data in %s\n", len(fed.nodes), fed.dir)
	return printNodes(a.stdout, fed)
}

// printFreshness lists, per origin, the seq applied, when the origin wrote
// it and when this node last heard from the origin.
func printFreshness(w io.Writer, fs []rollup.Freshness, now time.Time) error {
	t := newTable("ORIGIN", "CODE", "SEQ", "ORIGIN TIME", "HEARD FROM", "PATH").alignRight(2)
	t.indent = "  "
	for _, f := range fs {
		t.add(f.Name, string(f.Origin), thousands(int64(f.Seq)), fmtTime(f.OriginTime), ago(f.HeardFrom, now), deliveryPath(f.Via, f.Bypass))
	}
	if len(fs) == 0 {
		_, err := fmt.Fprintln(w, "  no origin below has sent anything yet")
		return err
	}
	return t.write(w)
}

// printNodes lists the nodes as a tree with their API and sync addresses.
func printNodes(w io.Writer, fed *federation) error {
	t := newTable("NODE", "LEVEL", "CODE", "API ADDR", "SYNC ADDR")
	t.indent = "  "
	for _, d := range fed.nodes {
		indent := strings.Repeat("  ", int(d.code.Level()-area.LevelCity))
		t.add(indent+d.name(), d.code.Level().String(), string(d.code), d.n.HTTPAddr(), d.n.SyncAddr())
	}
	return t.write(w)
}

// federationHints prints commands to try against the running federation.
func (a *app) federationHints(fed *federation, exit bool) {
	city := fed.city()
	county := fed.level(area.LevelCounty)[0]
	var street *demoNode
	for _, s := range fed.level(area.LevelStreet) {
		if s.parent == county {
			street = s
			break
		}
	}
	cityAddr, countyAddr, streetAddr := city.n.HTTPAddr(), county.n.HTTPAddr(), street.n.HTTPAddr()
	cityTok, countyTok, streetTok := city.token, county.token, street.token
	t := newTable()
	t.indent = "  "
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s report --area %s", cityAddr, cityTok, county.code), fmt.Sprintf("# %s, from %s's replica", county.name(), city.name()))
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s status", streetAddr, streetTok), fmt.Sprintf("# %s and its link up to %s", street.name(), county.name()))
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s status", countyAddr, countyTok), fmt.Sprintf("# %s: its children, its link up to %s", county.name(), city.name()))
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s verify --child %s --child-token-file %s", countyAddr, countyTok, streetAddr, streetTok), fmt.Sprintf("# %s's replica against %s's own data", county.name(), street.name()))
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s org list --limit 5", streetAddr, streetTok), "# records written at the street ...")
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s org list --area %s --limit 5", cityAddr, cityTok, street.code), "# ... and their replicas at the city")
	t.add(fmt.Sprintf("fedsync --http-addr %s --token-file %s audit list --origin %s --limit 5", cityAddr, cityTok, street.code), "# who wrote them, replicated with them")
	t.add(fmt.Sprintf("curl -s -H \"Authorization: Bearer $(cat %s)\" --cacert %s https://%s/v1/status", cityTok, fed.pki.CAFile, cityAddr), "")
	fmt.Fprintln(a.stdout)
	a.tlsNote(fed.pki)
	fmt.Fprintln(a.stdout, "Each node's admin token (fedsync acl bootstrap) is in admin.token in its data directory.")
	fmt.Fprintf(a.stdout, "Try, in another terminal:\n  export FEDSYNC_CA_FILE=%s\n", fed.pki.CAFile)
	_ = t.write(a.stdout)
	if !exit {
		fmt.Fprintln(a.stdout, "Press Ctrl-C to stop.")
	}
}

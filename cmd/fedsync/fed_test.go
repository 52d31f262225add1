package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/client"
	"fedsync/gen"
	"fedsync/node"
	"fedsync/registry"
	"fedsync/tlsutil"
)

// startTestNode starts a real node of code in dir, as the demo does, sending
// to parent; it stops when the test ends.
func startTestNode(t *testing.T, pki *tlsutil.DevPKI, code area.Code, dir string, parent []string, staleAfter time.Duration) (*node.Node, *client.Client) {
	t.Helper()
	cfg, err := demoConfig(pki, code, dir, "127.0.0.1:0", parent)
	if err != nil {
		t.Fatal(err)
	}
	if staleAfter > 0 {
		cfg.StaleAfter = node.Duration{Duration: staleAfter}
	}
	n, err := startNode(context.Background(), cfg, newLogger(io.Discard, "error"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	c, _, err := demoClient(context.Background(), n.HTTPURL(), dir, demoCA(pki))
	if err != nil {
		t.Fatal(err)
	}
	return n, c
}

// writeOrgs writes organizations through a node's batch endpoint.
func writeOrgs(t *testing.T, c *client.Client, orgs []json.RawMessage) {
	t.Helper()
	res, err := c.Batch(context.Background(), registry.KindOrg, client.ModeUpsert, orgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status == client.StatusError {
			t.Fatalf("org %s refused: %v", r.ID, r.Error)
		}
	}
}

// checkFor polls check until it returns nil, failing the test after d.
func checkFor(t *testing.T, d time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", d, err)
		}
		<-tick.C
	}
}

// status reads a node's status.
func status(t *testing.T, c *client.Client) *api.Status {
	t.Helper()
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// converged waits until the parent holds every entry of the child's origin.
func converged(t *testing.T, parent, child *client.Client, origin area.Code) {
	t.Helper()
	checkFor(t, 30*time.Second, func() error {
		want, got := seqAt(status(t, child).Watermarks, origin), seqAt(status(t, parent).Watermarks, origin)
		if want == 0 || got != want {
			return fmt.Errorf("parent holds seq %d of %s, the child %d", got, origin, want)
		}
		return nil
	})
}

// TestFederationStatusAndVerify runs a street under a county on real nodes:
// once converged, verify --child finds them equal and status shows the
// link up; with the county restarted where the street cannot reach it and
// more records written at the street, the county is a consistent prefix
// (parent behind), the street shows its backlog and the county a stale child.
func TestFederationStatusAndVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real nodes")
	}
	root := t.TempDir()
	pki, err := tlsutil.NewDevPKI(filepath.Join(root, "pki"), "test")
	if err != nil {
		t.Fatal(err)
	}
	ca := []string{"--ca-file", pki.CAFile}
	countyDir := filepath.Join(root, "county")
	county, cc := startTestNode(t, pki, testCounty, countyDir, nil, 0)
	streetDir := filepath.Join(root, "street")
	street, sc := startTestNode(t, pki, testStreet, streetDir, []string{county.SyncAddr()}, 0)
	countyTok, streetTok := filepath.Join(countyDir, demoTokenFile), filepath.Join(streetDir, demoTokenFile)
	ros := gen.Street(testStreet, 1, gen.Options{})
	orgs := encodeAll(ros.Orgs)
	writeOrgs(t, sc, orgs[:5])
	converged(t, cc, sc, testStreet)

	r := runCLI(t, "", append(ca, "--http-addr", county.HTTPAddr(), "--token-file", countyTok, "verify", "--child", street.HTTPAddr(), "--child-token-file", streetTok)...)
	if r.code != 0 || len(rowsWith(r.stdout, "  equal  ")) != 1 || !strings.Contains(r.stdout, "OK: the parent's replica equals the child's data (1 origin(s))") {
		t.Errorf("verify --child, converged:\n%s", r)
	}
	r = runCLI(t, "", append(ca, "--http-addr", street.HTTPAddr(), "--token-file", streetTok, "status")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Upstream: 和平区 (210102000000)") || !strings.Contains(r.stdout, "connected     yes") {
		t.Errorf("status of the street, converged:\n%s", r)
	}

	// The county restarts on a new sync address the street does not know,
	// and the street writes on: 7 organizations and the audit entry that
	// attributes them, 8 entries.
	if err := county.Stop(); err != nil {
		t.Fatal(err)
	}
	writeOrgs(t, sc, orgs[5:12])
	county, _ = startTestNode(t, pki, testCounty, countyDir, nil, time.Millisecond)

	r = runCLI(t, "", append(ca, "--http-addr", county.HTTPAddr(), "--token-file", countyTok, "verify", "--child", street.HTTPAddr(), "--child-token-file", streetTok)...)
	if r.code != 0 || !strings.Contains(r.stdout, "by 8 entries; consistent prefix") || !strings.Contains(r.stdout, "parent is behind; run again after sync catches up") {
		t.Errorf("verify --child, parent behind:\n%s", r)
	}
	checkFor(t, 30*time.Second, func() error {
		if up := status(t, sc).Upstream; up == nil || up.Totals.Backlog != 8 || up.Connected {
			return fmt.Errorf("street upstream %+v, want a backlog of 8 and no link", up)
		}
		return nil
	})
	r = runCLI(t, "", append(ca, "--http-addr", street.HTTPAddr(), "--token-file", streetTok, "status")...)
	if row := rowsWith(r.stdout, "浑河湾街道  210102001000"); r.code != 0 || len(row) != 1 || !strings.Contains(r.stdout, "8 entries") {
		t.Errorf("status of the street with a backlog: row %q\n%s", row, r)
	}
	r = runCLI(t, "", append(ca, "--http-addr", county.HTTPAddr(), "--token-file", countyTok, "status")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Children:") || !strings.Contains(r.stdout, "warning: no news from 浑河湾街道 (210102001000)") {
		t.Errorf("status of the county with a stale child:\n%s", r)
	}
}

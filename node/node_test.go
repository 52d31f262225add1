package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

var testStreet = area.MustParse("210102001000")

func testConfig(dir string) Config {
	c := DefaultConfig()
	c.Area, c.DataDir, c.Name = testStreet, dir, "210102001000-test"
	c.HTTPAddr, c.RaftAddr, c.SyncAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	provisionTLS(&c)
	c.Privacy.UnsafeDevKey = true
	return c
}

// startNode starts a node of cfg; unless cfg is insecure_plaintext, it
// runs with a certificate of the test CA for cfg's final area and name.
func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	provisionTLS(&cfg)
	n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n
}

func orgMut(t testing.TB, i int, c area.Code) storage.Mutation {
	o := registry.Org{ID: fmt.Sprintf("org-%d", i), Community: c, Name: fmt.Sprintf("读书会%d", i), Category: registry.CatCulture,
		Tier: registry.TierGuided, Founded: "2021-04-01", Members: 20, Status: registry.StatusActive}
	b, err := registry.Encode(o)
	if err != nil {
		t.Fatal(err)
	}
	return storage.Mutation{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: registry.KindOrg, ID: o.ID, Body: b}
}

func TestNodeWritesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	n := startNode(t, cfg)
	comms := area.Children(testStreet)
	st := n.Status()
	if got := st.Records["community"]; got != int64(len(comms)) {
		t.Fatalf("seeded communities: got %d, want %d", got, len(comms))
	}
	var muts []storage.Mutation
	for i := range 25 {
		muts = append(muts, orgMut(t, i, comms[i%len(comms)].Code))
	}
	res, err := n.Write(context.Background(), muts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("org %d: %v", i, r.Err)
		}
	}
	if _, err := New(cfg, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := second.Start(context.Background()); !errors.Is(err, ErrDataDirLocked) {
		t.Fatalf("second agent on the same data dir: got %v, want ErrDataDirLocked", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	n2 := startNode(t, cfg)
	if got := n2.Status().Records["org"]; got != 25 {
		t.Fatalf("orgs after restart: got %d, want 25", got)
	}
	wms := n2.Status().Watermarks
	if len(wms) != 1 || wms[0].Seq != uint64(len(comms)+25) {
		t.Fatalf("watermarks after restart: %+v, want one origin at seq %d (raft replay must not re-apply)", wms, len(comms)+25)
	}
	rep, err := n2.Verify(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("verify after restart: %v %+v", err, rep)
	}
	sum, err := n2.Summary(testStreet, 2023)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Orgs.Total != 25 || len(sum.Children) != len(comms) {
		t.Fatalf("summary: orgs %d children %d, want 25 and %d", sum.Orgs.Total, len(sum.Children), len(comms))
	}
}

func TestCommandRoundTrip(t *testing.T) {
	c := command{Time: 42, Muts: []storage.Mutation{orgMut(t, 1, area.Children(testStreet)[0].Code), {Op: storage.OpDelete, Kind: registry.KindOrg, ID: "x"}}}
	got, err := decodeCommand(encodeCommand(c))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Fatalf("round trip:\n got %v\nwant %v", got, c)
	}
	b := encodeCommand(c)
	for i := range b {
		if _, err := decodeCommand(b[:i]); err == nil {
			t.Fatalf("truncated at %d: decoded without error", i)
		}
	}
	var big command
	for i := range 200 {
		big.Muts = append(big.Muts, orgMut(t, i, area.Children(testStreet)[0].Code))
	}
	z := encodeCommandZ(big)
	if z[1] != cmdLocalBatchZ || len(z) >= len(encodeCommand(big))/2 {
		t.Fatalf("large command: type %d, %d bytes of %d, want compressed", z[1], len(z), len(encodeCommand(big)))
	}
	got, err = decodeCommandAny(z)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(big) {
		t.Fatalf("compressed round trip: %v", err)
	}
	if _, err := decodeCommandAny(z[:len(z)-3]); err == nil {
		t.Fatal("truncated compressed command decoded")
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(encodeCommand(command{Time: 1, Muts: []storage.Mutation{{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: "org", ID: "a", Body: []byte(`{}`)}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCommandAny(b)
		if err != nil {
			return
		}
		if _, err := decodeCommand(encodeCommand(c)); err != nil {
			t.Fatalf("re-encoded command does not decode: %v", err)
		}
	})
}

package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"fedsync/area"
	"fedsync/storage"
)

// saveSnapshot writes n's snapshot to a file and returns its path.
func saveSnapshot(t *testing.T, n *Node) string {
	t.Helper()
	var buf bytes.Buffer
	if err := n.SaveSnapshot(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "node.snap")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeOrgs(t *testing.T, n *Node, from, count int) {
	t.Helper()
	comms := area.Children(n.cfg.Area)
	var muts []storage.Mutation
	for i := from; i < from+count; i++ {
		muts = append(muts, orgMut(t, i, comms[i%len(comms)].Code))
	}
	res, err := n.Write(context.Background(), muts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

// TestSnapshotSaveInspectRestore: a saved snapshot inspects clean, and
// restored into the stopped server it brings back that state, on which
// the server (a new one-voter group) goes on writing.
func TestSnapshotSaveInspectRestore(t *testing.T) {
	cfg := testConfig(t.TempDir())
	n := startNode(t, cfg)
	writeOrgs(t, n, 0, 25)
	path := saveSnapshot(t, n)
	writeOrgs(t, n, 25, 10) // after the snapshot: gone after the restore

	rep, err := InspectSnapshot(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Header.Area != cfg.Area || rep.Header.Server != cfg.Name || rep.Header.RaftIndex == 0 || rep.Records["org"] != 25 || !rep.Verify.OK {
		t.Fatalf("inspect: %+v", rep)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	res, err := RestoreSnapshot(context.Background(), cfg, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.Aside, "fedsync.db")); err != nil {
		t.Fatalf("previous store not kept aside: %v", err)
	}
	n2 := startNode(t, cfg)
	if got := n2.Status().Records["org"]; got != 25 {
		t.Fatalf("orgs after restore: got %d, want 25", got)
	}
	writeOrgs(t, n2, 100, 5)
	if got := n2.Status().Records["org"]; got != 30 {
		t.Fatalf("orgs after writing on the restored server: got %d, want 30", got)
	}
	if rep, err := n2.Verify(context.Background()); err != nil || !rep.OK {
		t.Fatalf("verify after restore: %v %+v", err, rep)
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestSnapshotRefusals: a truncated file, a flipped byte, another area's
// snapshot and a running agent are refused, each by name, and the data
// directory is left as it was.
func TestSnapshotRefusals(t *testing.T) {
	cfg := testConfig(t.TempDir())
	n := startNode(t, cfg)
	writeOrgs(t, n, 0, 10)
	path := saveSnapshot(t, n)
	if _, err := RestoreSnapshot(context.Background(), cfg, path); !errors.Is(err, ErrDataDirLocked) {
		t.Fatalf("restore under a running agent: got %v, want ErrDataDirLocked", err)
	}
	n.Stop()
	good, _ := os.ReadFile(path)
	live := filepath.Join(cfg.DataDir, "fedsync.db")
	before := fileSum(t, live)
	bad := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-100] ^= 0xff
	other := cfg
	other.Area = area.Children(testCounty)[1].Code
	junk := bytes.Repeat([]byte("not a bbolt page "), 4096)
	sum := sha256.Sum256(junk)
	var garbage bytes.Buffer
	gh := SnapshotHeader{Area: cfg.Area, Server: "x", BodyBytes: int64(len(junk)), BodySHA256: hex.EncodeToString(sum[:])}
	if err := writeSnapshotFile(&garbage, gh, func(w io.Writer) (int64, error) { k, err := w.Write(junk); return int64(k), err }); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Config
		path string
		want error
	}{
		{"truncated body", cfg, bad("cut.snap", good[:len(good)-4096]), ErrSnapshotTruncated},
		{"truncated header", cfg, bad("cuthead.snap", good[:20]), ErrSnapshotTruncated},
		{"not a snapshot", cfg, bad("junk.snap", []byte("hello, this is no snapshot file")), ErrSnapshotFormat},
		{"extra bytes", cfg, bad("long.snap", append(bytes.Clone(good), 0)), ErrSnapshotFormat},
		{"checksum", cfg, bad("flip.snap", flipped), ErrSnapshotChecksum},
		{"no store in a checksummed body", cfg, bad("junk.snap", garbage.Bytes()), ErrSnapshotFormat},
		{"other area", other, path, ErrSnapshotArea},
	}
	for _, c := range cases {
		_, err := RestoreSnapshot(context.Background(), c.cfg, c.path)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if c.name != "other area" {
			if _, err := InspectSnapshot(context.Background(), c.path); !errors.Is(err, c.want) {
				t.Errorf("inspect %s: got %v, want %v", c.name, err, c.want)
			}
		}
	}
	if fileSum(t, live) != before {
		t.Fatal("a refused restore changed the store")
	}
	entries, _ := os.ReadDir(cfg.DataDir)
	for _, e := range entries {
		if e.Name() != "fedsync.db" && e.Name() != "raft.db" && e.Name() != "snapshots" {
			t.Errorf("a refused restore left %s in the data dir", e.Name())
		}
	}
}

func FuzzReadSnapshotHeader(f *testing.F) {
	var buf bytes.Buffer
	body := []byte{0}
	sum := sha256.Sum256(body)
	h := SnapshotHeader{Area: testStreet, Server: "s", RaftIndex: 3, BodyBytes: 1, BodySHA256: hex.EncodeToString(sum[:])}
	if err := writeSnapshotFile(&buf, h, func(w io.Writer) (int64, error) { k, err := w.Write(body); return int64(k), err }); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadSnapshotHeader(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := h.check(); err != nil {
			t.Fatalf("accepted a header that fails its check: %v", err)
		}
	})
}

package node

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/proto"
)

func TestPrivacyConfig(t *testing.T) {
	street := testConfig(t.TempDir())
	street.Privacy.UnsafeDevKey = false
	if err := street.Validate(); err == nil || !strings.Contains(err.Error(), "hash_key_file") || !strings.Contains(err.Error(), "fedsync privacy key create") {
		t.Errorf("street without a key: %v, want a refusal naming hash_key_file and how to create it", err)
	}
	if _, err := New(street, nil); err == nil {
		t.Error("New accepted a street without a hash key")
	}
	county := street
	county.Area = testCounty
	provisionTLS(&county) // a certificate of the county
	if err := county.Validate(); err != nil {
		t.Errorf("county without a key: %v, want accepted (counties never hash)", err)
	}
	both := street
	both.Privacy = PrivacyConfig{HashKeyFile: "k", UnsafeDevKey: true}
	if err := both.Validate(); err == nil {
		t.Error("both a key file and the dev key accepted")
	}
}

func TestHashKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hash.key")
	if err := CreateHashKey(path); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	key, err := ReadHashKey(path)
	if err != nil || len(key) != registry.HashKeySize || fi.Mode().Perm() != 0o600 {
		t.Fatalf("created key: %d bytes, mode %v, %v", len(key), fi.Mode().Perm(), err)
	}
	if err := CreateHashKey(path); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second create: %v, want refused (a key is never replaced)", err)
	}
	if k2, _ := ReadHashKey(path); !bytes.Equal(k2, key) {
		t.Fatal("the key changed")
	}
	bad := filepath.Join(dir, "bad.key")
	_ = os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600)
	if _, err := ReadHashKey(bad); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("short key: %v", err)
	}

	// A street with a key file hashes with it; a bad key file stops the start.
	cfg := testConfig(filepath.Join(dir, "street"))
	cfg.Privacy = PrivacyConfig{HashKeyFile: bad}
	n, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "privacy") {
		t.Fatalf("start with a bad key file: %v", err)
	}
	cfg.Privacy.HashKeyFile = path
	s := startNode(t, cfg)
	c := area.Children(testStreet)[0].Code
	res, err := s.Write(context.Background(), []storage.Mutation{orgMut(t, 1, c), talentMut(t, "t1", "org-1", c, "王秀英", "13912345678", "11010519491231002X")})
	if err != nil || res[1].Err != nil {
		t.Fatalf("write: %v %+v", err, res)
	}
	r, _ := registry.NewRedactor(registry.DefaultPolicy(), key)
	want, _ := r.Redact(mustDecode(t, res[1].Body))
	var got []byte
	_ = s.store.Entries(testStreet, res[1].Seq, func(e storage.Entry) bool { got = e.Body; return false })
	if !bytes.Equal(got, want) {
		t.Fatalf("logged body\n got %s\nwant %s (hashed with the key file's key)", got, want)
	}
}

func talentMut(t testing.TB, id, org string, c area.Code, name, phone, idNumber string) storage.Mutation {
	t.Helper()
	b, err := registry.Encode(registry.Talent{ID: id, Org: org, Community: c, Name: name, Phone: phone, IDNumber: idNumber, Role: "队员"})
	if err != nil {
		t.Fatal(err)
	}
	return storage.Mutation{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: registry.KindTalent, ID: id, Body: b}
}

func mustDecode(t testing.TB, body []byte) registry.Record {
	t.Helper()
	rec, err := registry.Decode(registry.KindTalent, body)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestClearPersonalDataRefusedBeforeRaft: a child sending a talent with
// its phone and ID number in clear (chain recomputed, as a child without
// redaction would) is refused before the raft log: the county's raft log
// and store do not change, and the refusal names the rule.
func TestClearPersonalDataRefusedBeforeRaft(t *testing.T) {
	street := startNode(t, testConfig(t.TempDir()))
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = testCounty, "county-test"
	county := startNode(t, ccfg)
	c := area.Children(testStreet)[0].Code
	res, err := street.Write(context.Background(), []storage.Mutation{orgMut(t, 1, c), talentMut(t, "t1", "org-1", c, "王秀英", "13912345678", "11010519491231002X")})
	if err != nil || res[1].Err != nil {
		t.Fatalf("write: %v %+v", err, res)
	}
	var es []storage.Entry
	_ = street.store.Entries(testStreet, 1, func(e storage.Entry) bool { es = append(es, e); return true })
	last := len(es) - 1
	if _, err := county.Welcome(context.Background(), proto.Hello{Version: proto.Version, Sender: testStreet}); err != nil {
		t.Fatal(err)
	}
	claimed := append(bytes.TrimSuffix(bytes.Clone(res[1].Body), []byte("}")), `,"_policy":1}`...)
	for field, body := range map[string][]byte{"talent._policy": res[1].Body, "talent.name": claimed} {
		forged := append([]storage.Entry(nil), es...)
		forged[last].Body = body // the full record, as the street's own store holds it
		forged[last].Chain = storage.ChainNext(forged[last-1].Chain, forged[last])
		before := county.raft.LastIndex()
		a := county.Submit(context.Background(), testStreet, encodeRange(t, testStreet, forged, [32]byte{}))()
		if a.Error == "" || !strings.Contains(a.Error, registry.ErrRedaction.Error()) || !strings.Contains(a.Error, field) || strings.Contains(a.Error, "13912345678") {
			t.Fatalf("ack of a batch with clear personal data: %+v, want refused naming %s", a, field)
		}
		if after := county.raft.LastIndex(); after != before {
			t.Fatalf("the refused batch reached the raft log: index %d → %d", before, after)
		}
	}
	if wms, _ := county.store.Watermarks(); len(wms) != 0 {
		t.Fatalf("county holds %+v after a refused batch", wms)
	}
}

// sentBody returns the body of a put as its origin logs it (redacted with
// the development key), for tests that build a child's entries by hand.
func sentBody(t testing.TB, m storage.Mutation) []byte {
	t.Helper()
	rec, err := registry.Decode(m.Kind, m.Body)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := registry.NewRedactor(registry.DefaultPolicy(), devHashKey)
	b, err := r.Redact(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDevKeyWarns: a node on the public development key says so at start.
func TestDevKeyWarns(t *testing.T) {
	var logs bytes.Buffer
	lw := &lockedWriter{w: &logs}
	n, err := New(testConfig(t.TempDir()), slog.New(slog.NewTextHandler(lw, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.Stop()
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if s := logs.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "UNSAFE") || !strings.Contains(s, "unsafe_dev_key") {
		t.Fatalf("start on the development key logged no warning:\n%s", s)
	}
}

// lockedWriter serializes writes of concurrent loggers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestMigrateV1 opens a file written by schema 1 (testdata/store-v1.db:
// two communities, two orgs, one deleted) and checks that it is migrated
// to the current schema with its data intact.
func TestMigrateV1(t *testing.T) {
	src, err := os.ReadFile("testdata/store-v1.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fedsync.db")
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, testStreet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v uint64
	s.view(func(tx *bolt.Tx) error {
		v = beU64(tx.Bucket(bucketMeta).Get(metaSchema))
		if tx.Bucket(bucketFloor) == nil {
			t.Error("floor bucket missing after migration")
		}
		return nil
	})
	if v != SchemaVersion {
		t.Fatalf("schema after open: %d, want %d", v, SchemaVersion)
	}
	if _, err := s.Get("org", testStreet, "o1"); err != nil {
		t.Fatalf("org o1 after migration: %v", err)
	}
	wms, _ := s.Watermarks()
	if len(wms) != 1 || wms[0].Seq != 5 {
		t.Fatalf("watermarks after migration: %+v, want seq 5", wms)
	}
	rep, err := s.Verify(context.Background())
	if err != nil || !rep.OK {
		t.Fatalf("verify after migration: %v %+v", err, rep)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fedsync.db")
	s, err := Open(path, testStreet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaSchema, u64(SchemaVersion+1)) })
	s.Close()
	if _, err := Open(path, testStreet, Options{}); err == nil {
		t.Fatal("a file of a newer schema was opened")
	}
}

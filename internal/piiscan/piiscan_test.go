package piiscan

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	s := New([]string{"13912345678", "11010519491231002X", "024-23456789", ""})
	if s.Len() != 3 {
		t.Fatalf("Len = %d, want 3", s.Len())
	}
	for _, in := range []string{"13912345678", "139-1234-5678", "139 1234 5678", "+86 13912345678", "１３９１２３４５６７８",
		"110105 19491231 002x", "11010519491231002X", "024-23456789", "02423456789", `"phone":"13912345678"}`} {
		if s.Find([]byte("..."+in+"...")) == "" {
			t.Errorf("%q not found", in)
		}
	}
	for _, in := range []string{"1391234567", "139--1234-5678", "h1:13912345670abc", "1391234a5678", "x13912345679"} {
		if hit := s.Find([]byte(in)); hit != "" {
			t.Errorf("%q: found %q", in, hit)
		}
	}
}

func TestScanDir(t *testing.T) {
	dir := t.TempDir()
	_ = os.MkdirAll(filepath.Join(dir, "snapshots", "1"), 0o750)
	_ = os.WriteFile(filepath.Join(dir, "clean.db"), []byte("h1:0123456789abcdef"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "snapshots", "1", "state.bin"), []byte("..139-1234-5678.."), 0o600)
	hits, sizes, err := New([]string{"13912345678"}).ScanDir(dir)
	if err != nil || len(hits) != 1 || hits[0].Number != "13912345678" || len(sizes) != 2 || sizes[filepath.Join("snapshots", "1", "state.bin")] == 0 {
		t.Fatalf("hits %+v sizes %v err %v", hits, sizes, err)
	}
}

package importer

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"fedsync/area"
	"fedsync/gen"
	"fedsync/registry"
)

// BenchmarkReadCSV100k reads a 100,000-row organization roster.
func BenchmarkReadCSV100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "orgs.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := WriteCSV(f, registry.KindOrg, gen.Records(n, 1, area.MustParse("210102001000")), true); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(path, registry.KindOrg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
		}
		if s := r.Stats(); s.Records != n {
			b.Fatalf("read %d records, want %d", s.Records, n)
		}
		r.Close()
	}
}

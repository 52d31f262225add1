package importer

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"fedsync/registry"
	"github.com/xuri/excelize/v2"
)

// writeFile writes content to name in a fresh temporary directory.
func writeFile(t testing.TB, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// xlsxBytes builds a workbook whose sheet (first) holds rows, cell values
// set with excelize's typed setters (time.Time becomes a dated cell).
func xlsxBytes(t testing.TB, sheet string, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every row of path; fatal is the error that ended reading
// (nil at io.EOF).
func readAll(t testing.TB, path string, kind registry.Kind, opts Options) (rows []Row, stats Stats, fatal error) {
	t.Helper()
	r, err := Open(path, kind, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, r.Stats(), nil
		}
		if err != nil {
			return rows, r.Stats(), err
		}
		rows = append(rows, row)
	}
}

// rowErr returns the *RowError of row, failing when there is none.
func rowErr(t testing.TB, row Row) *RowError {
	t.Helper()
	var re *RowError
	if !errors.As(row.Err, &re) {
		t.Fatalf("row %d: want a *RowError, got %v", row.Line, row.Err)
	}
	return re
}

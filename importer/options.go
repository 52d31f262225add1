package importer

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Options tune Open. The zero value of a field means its default.
type Options struct {
	// Sheet is the .xlsx sheet to read; "" reads the first sheet.
	// Ignored for .csv.
	Sheet string
	// MaxFileBytes refuses larger files. Default 64 MiB.
	MaxFileBytes int64
	// MaxRows refuses files with more data rows. Default 1,000,000.
	MaxRows int
	// MaxUnzipBytes bounds the uncompressed size of an .xlsx (a guard
	// against zip bombs). Default 1 GiB.
	MaxUnzipBytes int64
}

// Defaults of Options.
const (
	DefaultMaxFileBytes  = 64 << 20
	DefaultMaxRows       = 1_000_000
	DefaultMaxUnzipBytes = 1 << 30
)

// DefaultOptions returns the options Open uses for zero fields.
func DefaultOptions() Options {
	return Options{MaxFileBytes: DefaultMaxFileBytes, MaxRows: DefaultMaxRows, MaxUnzipBytes: DefaultMaxUnzipBytes}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = d.MaxFileBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = d.MaxRows
	}
	if o.MaxUnzipBytes <= 0 {
		o.MaxUnzipBytes = d.MaxUnzipBytes
	}
	return o
}

// Format is a roster file format.
type Format string

// Formats Open reads.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// FormatOf returns the format named by path's extension (.csv, .xlsx).
func FormatOf(path string) (Format, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	case ".xls", ".et", ".wps":
		return "", fmt.Errorf("%s: %w: %s is an old binary spreadsheet format; save it as .xlsx (Excel 工作簿) or as CSV UTF-8", filepath.Base(path), ErrFormat, ext)
	default:
		return "", fmt.Errorf("%s: %w: want a .csv or .xlsx file", filepath.Base(path), ErrFormat)
	}
}

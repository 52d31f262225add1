package importer

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"fedsync/registry"
)

// maxTitleRows is how many title rows (one cell of text, e.g. "花名册")
// may stand above the header.
const maxTitleRows = 5

// Row is one data row of a roster: a validated record, or the error that
// kept it from becoming one. Cells are trimmed of surrounding spaces, and
// empty cells leave their field at its zero value.
//
// Line is the 1-based row number in the file: the spreadsheet row of an
// .xlsx, the line on which the record starts in a .csv (the same as the
// row Excel shows unless a cell holds a line break). The header is row 1
// unless blank or title rows precede it.
type Row struct {
	Line   int             // 1-based row number in the file, see above
	ID     string          // the row's id cell, trimmed; may be "" when Err != nil
	Record registry.Record // the decoded, validated record; nil when Err != nil
	Err    error           // a *RowError, or nil
}

// Stats counts what a Reader has read so far.
type Stats struct {
	Rows       int // non-empty data rows read
	Records    int // rows returned as records
	Errors     int // rows returned with an error
	Duplicates int // rows skipped because an earlier row had the same id and content
}

// Reader streams the data rows of one roster file. It is not safe for
// concurrent use.
type Reader struct {
	name   string
	kind   registry.Kind
	opts   Options
	src    source
	cc     cellContext
	hdr    *header
	total  int
	seen   map[string]seenID // ids of earlier rows
	seed   maphash.Seed
	stats  Stats
	err    error     // sticky: the error that ended the file
	closer io.Closer // the file Open opened, if any
}

type seenID struct {
	line int
	sum  uint64 // hash of the record's canonical encoding (or the row's JSON when invalid)
}

// Open opens the roster at path (.csv or .xlsx, by extension) holding
// records of kind, reads its header and returns a Reader positioned at the
// first data row. Errors name the file and say what to fix.
func Open(path string, kind registry.Kind, opts Options) (*Reader, error) {
	name := filepath.Base(path)
	if _, err := FormatOf(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open roster: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open roster: %w", err)
	}
	r, err := OpenReader(f, st.Size(), name, kind, opts)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// OpenReader is Open for a file already at hand (an upload): size bytes of
// ra, whose format follows from name's extension.
func OpenReader(ra io.ReaderAt, size int64, name string, kind registry.Kind, opts Options) (*Reader, error) {
	opts = opts.withDefaults()
	if size < 0 {
		return nil, fmt.Errorf("%s: negative size %d", name, size)
	}
	format, err := FormatOf(name)
	if err != nil {
		return nil, err
	}
	if len(registry.Fields(kind)) == 0 {
		return nil, fmt.Errorf("%s: %w %q", name, registry.ErrUnknownKind, kind)
	}
	if size > opts.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: the file has %d bytes, more than the limit of %d; split it into smaller files",
			name, ErrTooLarge, size, opts.MaxFileBytes)
	}
	var src source
	if format == FormatCSV {
		src, err = newCSV(ra, size)
	} else {
		src, err = newXLSX(ra, size, opts.Sheet, opts.MaxUnzipBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r := &Reader{name: name, kind: kind, opts: opts, src: src, cc: src.cells(), seen: make(map[string]seenID), seed: maphash.MakeSeed()}
	if err := r.readHeader(); err != nil {
		_ = src.close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// readHeader skips blank and title rows and maps the header's columns.
func (r *Reader) readHeader() error {
	titles := 0
	for {
		cells, line, err := r.src.next()
		if err == io.EOF {
			return fmt.Errorf("%w: the file is empty; its first row must name the columns, e.g. %s", ErrHeader, accepted(registry.Fields(r.kind)))
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		if titles < maxTitleRows && isTitle(r.kind, cells) {
			titles++
			continue
		}
		if r.hdr, err = parseHeader(r.kind, cells); err != nil {
			return fmt.Errorf("row %d: %w", line, err)
		}
		var exact bool
		r.total, exact = r.src.remaining()
		if exact && r.total > r.opts.MaxRows {
			return fmt.Errorf("%w: about %d data rows, more than the limit of %d; split the file", ErrTooLarge, r.total, r.opts.MaxRows)
		}
		return nil
	}
}

// Total returns the number of data rows after the header, for progress
// bars: exact for a well-formed .csv, the sheet's used range for an .xlsx
// (blank rows included), -1 when unknown.
func (r *Reader) Total() int { return r.total }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Kind returns the kind of record the Reader reads.
func (r *Reader) Kind() registry.Kind { return r.kind }

// Next returns the next data row, skipping blank rows and identical
// repeats of an earlier row. A row that cannot become a record comes back
// with Row.Err set, and reading goes on. Next returns io.EOF after the last
// row, and any other error when the file cannot be read further (a broken
// quote, a damaged sheet, too many rows); that error repeats on every later
// call.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		cells, line, err := r.src.next()
		if err != nil {
			r.err = err
			if err != io.EOF {
				r.err = fmt.Errorf("%s: %w", r.name, err)
			}
			return Row{}, r.err
		}
		if blank(cells) {
			continue
		}
		if r.stats.Rows++; r.stats.Rows > r.opts.MaxRows {
			r.err = fmt.Errorf("%s: row %d: %w: more than %d data rows; split the file", r.name, line, ErrTooLarge, r.opts.MaxRows)
			return Row{}, r.err
		}
		row, dup := r.row(cells, line)
		switch {
		case dup:
			r.stats.Duplicates++
			continue
		case row.Err != nil:
			r.stats.Errors++
		default:
			r.stats.Records++
		}
		return row, nil
	}
}

// Close releases the file. It is safe to call more than once.
func (r *Reader) Close() error {
	var err error
	if r.src != nil {
		err = r.src.close()
		r.src = nil
	}
	if r.closer != nil {
		err = errors.Join(err, r.closer.Close())
		r.closer = nil
	}
	if r.err == nil {
		r.err = fmt.Errorf("%s: reader closed", r.name)
	}
	return err
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

package importer

import (
	"errors"
	"fmt"

	"fedsync/registry"
)

// Errors of a whole file. Open and Reader.Next wrap them with the file name
// and, where one applies, the line.
var (
	// ErrFormat is returned when the file is neither .csv nor .xlsx, or is
	// a damaged or truncated .xlsx.
	ErrFormat = errors.New("unsupported or damaged roster file")
	// ErrTooLarge is returned when the file is larger than
	// Options.MaxFileBytes or holds more than Options.MaxRows data rows.
	ErrTooLarge = errors.New("roster too large")
	// ErrNotUTF8 is returned when a .csv file is not UTF-8 text.
	ErrNotUTF8 = errors.New("csv file is not UTF-8")
	// ErrHeader is returned when the header row is missing, names unknown
	// columns, names a field twice or lacks a required column.
	ErrHeader = errors.New("bad header row")
	// ErrMalformed is returned when a .csv file cannot be parsed past some
	// line (an unterminated or stray quote) or an .xlsx sheet is broken.
	ErrMalformed = errors.New("malformed roster")
	// ErrSheet is returned when the requested sheet is not in the workbook.
	ErrSheet = errors.New("no such sheet")
)

// Errors of one row, found in RowError.Err (possibly wrapped).
var (
	// ErrNoID is returned for a data row whose id cell is empty.
	ErrNoID = errors.New("row has no id")
	// ErrDuplicateID is returned for a row whose id an earlier row of the
	// same file used with different content.
	ErrDuplicateID = errors.New("duplicate id")
	// ErrCellCount is returned for a .csv row with a different number of
	// cells than the header, or an .xlsx row with a value under no header.
	ErrCellCount = errors.New("wrong number of cells")
	// ErrCell is returned for a cell whose text cannot be converted to the
	// field's type (a number, a yes/no, a date).
	ErrCell = errors.New("bad cell value")
)

// RowError reports a data row that did not become a record. Reading goes
// on with the next row.
type RowError struct {
	Line   int    // 1-based row number in the file (the header is usually row 1)
	Column string // the column's header as written in the file; "" for the whole row
	Field  string // the record field (JSON name); "" for the whole row
	Err    error  // the cause: a *registry.FieldError or one of the row errors above
}

// Error names the row and the column, then says what the value must be.
func (e *RowError) Error() string {
	where := fmt.Sprintf("row %d", e.Line)
	switch {
	case e.Column != "" && e.Column != e.Field && e.Field != "":
		where += fmt.Sprintf(", column %s (%s)", e.Column, e.Field)
	case e.Column != "":
		where += ", column " + e.Column
	case e.Field != "":
		where += ", field " + e.Field
	}
	var fe *registry.FieldError
	if errors.As(e.Err, &fe) && fe.Field == e.Field {
		if fe.Value != "" {
			return fmt.Sprintf("%s: %s (got %q)", where, fe.Rule, fe.Value)
		}
		return where + ": " + fe.Rule
	}
	return where + ": " + e.Err.Error()
}

// Unwrap returns the cause, so that errors.Is and errors.As reach it.
func (e *RowError) Unwrap() error { return e.Err }

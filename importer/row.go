package importer

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"

	"fedsync/registry"
	"github.com/xuri/excelize/v2"
)

// row turns the cells of one data row into a Row. dup reports an identical
// repeat of an earlier row, which the caller skips.
func (r *Reader) row(cells []string, line int) (row Row, dup bool) {
	row = Row{Line: line}
	if r.hdr.idCol < len(cells) {
		row.ID = strings.TrimSpace(cells[r.hdr.idCol])
	}
	if err := r.checkWidth(cells, line); err != nil {
		row.Err = err
		return row, false
	}
	if row.ID == "" {
		row.Err = r.fieldError(line, "id", fmt.Errorf("%w: every row needs an id (the organization's number in your roster)", ErrNoID))
		return row, false
	}
	data, err := r.rowJSON(cells, line)
	if err != nil {
		row.Err = err
		return row, false
	}
	rec, err := registry.Decode(r.kind, data)
	if err == nil {
		err = rec.Validate()
	}
	if err != nil {
		row.Err = r.recordError(line, err)
	}
	sum := r.sum(rec, err, data)
	if first, ok := r.seen[row.ID]; ok {
		if first.sum == sum {
			return row, true
		}
		row.Err = r.fieldError(line, "id", fmt.Errorf("%w: id %q is already used on row %d with different content", ErrDuplicateID, row.ID, first.line))
		return row, false
	}
	r.seen[row.ID] = seenID{line: line, sum: sum}
	if row.Err == nil {
		row.Record = rec
	}
	return row, false
}

// checkWidth refuses a CSV row with a different number of cells than the
// header, and a value in a column that has no header.
func (r *Reader) checkWidth(cells []string, line int) error {
	if r.cc.strictWidth && len(cells) != len(r.hdr.cols) {
		return &RowError{Line: line, Err: fmt.Errorf("%w: the row has %d cells but the header has %d", ErrCellCount, len(cells), len(r.hdr.cols))}
	}
	for i, c := range cells {
		if (i >= len(r.hdr.cols) || r.hdr.cols[i].spec == nil) && strings.TrimSpace(c) != "" {
			return &RowError{Line: line, Column: columnName(i), Err: fmt.Errorf("%w: column %s has a value but no header", ErrCellCount, columnName(i))}
		}
	}
	return nil
}

// rowJSON builds the JSON object of a row from its non-empty cells.
func (r *Reader) rowJSON(cells []string, line int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, col := range r.hdr.cols {
		if col.spec == nil || i >= len(cells) {
			continue
		}
		v := strings.TrimSpace(cells[i])
		if v == "" {
			continue
		}
		val, err := r.cc.convert(col.spec.Type, v)
		if err != nil {
			return nil, &RowError{Line: line, Column: col.header, Field: col.spec.Name, Err: err}
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(col.key)
		b.Write(val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// recordError wraps an error of Decode or Validate with the row and the
// column of the field it names.
func (r *Reader) recordError(line int, err error) error {
	var fe *registry.FieldError
	if errors.As(err, &fe) {
		return r.fieldError(line, fe.Field, err)
	}
	return &RowError{Line: line, Err: err}
}

func (r *Reader) fieldError(line int, field string, err error) error {
	if field == "(record)" { // registry's name for the record as a whole
		field = ""
	}
	e := &RowError{Line: line, Field: field, Err: err}
	if i, ok := r.hdr.byKey[field]; ok {
		e.Column = r.hdr.cols[i].header
	}
	return e
}

// sum hashes a row's content for duplicate detection: the canonical
// encoding of a valid record (so 生活服务类 and life_service agree), the
// row's JSON otherwise.
func (r *Reader) sum(rec registry.Record, err error, data []byte) uint64 {
	if err == nil {
		if enc, e := registry.Encode(rec); e == nil {
			return maphash.Bytes(r.seed, enc)
		}
	}
	return maphash.Bytes(r.seed, append([]byte("invalid\x00"), data...))
}

// columnName returns the spreadsheet name of the 0-based column i ("A").
func columnName(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return name
}

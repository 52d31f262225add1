package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"time"

	"fedsync/registry"
	"github.com/xuri/excelize/v2"
)

// exportColumns are the columns written for a kind: every field of
// registry.Fields, in order.
type exportColumns struct {
	kind   registry.Kind
	specs  []registry.FieldSpec
	labels bool
	index  []int // struct field index of each spec, set from the first record
}

func newExportColumns(kind registry.Kind, labels bool) (*exportColumns, error) {
	specs := registry.Fields(kind)
	if len(specs) == 0 {
		return nil, fmt.Errorf("export: %w %q", registry.ErrUnknownKind, kind)
	}
	return &exportColumns{kind: kind, specs: specs, labels: labels}, nil
}

// header returns the JSON names, or the Chinese labels when labels is set.
func (ec *exportColumns) header() []string {
	out := make([]string, len(ec.specs))
	for i, s := range ec.specs {
		out[i] = s.Name
		if ec.labels && s.Label != "" {
			out[i] = s.Label
		}
	}
	return out
}

// values returns the field values of rec in column order, as Go values:
// string, int64, bool. Enums are Chinese labels when labels is set.
func (ec *exportColumns) values(rec registry.Record) ([]any, error) {
	if rec.Kind() != ec.kind {
		return nil, fmt.Errorf("export %s: record %q is a %s", ec.kind, rec.RecordID(), rec.Kind())
	}
	v := reflect.Indirect(reflect.ValueOf(rec))
	if ec.index == nil {
		if err := ec.indexFields(v.Type()); err != nil {
			return nil, err
		}
	}
	out := make([]any, len(ec.specs))
	for i, idx := range ec.index {
		out[i] = ec.value(v.Field(idx))
	}
	return out, nil
}

// indexFields finds the struct field of each spec by its JSON name.
func (ec *exportColumns) indexFields(t reflect.Type) error {
	byName := jsonFields(t)
	ec.index = make([]int, len(ec.specs))
	for i, s := range ec.specs {
		idx, ok := byName[s.Name]
		if !ok {
			ec.index = nil
			return fmt.Errorf("export %s: field %s not found in %s", ec.kind, s.Name, t)
		}
		ec.index[i] = idx
	}
	return nil
}

type labeler interface{ Label() string }

func (ec *exportColumns) value(f reflect.Value) any {
	switch f.Kind() {
	case reflect.Bool:
		return f.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return f.Int()
	case reflect.String:
		if l, ok := f.Interface().(labeler); ok && ec.labels && f.String() != "" {
			return l.Label()
		}
		return f.String()
	}
	return fmt.Sprint(f.Interface())
}

// jsonFields maps the JSON names of a record struct to field indexes.
func jsonFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// text formats a value for a CSV cell: booleans as 是/否 with labels,
// true/false without.
func (ec *exportColumns) text(v any) string {
	switch v := v.(type) {
	case bool:
		if ec.labels {
			return map[bool]string{true: "是", false: "否"}[v]
		}
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// WriteCSV writes recs, all of kind, as a CSV roster that Open reads back
// to the same records. The header row holds the fields' JSON names, or
// with labels their Chinese labels; with labels enum cells hold Chinese
// labels, booleans 是/否, and the file starts with a UTF-8 byte-order mark
// so that Excel shows the Chinese text.
func WriteCSV(w io.Writer, kind registry.Kind, recs iter.Seq[registry.Record], labels bool) error {
	ec, err := newExportColumns(kind, labels)
	if err != nil {
		return err
	}
	if labels {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return fmt.Errorf("export csv: %w", err)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(ec.header()); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	cells := make([]string, len(ec.specs))
	for rec := range recs {
		vals, err := ec.values(rec)
		if err != nil {
			return err
		}
		for i, v := range vals {
			cells[i] = ec.text(v)
		}
		if err := cw.Write(cells); err != nil {
			return fmt.Errorf("export csv: record %q: %w", rec.RecordID(), err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export csv: %w", err)
	}
	return nil
}

// exportSheet is the name of the sheet WriteXLSX writes.
const exportSheet = "Sheet1"

// WriteXLSX writes recs, all of kind, as an .xlsx roster (one sheet, rows
// streamed to a temporary file rather than held in memory) that Open reads
// back to the same records. Headers and enum cells follow labels as in
// WriteCSV; dates are real Excel dates shown as yyyy-mm-dd, numbers are
// numbers, codes and ids are text.
func WriteXLSX(w io.Writer, kind registry.Kind, recs iter.Seq[registry.Record], labels bool) (err error) {
	ec, err := newExportColumns(kind, labels)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("export xlsx: %w", cerr)
		}
	}()
	xw, err := newXLSXWriter(f, ec)
	if err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	for rec := range recs {
		if err := xw.write(rec); err != nil {
			return err
		}
	}
	if err := xw.sw.Flush(); err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("export xlsx: %w", err)
	}
	return nil
}

// xlsxWriter writes rows of one kind to a stream writer.
type xlsxWriter struct {
	ec        *exportColumns
	sw        *excelize.StreamWriter
	dateStyle int
	row       int
}

func newXLSXWriter(f *excelize.File, ec *exportColumns) (*xlsxWriter, error) {
	sw, err := f.NewStreamWriter(exportSheet)
	if err != nil {
		return nil, err
	}
	xw := &xlsxWriter{ec: ec, sw: sw, row: 1}
	datefmt := "yyyy-mm-dd"
	if xw.dateStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &datefmt}); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	if err := sw.SetColWidth(1, len(ec.specs), 16); err != nil {
		return nil, err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	head := make([]any, len(ec.specs))
	for i, h := range ec.header() {
		head[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	return xw, sw.SetRow("A1", head)
}

func (xw *xlsxWriter) write(rec registry.Record) error {
	vals, err := xw.ec.values(rec)
	if err != nil {
		return err
	}
	for i, v := range vals {
		vals[i] = xw.cell(xw.ec.specs[i].Type, v)
	}
	xw.row++
	cell, _ := excelize.CoordinatesToCellName(1, xw.row)
	if err := xw.sw.SetRow(cell, vals); err != nil {
		return fmt.Errorf("export xlsx: record %q: %w", rec.RecordID(), err)
	}
	return nil
}

// cell turns a value into an xlsx cell: a dated cell for a valid date,
// 是/否 text for a labelled boolean, nothing for an empty string.
func (xw *xlsxWriter) cell(typ string, v any) any {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil
		}
		if typ == "date" {
			if t, err := time.Parse(time.DateOnly, v); err == nil && t.Year() >= 1900 {
				return excelize.Cell{StyleID: xw.dateStyle, Value: t}
			}
		}
	case bool:
		if xw.ec.labels {
			return xw.ec.text(v)
		}
	}
	return v
}

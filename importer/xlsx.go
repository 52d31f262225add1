package importer

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxSource streams the rows of one sheet of a workbook.
type xlsxSource struct {
	f     *excelize.File
	it    *excelize.Rows
	sheet string
	row   int // number of the row last returned
	total int
	cc    cellContext
}

// newXLSX opens the workbook in ra and starts reading sheet ("" = first).
func newXLSX(ra io.ReaderAt, size int64, sheet string, maxUnzip int64) (s *xlsxSource, err error) {
	defer recoverInto(&err)
	if err := checkSheetsWellFormed(ra, size, maxUnzip); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(io.NewSectionReader(ra, 0, size), excelize.Options{
		RawCellValue:   true,
		UnzipSizeLimit: maxUnzip,
	})
	if err != nil {
		return nil, xlsxOpenError(err)
	}
	s = &xlsxSource{f: f, cc: cellContext{serialDates: true}}
	if err := s.start(sheet); err != nil {
		_ = f.Close()
		return nil, err
	}
	return s, nil
}

func (s *xlsxSource) start(sheet string) error {
	names := s.f.GetSheetList()
	if len(names) == 0 {
		return fmt.Errorf("%w: the workbook has no sheet", ErrFormat)
	}
	if sheet == "" {
		sheet = names[0]
	} else if !contains(names, sheet) {
		return fmt.Errorf("%w %q; the workbook's sheets are %s", ErrSheet, sheet, strings.Join(quoteAll(names), ", "))
	}
	s.sheet = sheet
	if props, err := s.f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		s.cc.date1904 = *props.Date1904
	}
	s.total = s.dimensionRows()
	rows, err := s.f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("%w: sheet %q: %v", ErrMalformed, sheet, err)
	}
	s.it = rows
	return nil
}

// dimensionRows reads the last row of the sheet's used range, or -1.
func (s *xlsxSource) dimensionRows() int {
	ref, err := s.f.GetSheetDimension(s.sheet)
	if err != nil || ref == "" {
		return -1
	}
	last := ref[strings.LastIndexByte(ref, ':')+1:]
	_, row, err := excelize.CellNameToCoordinates(last)
	if err != nil {
		return -1
	}
	return row
}

func (s *xlsxSource) next() (cells []string, line int, err error) {
	defer recoverInto(&err)
	if !s.it.Next() {
		if err := s.it.Error(); err != nil {
			return nil, 0, fmt.Errorf("%w: sheet %q after row %d: %v", ErrMalformed, s.sheet, s.row, err)
		}
		return nil, 0, io.EOF
	}
	s.row++
	cells, err = s.it.Columns()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: sheet %q row %d: %v", ErrMalformed, s.sheet, s.row, err)
	}
	return cells, s.row, nil
}

// remaining estimates from the sheet's used range, which may run past the
// last value (formatted empty rows) or be missing.
func (s *xlsxSource) remaining() (int, bool) {
	if s.total < 0 {
		return -1, false
	}
	return max(s.total-s.row, 0), false
}
func (s *xlsxSource) cells() cellContext { return s.cc }

func (s *xlsxSource) close() error {
	var err error
	if s.it != nil {
		err = s.it.Close()
	}
	return errors.Join(err, s.f.Close())
}

func xlsxOpenError(err error) error {
	switch {
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, zip.ErrAlgorithm):
		return fmt.Errorf("%w: not a readable .xlsx workbook (damaged or truncated? re-save it from Excel or WPS): %v", ErrFormat, err)
	case errors.Is(err, excelize.ErrWorkbookFileFormat):
		return fmt.Errorf("%w: not an .xlsx workbook (an old .xls renamed? save it as .xlsx): %v", ErrFormat, err)
	case strings.Contains(err.Error(), "unzip size exceeds"): // excelize has no sentinel for it
		return fmt.Errorf("%w: the workbook unpacks to more than the allowed size: %v", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: cannot open the workbook: %v", ErrFormat, err)
}

// recoverInto turns a panic of the spreadsheet library on hostile input
// into an error.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: the workbook could not be read (%v)", ErrMalformed, r)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// source yields the rows of a roster file as text cells.
type source interface {
	// next returns the cells of the next row and its 1-based row number,
	// io.EOF after the last row. Any other error ends the file.
	next() (cells []string, line int, err error)
	// remaining returns the number of rows after those returned so far,
	// or -1 when unknown; exact is false when it is only an estimate.
	remaining() (n int, exact bool)
	cells() cellContext
	close() error
}

// csvSource reads a UTF-8 CSV file, with or without a byte-order mark.
type csvSource struct {
	r     *csv.Reader
	total int // non-empty records in the file
	read  int // records returned so far
}

// newCSV scans ra (checking UTF-8 and counting rows) and starts reading it.
func newCSV(ra io.ReaderAt, size int64) (*csvSource, error) {
	total, err := scanCSV(io.NewSectionReader(ra, 0, size))
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(io.NewSectionReader(ra, 0, size), 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	return &csvSource{r: r, total: total}, nil
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, fmt.Errorf("%w: line %d, column %d: %v; check that every quote (\") that opens a cell closes it, and that quotes inside a cell are doubled (\"\")",
				ErrMalformed, pe.StartLine, pe.Column, pe.Err)
		}
		return nil, 0, fmt.Errorf("read csv: %w", err)
	}
	s.read++
	line, _ := s.r.FieldPos(0)
	return rec, line, nil
}

func (s *csvSource) remaining() (int, bool) { return max(s.total-s.read, 0), true }
func (s *csvSource) cells() cellContext     { return cellContext{strictWidth: true} }
func (s *csvSource) close() error           { return nil }

// scanCSV checks that r is UTF-8 and counts its non-empty records (lines
// outside quoted cells), the way encoding/csv will split them.
func scanCSV(r io.Reader) (int, error) {
	var (
		buf     = make([]byte, 64<<10)
		carry   int  // bytes of an incomplete rune kept from the last chunk
		line    = 1  // physical line, for the error message
		quoted  bool // inside a quoted cell
		content bool // the current record has a non-newline byte
		records int
	)
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		end := n
		if err == nil {
			end = runeBoundary(buf[:n])
		}
		if bad := invalidUTF8(buf[:end]); bad >= 0 {
			return 0, notUTF8(line + bytes.Count(buf[:bad], []byte{'\n'}))
		}
		for _, b := range buf[:end] {
			switch b {
			case '"':
				quoted = !quoted
				content = true
			case '\n':
				line++
				if !quoted && content {
					records++
					content = false
				}
			case '\r':
			default:
				content = true
			}
		}
		carry = copy(buf, buf[end:n])
		if err == io.EOF {
			if content {
				records++
			}
			return records, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read csv: %w", err)
		}
	}
}

// runeBoundary returns the length of the longest prefix of b that does not
// end inside a UTF-8 sequence.
func runeBoundary(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// invalidUTF8 returns the offset of the first invalid byte of b, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func notUTF8(line int) error {
	return fmt.Errorf("%w: line %d is not UTF-8 text (probably GBK/GB18030, what Excel's plain \"CSV\" saves on Chinese Windows); "+
		"open the file in Excel or WPS and save it as \"CSV UTF-8 (逗号分隔)\", or save it as .xlsx and import that", ErrNotUTF8, line)
}

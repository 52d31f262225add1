package importer

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// checkSheetsWellFormed reads every worksheet part of the workbook with an
// XML tokenizer and refuses a workbook whose sheet XML is cut short or
// broken. The streaming row reader would otherwise take a sheet cut
// mid-row for a shorter sheet and the import would silently stop early.
func checkSheetsWellFormed(ra io.ReaderAt, size, maxUnzip int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return xlsxOpenError(err)
	}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") || !strings.HasSuffix(f.Name, ".xml") {
			continue
		}
		if err := checkXML(f, maxUnzip); err != nil {
			return fmt.Errorf("%w: worksheet %s: %v", ErrMalformed, f.Name, err)
		}
	}
	return nil
}

func checkXML(f *zip.File, maxUnzip int64) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, maxUnzip))
	depth := 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			if depth != 0 {
				return errors.New("the XML ends inside an element (the file is cut short)")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// Package piiscan finds phone and ID numbers in raw bytes, in any common
// written form, for the tests that check that residents' personal data
// stays at the street (node, e2e). It decompresses nothing: it sees what
// lies in a file as plain bytes.
package piiscan

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Scanner looks for a fixed set of numbers. The zero value finds nothing.
type Scanner struct {
	want map[string]bool // normalized numbers
	lens map[int]bool    // their lengths
}

// New returns a scanner for numbers (phone or ID numbers as written, e.g.
// 13912345678, 024-23456789, 11010519491231002X); empty ones are ignored.
func New(numbers []string) *Scanner {
	s := &Scanner{want: map[string]bool{}, lens: map[int]bool{}}
	for _, v := range numbers {
		if n := normalize(v); n != "" {
			s.want[n], s.lens[len(n)] = true, true
		}
	}
	return s
}

// Len returns the number of distinct numbers looked for.
func (s *Scanner) Len() int { return len(s.want) }

// normalize returns a number as digits (and a final X).
func normalize(v string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(v))
}

// Find returns the first number found in raw, or "". A number counts as
// found when the digits of any run of raw contain it: ASCII and fullwidth
// digits (０-９) and x/X count as digits, and a run continues across single
// hyphens, spaces and plus signs, so 139-1234-5678, 139 1234 5678,
// +86 13912345678 and １３９１２３４５６７８ are all found as 13912345678.
func (s *Scanner) Find(raw []byte) string {
	for _, run := range runs(raw) {
		for l := range s.lens {
			for i := 0; i+l <= len(run); i++ {
				if s.want[run[i:i+l]] {
					return run[i : i+l]
				}
			}
		}
	}
	return ""
}

// runs returns every normalized run of at least 7 digits in raw.
func runs(raw []byte) []string {
	var out []string
	var cur []byte
	gap := false
	flush := func() {
		if len(cur) >= 7 {
			out = append(out, string(cur))
		}
		cur, gap = cur[:0], false
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			cur, gap = append(cur, c), false
		case (c == 'x' || c == 'X') && len(cur) > 0:
			cur, gap = append(cur, 'X'), false
		case c == 0xEF && i+2 < len(raw) && raw[i+1] == 0xBC && raw[i+2] >= 0x90 && raw[i+2] <= 0x99:
			cur, gap = append(cur, '0'+raw[i+2]-0x90), false
			i += 2
		case (c == '-' || c == ' ' || c == '+') && len(cur) > 0 && !gap:
			gap = true
		default:
			flush()
		}
	}
	flush()
	return out
}

// Hit is a number found in a file.
type Hit struct {
	Path   string
	Number string
}

// ScanDir reads every file under dir and returns the hits (at most one per
// file) and the size of every file read, by path relative to dir.
func (s *Scanner) ScanDir(dir string) ([]Hit, map[string]int64, error) {
	var hits []Hit
	sizes := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		sizes[rel] = int64(len(raw))
		if n := s.Find(raw); n != "" {
			hits = append(hits, Hit{Path: path, Number: n})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	return hits, sizes, nil
}

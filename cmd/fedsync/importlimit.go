package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// defaultMaxImportBytes bounds the file `fedsync import` reads: a roster of
// 100,000 organizations is about 15 MiB as .xlsx.
const defaultMaxImportBytes = 128 << 20

// byteSize is a flag value in bytes written as 128MiB, 1GiB, 500KiB or a
// plain number of bytes.
type byteSize int64

func (b *byteSize) String() string { return formatBytes(int64(*b)) }
func (b *byteSize) Type() string   { return "SIZE" }

// Set parses a size with an optional KiB, MiB or GiB suffix.
func (b *byteSize) Set(s string) error {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return fmt.Errorf("%q: want a positive size such as 128MiB, 1GiB or 500000", s)
	}
	*b = byteSize(n * mult)
	return nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return strconv.FormatInt(n, 10)
}

// checkImportSize refuses, before reading it, a file larger than limit.
func checkImportSize(path string, limit int64) error {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil // the importer reports what is wrong with it
	}
	if fi.Size() > limit {
		return fmt.Errorf("import %s: the file is %s, above the import size limit of %s; nothing was read or stored (raise the limit with --max-file-size, e.g. --max-file-size %s)",
			path, formatBytes(fi.Size()), formatBytes(limit), formatBytes(roundUpMiB(fi.Size())))
	}
	return nil
}

func roundUpMiB(n int64) int64 { return (n + 1<<20 - 1) &^ (1<<20 - 1) }

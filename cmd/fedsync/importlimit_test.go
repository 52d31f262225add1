package main

import (
	"strings"
	"testing"
)

// TestImportFileSizeLimit: a file above --max-file-size is refused before
// it is read, naming the limit and the flag; nothing reaches the agent.
func TestImportFileSizeLimit(t *testing.T) {
	fake, addr := fakeAgent(t)
	rows := make([][]string, 0, 50)
	for i := range 50 {
		rows = append(rows, orgRow("o"+strings.Repeat("x", i%5)+string(rune('a'+i%26)), "210102001002", "舞蹈队", "culture"))
	}
	path := writeCSV(t, rows...)
	r := runCLI(t, "", append(addr, "import", path, "--kind", "org", "--max-file-size", "1KiB")...)
	if r.code != exitError || !strings.Contains(r.stderr, "above the import size limit of 1KiB") || !strings.Contains(r.stderr, "--max-file-size") {
		t.Errorf("import of a file above the limit:\n%s", r)
	}
	if n := fake.Count("org"); n != 0 {
		t.Errorf("a refused import stored %d records", n)
	}
	if r = runCLI(t, "", append(addr, "import", path, "--kind", "org", "--max-file-size", "lots")...); r.code != exitError || !strings.Contains(r.stderr, "128MiB") {
		t.Errorf("bad --max-file-size:\n%s", r)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"500": 500, "1KiB": 1024, "128MiB": 128 << 20, "2GiB": 2 << 30} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1TB", "x"} {
		var b byteSize
		if b.Set(in) == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
}

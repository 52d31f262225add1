package federation

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fedsync/area"
)

func TestMetaRoundTrip(t *testing.T) {
	for _, m := range []Meta{
		testMeta("province-1", province),
		testMeta("沈阳-和平-1", county),
		{
			Name: strings.Repeat("n", MaxNameLen), Area: street, Level: area.LevelStreet,
			APIAddr:  strings.Repeat("a", MaxAddrLen-6) + ":65535",
			SyncAddr: "[2001:db8::1]:7000", RaftAddr: "raft.example.org:1",
			RaftRole: RoleLeader, Version: strings.Repeat("v", MaxVersionLen),
			Group: GroupID{0xff, 1, 2, 3, 4, 5, 6, 7},
		},
	} {
		b, err := EncodeMeta(m)
		if err != nil {
			t.Fatalf("encode %+v: %v", m, err)
		}
		if len(b) > 512 {
			t.Errorf("%d bytes, over memberlist's 512", len(b))
		}
		got, err := DecodeMeta(b)
		if err != nil || got != m {
			t.Errorf("round trip of %+v: got %+v, %v", m, got, err)
		}
	}
}

// TestMetaGolden pins the version-1 layout: testdata/meta-v1.bin was written
// by this encoder and must always decode (set FEDSYNC_UPDATE_GOLDEN=1 to
// rewrite it, only when adding a format version).
func TestMetaGolden(t *testing.T) {
	m := Meta{
		Name: "heping-1", Area: county, Level: area.LevelCounty,
		APIAddr: "10.21.1.2:8080", SyncAddr: "10.21.1.2:8081", RaftAddr: "10.21.1.2:8082",
		RaftRole: RoleLeader, Version: "0.1.0",
	}
	path := filepath.Join("testdata", "meta-v1.bin")
	b, err := EncodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("FEDSYNC_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("encoding changed:\n got %q\nwant %q", b, want)
	}
	if got, err := DecodeMeta(want); err != nil || got != m {
		t.Errorf("golden decodes to %+v, %v", got, err)
	}
}

// TestMetaGoldenV2 pins the version-2 layout (a raft group), as
// TestMetaGolden pins version 1.
func TestMetaGoldenV2(t *testing.T) {
	m := Meta{
		Name: "heping-1", Area: county, Level: area.LevelCounty,
		APIAddr: "10.21.1.2:8080", SyncAddr: "10.21.1.2:8081", RaftAddr: "10.21.1.2:8082",
		RaftRole: RoleFollower, Version: "0.5.0", Group: GroupID{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3},
	}
	path := filepath.Join("testdata", "meta-v2.bin")
	b, err := EncodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 2 || len(b) != len("x")+12+3+8+5+len("heping-1")+3*len("10.21.1.2:8080")+len("0.5.0") {
		t.Fatalf("version-2 encoding: %q", b)
	}
	if os.Getenv("FEDSYNC_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("encoding changed:\n got %q\nwant %q", b, want)
	}
	if got, err := DecodeMeta(want); err != nil || got != m {
		t.Errorf("golden decodes to %+v, %v", got, err)
	}
	zero := bytes.Clone(want)
	copy(zero[16:24], make([]byte, 8))
	var fe *FieldError
	if _, err := DecodeMeta(zero); !errors.As(err, &fe) || fe.Field != "meta.group" {
		t.Errorf("version 2 with a zero group: %v, want a meta.group error", err)
	}
	if _, err := DecodeMeta(want[:20]); !errors.As(err, &fe) || fe.Field != "meta.group" {
		t.Errorf("version 2 cut in the group: %v, want a meta.group error", err)
	}
	if g, err := ParseGroupID(m.Group.String()); err != nil || g != m.Group {
		t.Errorf("group %s does not parse back: %v %v", m.Group, g, err)
	}
	if _, err := ParseGroupID("xyz"); err == nil {
		t.Error("ParseGroupID accepted xyz")
	}
}

func TestDecodeMetaNamesTheField(t *testing.T) {
	good, err := encodeMeta(testMeta("s1", street), flagLeaving)
	if err != nil {
		t.Fatal(err)
	}
	if _, flags, err := decodeMeta(good); err != nil || flags != flagLeaving {
		t.Fatalf("good meta: flags %v, %v", flags, err)
	}
	patch := func(i int, v byte) []byte { b := bytes.Clone(good); b[i] = v; return b }
	nameAt := metaFixedLen // length byte of the name
	apiAt := nameAt + 1 + len("s1")
	tests := []struct {
		name  string
		in    []byte
		field string
	}{
		{"empty", nil, "meta.format"},
		{"version 3", patch(0, 3), "meta.format"},
		{"short area", good[:7], "meta.area"},
		{"no flags", good[:15], "meta.flags"},
		{"letter in area", patch(5, 'x'), "meta.area"},
		{"level of a city", patch(13, byte(area.LevelCity)), "meta.level"},
		{"role 3", patch(14, 3), "meta.raft_role"},
		{"unknown flag", patch(15, 0x80), "meta.flags"},
		{"name length past end", patch(nameAt, 250), "meta.name"},
		{"empty name", append(append([]byte{}, good[:nameAt]...), append([]byte{0}, good[apiAt:]...)...), "meta.name"},
		{"api addr cut", good[:apiAt+3], "meta.api_addr"},
		{"no version", good[:len(good)-6], "meta.version"},
		{"trailing byte", append(bytes.Clone(good), 0), "meta.trailing"},
		{"space in name", patch(nameAt+1, ' '), "meta.name"},
		{"api port zero", []byte(strings.Replace(string(good), ":8080", ":0000", 1)), "meta.api_addr"},
		{"too long", append(bytes.Clone(good), make([]byte, 600)...), "meta"},
	}
	for _, tt := range tests {
		_, err := DecodeMeta(tt.in)
		var fe *FieldError
		if !errors.Is(err, ErrBadMeta) || !errors.As(err, &fe) {
			t.Errorf("%s: %v, want ErrBadMeta and a *FieldError", tt.name, err)
			continue
		}
		if fe.Field != tt.field {
			t.Errorf("%s: field %q (%v), want %q", tt.name, fe.Field, err, tt.field)
		}
	}
}

func TestMetaValidate(t *testing.T) {
	ok := testMeta("s1", street)
	noSync := ok
	noSync.SyncAddr = ""
	if b, err := EncodeMeta(noSync); err != nil {
		t.Errorf("a street without a sync address: %v", err)
	} else if got, err := DecodeMeta(b); err != nil || got != noSync {
		t.Errorf("a street without a sync address decodes to %+v, %v", got, err)
	}
	tests := []struct {
		name  string
		edit  func(m *Meta)
		field string
	}{
		{"name with slash", func(m *Meta) { m.Name = "a/b" }, "meta.name"},
		{"name too long", func(m *Meta) { m.Name = strings.Repeat("x", 65) }, "meta.name"},
		{"name with control", func(m *Meta) { m.Name = "a\x01" }, "meta.name"},
		{"bad utf-8", func(m *Meta) { m.Name = "a\xff" }, "meta.name"},
		{"area not a code", func(m *Meta) { m.Area = "21" }, "meta.area"},
		{"level mismatch", func(m *Meta) { m.Level = area.LevelCounty }, "meta.level"},
		{"community", func(m *Meta) {
			m.Area, m.Level = area.MustParse("210102001001"), area.LevelCommunity
		}, "meta.level"},
		{"no port", func(m *Meta) { m.SyncAddr = "10.0.0.1" }, "meta.sync_addr"},
		{"county without sync addr", func(m *Meta) {
			m.Area, m.Level, m.SyncAddr = county, area.LevelCounty, ""
		}, "meta.sync_addr"},
		{"no host", func(m *Meta) { m.RaftAddr = ":8082" }, "meta.raft_addr"},
		{"port too big", func(m *Meta) { m.APIAddr = "h:65536" }, "meta.api_addr"},
		{"addr too long", func(m *Meta) { m.APIAddr = strings.Repeat("h", 130) + ":1" }, "meta.api_addr"},
		{"role", func(m *Meta) { m.RaftRole = 9 }, "meta.raft_role"},
		{"no version", func(m *Meta) { m.Version = "" }, "meta.version"},
		{"version with space", func(m *Meta) { m.Version = "1 2" }, "meta.version"},
	}
	for _, tt := range tests {
		m := ok
		tt.edit(&m)
		var fe *FieldError
		if err := m.Validate(); !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v, want a *FieldError on %s", tt.name, err, tt.field)
		}
		if _, err := EncodeMeta(m); err == nil {
			t.Errorf("%s: EncodeMeta accepted it", tt.name)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	for _, m := range []Meta{testMeta("s1", street), testMeta("省-1", province)} {
		b, _ := EncodeMeta(m)
		f.Add(b)
		lb, _ := encodeMeta(m, flagLeaving)
		f.Add(lb)
	}
	for _, name := range []string{"meta-v1.bin", "meta-v2.bin"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, in []byte) {
		m, flags, err := decodeMeta(in)
		if err != nil {
			var fe *FieldError
			if !errors.Is(err, ErrBadMeta) || !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error %v names no field", err)
			}
			return
		}
		// Whatever decodes is valid and re-encodes to the same bytes.
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded invalid meta %+v: %v", m, err)
		}
		out, err := encodeMeta(m, flags)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("re-encoding %+v: %q, %v; input %q", m, out, err, in)
		}
	})
}

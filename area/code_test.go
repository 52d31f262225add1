package area

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Level
		wantErr string
	}{
		{"210000000000", LevelProvince, ""},
		{"210100000000", LevelCity, ""},
		{"210102000000", LevelCounty, ""},
		{"210102001000", LevelStreet, ""},
		{"210102001001", LevelCommunity, ""},
		{"", LevelInvalid, "want 12 digits"},
		{"21010200100", LevelInvalid, "want 12 digits"},
		{"2101020010011", LevelInvalid, "want 12 digits"},
		{"21010200100a", LevelInvalid, "character 12 is not a digit"},
		{"２10102001001", LevelInvalid, "want 12 digits"}, // full-width digit is 3 bytes
		{" 21010200100", LevelInvalid, "character 1 is not a digit"},
		{"000000000000", LevelInvalid, "non-zero segment"},
		{"001000000000", LevelInvalid, "non-zero segment"},
		{"210002000000", LevelInvalid, "non-zero segment"},
		{"210100001000", LevelInvalid, "non-zero segment"},
		{"210102000001", LevelInvalid, "non-zero segment"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("Parse(%q) = %q on error, want empty", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got.String() != tt.in || got.Level() != tt.want || !got.Valid() {
			t.Errorf("Parse(%q) = %q level %s, want level %s", tt.in, got, got.Level(), tt.want)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse(bad) did not panic")
		}
	}()
	MustParse("bad")
}

func TestLevelString(t *testing.T) {
	for l := LevelProvince; l <= LevelCommunity; l++ {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	for _, s := range []string{"invalid", "", "Street"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("ParseLevel(%q) succeeded, want error", s)
		}
	}
	if got := Level(99).String(); got != "invalid" {
		t.Errorf("Level(99).String() = %q, want invalid", got)
	}
}

func TestParentAndAtLevel(t *testing.T) {
	tests := []struct {
		code                         Code
		parent, city, county, street Code
	}{
		{"210102001001", "210102001000", "210100000000", "210102000000", "210102001000"},
		{"210102001000", "210102000000", "210100000000", "210102000000", "210102001000"},
		{"210102000000", "210100000000", "210100000000", "210102000000", ""},
		{"210100000000", "210000000000", "210100000000", "", ""},
		{"210000000000", "", "", "", ""},
		{"bogus", "", "", "", ""},
	}
	for _, tt := range tests {
		if got := tt.code.Parent(); got != tt.parent {
			t.Errorf("%s.Parent() = %q, want %q", tt.code, got, tt.parent)
		}
		for _, c := range []struct {
			l    Level
			want Code
		}{{LevelCity, tt.city}, {LevelCounty, tt.county}, {LevelStreet, tt.street}} {
			if got := tt.code.AtLevel(c.l); got != c.want {
				t.Errorf("%s.AtLevel(%s) = %q, want %q", tt.code, c.l, got, c.want)
			}
		}
	}
	if got := Code("210102001001").AtLevel(LevelInvalid); got != "" {
		t.Errorf("AtLevel(LevelInvalid) = %q, want empty", got)
	}
}

func TestPrefix(t *testing.T) {
	tests := map[Code]string{
		"210000000000": "21",
		"210100000000": "2101",
		"210102001000": "210102001",
		"210102001001": "210102001001",
		"x":            "x",
	}
	for c, want := range tests {
		if got := c.Prefix(); got != want {
			t.Errorf("%s.Prefix() = %q, want %q", c, got, want)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		c, o Code
		want bool
	}{
		{"210000000000", "210102001001", true},
		{"210100000000", "210102001001", true},
		{"210102001000", "210102001001", true},
		{"210102001001", "210102001001", true},
		{"210102001000", "210102002001", false},
		{"210200000000", "210102001001", false},
		{"210102001001", "210102001000", false}, // child does not contain parent
		{"220000000000", "210102001001", false},
		{"bogus", "210102001001", false},
		{"210000000000", "bogus", false},
	}
	for _, tt := range tests {
		if got := tt.c.Contains(tt.o); got != tt.want {
			t.Errorf("%s.Contains(%s) = %v, want %v", tt.c, tt.o, got, tt.want)
		}
	}
}

func TestAncestors(t *testing.T) {
	tests := []struct {
		c    Code
		want []Code
	}{
		{"210102001001", []Code{"210102001001", "210102001000", "210102000000", "210100000000", "210000000000"}},
		{"210100000000", []Code{"210100000000", "210000000000"}},
		{"210000000000", []Code{"210000000000"}},
		{"bogus", nil},
	}
	for _, tt := range tests {
		if got := tt.c.Ancestors(); !slices.Equal(got, tt.want) {
			t.Errorf("%s.Ancestors() = %v, want %v", tt.c, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics, accepts only well-formed codes,
// and that every accepted code is consistent with its level and ancestors.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"210102001001", "210100000000", "000000000000", "21010200100x", "", "2101020010011"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			if c != "" {
				t.Fatalf("Parse(%q) returned %q with error", s, c)
			}
			return
		}
		if string(c) != s || !c.Valid() {
			t.Fatalf("Parse(%q) = %q, valid=%v", s, c, c.Valid())
		}
		anc := c.Ancestors()
		if len(anc) != int(c.Level()) || anc[len(anc)-1].Level() != LevelProvince {
			t.Fatalf("%s: ancestors %v do not match level %s", c, anc, c.Level())
		}
		for _, a := range anc {
			if !a.Contains(c) {
				t.Fatalf("%s does not contain descendant %s", a, c)
			}
		}
		if p := c.Parent(); p != "" && p.Level() != c.Level()-1 {
			t.Fatalf("%s: parent %s at level %s", c, p, p.Level())
		}
	})
}

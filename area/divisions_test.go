package area

import (
	"slices"
	"strings"
	"testing"
)

func TestDivisionCounts(t *testing.T) {
	got := map[Level]int{}
	for _, d := range loadIndex().byCode {
		got[d.Level]++
	}
	want := map[Level]int{LevelProvince: 1, LevelCity: 14, LevelCounty: 100, LevelStreet: 1393, LevelCommunity: 16435}
	for l, n := range want {
		if got[l] != n {
			t.Errorf("%s rows = %d, want %d", l, got[l], n)
		}
	}
	if n := len(Communities("210000000000")); n != 16435 {
		t.Errorf("Communities(province) = %d rows, want 16435", n)
	}
	if n := len(Children("210000000000")); n != 14 {
		t.Errorf("Children(province) = %d rows, want 14", n)
	}
}

func TestUrbanRuralClasses(t *testing.T) {
	valid := map[string]bool{"111": true, "112": true, "121": true, "122": true, "123": true, "210": true, "220": true}
	urban, rural := 0, 0
	for _, d := range Communities("210000000000") {
		if !valid[d.UrbanRural] {
			t.Errorf("%s %s: urban_rural %q is not a valid class", d.Code, d.Name, d.UrbanRural)
		}
		if d.Urban() {
			urban++
		} else {
			rural++
		}
	}
	if urban != 6760 || rural != 9675 {
		t.Errorf("urban/rural = %d/%d, want 6760/9675", urban, rural)
	}
}

func TestHepingChildren(t *testing.T) {
	got := Children("210102000000")
	want := []string{"浑河湾街道", "新华街道", "马路湾街道", "南湖街道", "长白街道",
		"太原街街道", "北市场街道", "南市场街道", "沈水湾街道", "浑河站西街道"}
	if len(got) != len(want) {
		t.Fatalf("Children(和平区) = %d rows, want %d", len(got), len(want))
	}
	for i, d := range got {
		if d.Name != want[i] || d.Level != LevelStreet || d.Parent != "210102000000" {
			t.Errorf("child %d = %+v, want street %s of 210102000000", i, d, want[i])
		}
	}
	if !slices.IsSortedFunc(got, byCode) {
		t.Error("Children not sorted by code")
	}
	if got[0].Code != "210102001000" {
		t.Errorf("first child = %s, want 210102001000", got[0].Code)
	}
}

func TestLookupAndName(t *testing.T) {
	d, ok := Lookup("210102000000")
	if !ok || d.Name != "和平区" || d.Level != LevelCounty || d.Parent != "210100000000" || d.UrbanRural != "" {
		t.Errorf("Lookup(和平区) = %+v, %v", d, ok)
	}
	if got := Name("210100000000"); got != "沈阳市" {
		t.Errorf("Name(210100000000) = %q, want 沈阳市", got)
	}
	for _, c := range []Code{"", "bogus", "220000000000", "210703000001"} {
		if _, ok := Lookup(c); ok {
			t.Errorf("Lookup(%q) found a row", c)
		}
		if got := Name(c); got != "" {
			t.Errorf("Name(%q) = %q, want empty", c, got)
		}
	}
}

func TestCommunitiesSubtree(t *testing.T) {
	street := Children("210102000000")[0].Code
	got := Communities(street)
	if len(got) == 0 {
		t.Fatalf("Communities(%s) is empty", street)
	}
	if !slices.IsSortedFunc(got, byCode) {
		t.Error("Communities not sorted by code")
	}
	for _, d := range got {
		if d.Level != LevelCommunity || d.Parent != street {
			t.Errorf("Communities(%s) holds %+v", street, d)
		}
	}
	if !slices.Equal(got, Children(street)) {
		t.Error("a street's communities differ from its children")
	}
	one := Communities(got[0].Code)
	if len(one) != 1 || one[0] != got[0] {
		t.Errorf("Communities(community) = %v, want itself", one)
	}
	sum := 0
	for _, city := range Children("210000000000") {
		sum += len(Communities(city.Code))
	}
	if sum != 16435 {
		t.Errorf("communities summed over cities = %d, want 16435", sum)
	}
	for _, c := range []Code{"bogus", "210703000000", "220000000000"} {
		if got := Communities(c); got != nil {
			t.Errorf("Communities(%q) = %d rows, want nil", c, len(got))
		}
	}
}

func TestChildrenIsACopy(t *testing.T) {
	a := Children("210102000000")
	a[0].Name = "changed"
	if b := Children("210102000000"); b[0].Name == "changed" {
		t.Error("Children returned shared storage")
	}
}

func TestEveryRowConsistent(t *testing.T) {
	for c, d := range loadIndex().byCode {
		if d.Code != c || d.Level != c.Level() {
			t.Errorf("%s: row %+v inconsistent", c, d)
		}
		if d.Level > LevelProvince {
			if _, ok := Lookup(d.Parent); !ok {
				t.Errorf("%s: parent %s missing", c, d.Parent)
			}
		}
	}
}

func TestParseDivisionsErrors(t *testing.T) {
	const hdr = "code\tname\tlevel\tparent_code\turban_rural\n"
	tests := map[string]string{
		"bad header":      "code\tname\n",
		"short row":       hdr + "210000000000\t辽宁省\tprovince\n",
		"bad code":        hdr + "21000000000x\t辽宁省\tprovince\t\t\n",
		"wrong level":     hdr + "210100000000\t沈阳市\tcounty\t210000000000\t\n",
		"wrong parent":    hdr + "210100000000\t沈阳市\tcity\t220000000000\t\n",
		"class on a city": hdr + "210100000000\t沈阳市\tcity\t210000000000\t111\n",
		"no class":        hdr + "210102001001\tx社区\tcommunity\t210102001000\t\n",
		"empty name":      hdr + "210000000000\t\tprovince\t\t\n",
		"duplicate":       hdr + "210000000000\t辽宁省\tprovince\t\t\n210000000000\t辽宁省\tprovince\t\t\n",
		"unknown level":   hdr + "210000000000\t辽宁省\tstate\t\t\n",
	}
	for name, tsv := range tests {
		if _, err := parseDivisions(tsv); err == nil {
			t.Errorf("%s: parseDivisions succeeded", name)
		} else if name != "bad header" && !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error %q does not name the line", name, err)
		}
	}
}

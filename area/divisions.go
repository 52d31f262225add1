package area

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// DataEdition names the edition of the embedded division data (see
// DIVISIONS-SOURCE.md).
const DataEdition = "NBS 2022 (reference date 2022-10-31)"

//go:embed divisions.tsv
var divisionsTSV string

// Division is one row of the embedded division data of Liaoning.
type Division struct {
	Code       Code   // 12-digit division code
	Name       string // name as published, e.g. 浑河湾社区居委会
	Level      Level  // level of Code
	Parent     Code   // code one level up; "" for the province
	UrbanRural string // 城乡分类代码 for community rows ("111".."220"); "" otherwise
}

// Urban reports whether d is an urban community (城乡分类代码 1xx). It is
// false for rural communities (2xx) and for rows above community level.
func (d Division) Urban() bool { return strings.HasPrefix(d.UrbanRural, "1") }

// divisionIndex is the parsed division data. It is built once and never
// modified afterwards, so it is safe for concurrent readers.
type divisionIndex struct {
	byCode      map[Code]Division
	children    map[Code][]Division // direct children by parent, sorted by code
	communities []Division          // every community row, sorted by code
}

var (
	indexOnce sync.Once
	index     *divisionIndex
)

// loadIndex parses the embedded data on first use. The data is part of the
// binary and checked by tests, so a parse failure is a build defect and
// panics.
func loadIndex() *divisionIndex {
	indexOnce.Do(func() {
		idx, err := parseDivisions(divisionsTSV)
		if err != nil {
			panic(fmt.Sprintf("area: embedded divisions.tsv is corrupt: %v", err))
		}
		index = idx
	})
	return index
}

// parseDivisions parses the TSV form described in DIVISIONS-SOURCE.md.
func parseDivisions(tsv string) (*divisionIndex, error) {
	lines := strings.Split(strings.TrimRight(tsv, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "code\tname\tlevel\tparent_code\turban_rural" {
		return nil, fmt.Errorf("unexpected header line")
	}
	idx := &divisionIndex{
		byCode:   make(map[Code]Division, len(lines)),
		children: make(map[Code][]Division),
	}
	for i, line := range lines[1:] {
		d, err := parseDivision(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		if _, dup := idx.byCode[d.Code]; dup {
			return nil, fmt.Errorf("line %d: duplicate code %s", i+2, d.Code)
		}
		idx.byCode[d.Code] = d
		if d.Parent != "" {
			idx.children[d.Parent] = append(idx.children[d.Parent], d)
		}
		if d.Level == LevelCommunity {
			idx.communities = append(idx.communities, d)
		}
	}
	for _, kids := range idx.children {
		slices.SortFunc(kids, byCode)
	}
	slices.SortFunc(idx.communities, byCode)
	return idx, nil
}

func byCode(a, b Division) int { return strings.Compare(string(a.Code), string(b.Code)) }

// parseDivision parses one data line and checks it against the code rules.
func parseDivision(line string) (Division, error) {
	f := strings.Split(line, "\t")
	if len(f) != 5 {
		return Division{}, fmt.Errorf("want 5 tab-separated fields, got %d", len(f))
	}
	c, err := Parse(f[0])
	if err != nil {
		return Division{}, err
	}
	lvl, err := ParseLevel(f[2])
	if err != nil {
		return Division{}, fmt.Errorf("code %s: %w", c, err)
	}
	d := Division{Code: c, Name: f[1], Level: lvl, Parent: Code(f[3]), UrbanRural: f[4]}
	switch {
	case d.Name == "":
		return Division{}, fmt.Errorf("code %s: empty name", c)
	case lvl != c.Level():
		return Division{}, fmt.Errorf("code %s: level %s does not match the code", c, lvl)
	case d.Parent != c.Parent():
		return Division{}, fmt.Errorf("code %s: parent %q does not match the code", c, d.Parent)
	case (lvl == LevelCommunity) != (d.UrbanRural != ""):
		return Division{}, fmt.Errorf("code %s: urban_rural %q set on the wrong level", c, d.UrbanRural)
	}
	return d, nil
}

// Lookup returns the division with code c, and false when c is not in the
// embedded data (malformed, outside Liaoning, or one of the known gaps).
func Lookup(c Code) (Division, bool) {
	d, ok := loadIndex().byCode[c]
	return d, ok
}

// Name returns the published name of c, or "" when c is unknown.
func Name(c Code) string { return loadIndex().byCode[c].Name }

// Children returns the direct children of c sorted by code, or nil when c
// has none or is unknown. The slice is the caller's to modify.
func Children(c Code) []Division {
	return slices.Clone(loadIndex().children[c])
}

// Communities returns every community-level division in c's subtree, c
// itself included when c is a community, sorted by code. It returns nil for
// an invalid code or one with no communities in the data.
func Communities(c Code) []Division {
	if !c.Valid() {
		return nil
	}
	all := loadIndex().communities
	prefix := c.Prefix()
	lo, _ := slices.BinarySearchFunc(all, prefix, func(d Division, p string) int {
		return strings.Compare(string(d.Code), p)
	})
	hi := lo
	for hi < len(all) && strings.HasPrefix(string(all[hi].Code), prefix) {
		hi++
	}
	if hi == lo {
		return nil
	}
	return slices.Clone(all[lo:hi])
}

// Package area owns the 12-digit statistical division codes (统计用区划代码)
// that name every area of the federation, and the embedded division data of
// Liaoning used to seed a street's communities.
//
// A code has five segments: province (2 digits), city (2), county (2),
// street/township (3) and community/village (3). A code of a higher level
// pads the lower segments with zeros: 210100000000 is Shenyang, 210102001000
// a street of its 和平区. Level and parent follow from the code alone.
package area

import (
	"fmt"
)

// Code is a validated 12-digit division code. The zero value is not a valid
// code; obtain codes with Parse or MustParse.
type Code string

// Level is the administrative level of an area.
type Level int

// Levels from the top of the hierarchy down.
const (
	LevelInvalid Level = iota
	LevelProvince
	LevelCity
	LevelCounty
	LevelStreet
	LevelCommunity
)

var levelNames = [...]string{"invalid", "province", "city", "county", "street", "community"}

// String returns the English name used in configs and JSON ("street").
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "invalid"
	}
	return levelNames[l]
}

// ParseLevel parses a level name as written by Level.String.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if i > 0 && n == s {
			return Level(i), nil
		}
	}
	return LevelInvalid, fmt.Errorf("unknown level %q (want province, city, county, street or community)", s)
}

// segment ends: code[:segEnd[l]] is the significant prefix of a level-l code.
var segEnd = [...]int{0, 2, 4, 6, 9, 12}

// Parse validates s as a division code: exactly 12 ASCII digits, a non-zero
// province segment, and no non-zero segment below a zero one.
func Parse(s string) (Code, error) {
	if len(s) != 12 {
		return "", fmt.Errorf("area code %q: want 12 digits, got %d characters", s, len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", fmt.Errorf("area code %q: character %d is not a digit", s, i+1)
		}
	}
	c := Code(s)
	if c.Level() == LevelInvalid {
		return "", fmt.Errorf("area code %q: a non-zero segment follows a zero segment (or the province is 00)", s)
	}
	return c, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) Code {
	c, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

func zero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// Level returns the level of c, or LevelInvalid when c is malformed.
func (c Code) Level() Level {
	s := string(c)
	if len(s) != 12 || zero(s[0:2]) {
		return LevelInvalid
	}
	lvl := LevelProvince
	for l := LevelCity; l <= LevelCommunity; l++ {
		seg := s[segEnd[l-1]:segEnd[l]]
		if zero(seg) {
			break
		}
		lvl = l
	}
	if !zero(s[segEnd[lvl]:]) {
		return LevelInvalid
	}
	return lvl
}

// Valid reports whether c is a well-formed code.
func (c Code) Valid() bool { return c.Level() != LevelInvalid }

// String returns the 12 digits.
func (c Code) String() string { return string(c) }

// Parent returns the code one level up, or "" for a province or an invalid code.
func (c Code) Parent() Code {
	l := c.Level()
	if l <= LevelProvince {
		return ""
	}
	return c.AtLevel(l - 1)
}

// AtLevel returns the ancestor of c at level l (c itself when l is c's level),
// or "" when l is below c's level or invalid.
func (c Code) AtLevel(l Level) Code {
	if l < LevelProvince || l > c.Level() {
		return ""
	}
	s := string(c)[:segEnd[l]]
	return Code(s + "000000000000"[:12-len(s)])
}

// Prefix returns the significant digits of c: "2101" for a city. Every code
// contained in c starts with this prefix.
func (c Code) Prefix() string {
	l := c.Level()
	if l == LevelInvalid {
		return string(c)
	}
	return string(c)[:segEnd[l]]
}

// Contains reports whether o lies in c's subtree (c contains itself).
func (c Code) Contains(o Code) bool {
	lc, lo := c.Level(), o.Level()
	if lc == LevelInvalid || lo == LevelInvalid || lo < lc {
		return false
	}
	return o.AtLevel(lc) == c
}

// Ancestors returns c and every ancestor of c, from c up to the province.
// It returns nil for an invalid code.
func (c Code) Ancestors() []Code {
	l := c.Level()
	if l == LevelInvalid {
		return nil
	}
	out := make([]Code, 0, int(l))
	for ; l >= LevelProvince; l-- {
		out = append(out, c.AtLevel(l))
	}
	return out
}

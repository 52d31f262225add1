package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fedsync/area"
)

// The field rules Validate combines. Each returns nil or a *FieldError with
// Field, Rule and (except for PII) Value set; firstError fills in Kind.

// checkID: non-empty, at most MaxIDLen characters from [A-Za-z0-9._:-].
func checkID(field, s string) *FieldError {
	switch {
	case s == "":
		return &FieldError{Field: field, Rule: "is required"}
	case len(s) > MaxIDLen:
		return &FieldError{Field: field, Rule: fmt.Sprintf("must be at most %d characters", MaxIDLen), Value: clip(s)}
	}
	for i := 0; i < len(s); i++ {
		if !idChar(s[i]) {
			return &FieldError{Field: field, Rule: "must hold only letters A-Z a-z, digits and . _ : -", Value: clip(s)}
		}
	}
	return nil
}

func idChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == ':' || c == '-'
}

// checkCode: a well-formed 12-digit code at one of levels. An empty code is
// refused when required, accepted otherwise.
func checkCode(field string, c area.Code, required bool, levels ...area.Level) *FieldError {
	if c == "" {
		if required {
			return &FieldError{Field: field, Rule: "is required: a 12-digit " + levelList(levels) + " code"}
		}
		return nil
	}
	if _, err := area.Parse(string(c)); err != nil {
		return &FieldError{Field: field, Rule: "must be a 12-digit " + levelList(levels) + " code", Value: clip(string(c))}
	}
	if !slices.Contains(levels, c.Level()) {
		return &FieldError{Field: field, Rule: fmt.Sprintf("must be a %s code, not a %s code", levelList(levels), c.Level()), Value: string(c)}
	}
	return nil
}

func levelList(levels []area.Level) string {
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.String()
	}
	if len(names) > 1 {
		return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	}
	return strings.Join(names, "")
}

// checkName: at most MaxNameLen runes of valid UTF-8 without control
// characters; not blank when required, empty or not blank otherwise.
func checkName(field, s string, required bool) *FieldError {
	return checkText(field, s, required, false)
}

// piiName is checkName for an optional PII field: the value is never quoted.
func piiName(field, s string) *FieldError { return checkText(field, s, false, true) }

func checkText(field, s string, required, pii bool) *FieldError {
	var rule string
	switch {
	case s == "" && !required:
		return nil
	case strings.TrimSpace(s) == "":
		if required {
			return &FieldError{Field: field, Rule: "is required"}
		}
		rule = "must not be only spaces (leave it empty instead)"
	case !utf8.ValidString(s):
		rule = "must be valid UTF-8 text"
	case utf8.RuneCountInString(s) > MaxNameLen:
		rule = fmt.Sprintf("must be at most %d characters", MaxNameLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		rule = "must not contain control characters (tabs, line breaks)"
	default:
		return nil
	}
	fe := &FieldError{Field: field, Rule: rule}
	if !pii {
		fe.Value = clip(s)
	}
	return fe
}

// checkDate: required, YYYY-MM-DD, a real day between MinDate and MaxDate.
func checkDate(field, s string) *FieldError {
	if s == "" {
		return &FieldError{Field: field, Rule: "is required: a date YYYY-MM-DD"}
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
		return &FieldError{Field: field, Rule: "must be a real date written YYYY-MM-DD", Value: clip(s)}
	}
	if s < MinDate || s > MaxDate {
		return &FieldError{Field: field, Rule: "must be between " + MinDate + " and " + MaxDate, Value: s}
	}
	return nil
}

// checkRange: lo <= n <= hi.
func checkRange(field string, n, lo, hi int64) *FieldError {
	if n < lo || n > hi {
		return &FieldError{Field: field, Rule: fmt.Sprintf("must be between %d and %d", lo, hi), Value: fmt.Sprint(n)}
	}
	return nil
}

var (
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRE = regexp.MustCompile(`^(0[0-9]{2,3}-?)?[2-9][0-9]{6,7}(-[0-9]{1,6})?$`)
)

// checkPhone: optional; an 11-digit mainland mobile number (13912345678)
// or a landline (024-23456789, 02423456789, 23456789, 024-23456789-123).
// The value is PII and never quoted.
func checkPhone(field, s string) *FieldError {
	if s == "" || mobileRE.MatchString(s) || landlineRE.MatchString(s) {
		return nil
	}
	return &FieldError{Field: field, Rule: "must be an 11-digit mobile number (1xxxxxxxxxx) or a landline such as 024-23456789"}
}

// idWeights are the GB 11643-1999 weights of the first 17 digits.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkIDNumber: optional; an 18-character resident ID number (GB 11643):
// 17 digits and a check character 0-9 or X matching them. The value is PII
// and never quoted.
func checkIDNumber(field, s string) *FieldError {
	if s == "" {
		return nil
	}
	if len(s) != 18 {
		return &FieldError{Field: field, Rule: "must be an 18-character resident ID number"}
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return &FieldError{Field: field, Rule: "must be 17 digits followed by a digit or X"}
		}
		sum += int(s[i]-'0') * idWeights[i]
	}
	if want := "10X98765432"[sum%11]; s[17] != want {
		return &FieldError{Field: field, Rule: "has a wrong check character (the 18th must match the first 17 digits; X in upper case)"}
	}
	return nil
}

// creditChars are the characters of a unified social credit code (GB 32100):
// digits and upper-case letters except I, O, S, V, Z.
const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// checkCreditCode: required, 18 characters from creditChars.
func checkCreditCode(field, s string) *FieldError {
	if s == "" {
		return &FieldError{Field: field, Rule: "is required: an 18-character unified social credit code"}
	}
	if len(s) != 18 {
		return &FieldError{Field: field, Rule: "must be 18 characters", Value: clip(s)}
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(creditChars, s[i]) < 0 {
			return &FieldError{Field: field, Rule: "must hold only digits and upper-case letters other than I, O, S, V, Z", Value: s}
		}
	}
	return nil
}

// urbanRuralClasses are the valid 城乡分类代码 with their labels, in code
// order. Classes starting with 1 are urban (城镇), with 2 rural (乡村).
var urbanRuralClasses = []enumValue[string]{
	{"111", "主城区"}, {"112", "城乡结合区"}, {"121", "镇中心区"}, {"122", "镇乡结合区"},
	{"123", "特殊区域"}, {"210", "乡中心区"}, {"220", "村庄"},
}

// UrbanRuralLabel returns the label of an urban-rural class ("111" →
// 主城区), or "" when class is not one of the seven valid classes.
func UrbanRuralLabel(class string) string {
	for _, c := range urbanRuralClasses {
		if c.value == class {
			return c.label
		}
	}
	return ""
}

// checkUrbanRural: required, one of urbanRuralClasses.
func checkUrbanRural(field, s string) *FieldError {
	if UrbanRuralLabel(s) != "" {
		return nil
	}
	rule := "must be one of 111, 112, 121, 122, 123 (urban) or 210, 220 (rural)"
	if s == "" {
		return &FieldError{Field: field, Rule: "is required; " + rule}
	}
	return &FieldError{Field: field, Rule: rule, Value: clip(s)}
}

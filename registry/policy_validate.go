package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"
)

// ValidateRedacted checks a record body that left its origin (a replica
// received from a child, or a state transfer): it must state a released
// policy version in PolicyMember, every PII field must hold what that
// policy sends (empty, a mask, a keyed hash, or a valid value), and every
// other field must pass Validate. Refusals wrap ErrRedaction and a
// *FieldError naming the field; they never quote a PII value.
func ValidateRedacted(k Kind, body []byte) (Record, error) {
	return validateRedacted(k, body, PolicyFor)
}

func validateRedacted(k Kind, body []byte, lookup func(int) (*Policy, bool)) (Record, error) {
	rec, v, err := DecodeStored(k, body)
	var fe *FieldError
	if errors.As(err, &fe) && fe.Field == PolicyMember {
		return nil, redactionError(k, PolicyMember, fmt.Sprintf("must be the object's last member, a version from 1 to %d", MaxPolicyVersion))
	}
	if err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, redactionError(k, PolicyMember, "must state the redaction policy its origin applied (a body that leaves its origin ends with \"_policy\":N)")
	}
	p, ok := lookup(v)
	if !ok {
		return nil, redactionError(k, PolicyMember, fmt.Sprintf("names redaction policy %d, which this server does not know (it knows up to %d)", v, PolicyVersion))
	}
	val := reflect.New(reflect.TypeOf(rec)).Elem()
	val.Set(reflect.ValueOf(rec))
	for i, rule := range p.rules {
		if rule.Kind != k || rule.Action == ActionSend {
			continue
		}
		f := val.FieldByIndex(p.index[i])
		if msg := checkRedacted(rule, piiClasses[k][rule.Field], f.String(), v); msg != "" {
			return nil, redactionError(k, rule.Field, msg)
		}
		f.SetString("") // Validate checks the rest; an empty PII field is valid
	}
	if err := val.Interface().(Record).Validate(); err != nil {
		return nil, err
	}
	return rec, nil
}

// redactionError is a refusal of a redacted body: ErrRedaction and a
// *FieldError, both reachable with errors.Is and errors.As.
func redactionError(k Kind, field, rule string) error {
	return fmt.Errorf("%w: %w", ErrRedaction, &FieldError{Kind: k, Field: field, Rule: rule})
}

// checkRedacted returns "" when s is what rule sends, or the rule s breaks.
func checkRedacted(rule FieldRule, c piiClass, s string, version int) string {
	if s == "" {
		return ""
	}
	switch rule.Action {
	case ActionKeep:
		return fmt.Sprintf("must be empty: redaction policy %d keeps it at the origin", version)
	case ActionHash:
		if !IsHash(s) {
			return fmt.Sprintf("must be a keyed hash (%s and %d hex digits) under redaction policy %d; personal data may not leave its origin in clear", HashPrefix, hashHexLen, version)
		}
	case ActionMask:
		if !isMask(c, s) {
			return fmt.Sprintf("must be masked under redaction policy %d (%s); personal data may not leave its origin in clear", version, maskShape(c))
		}
	}
	return ""
}

// IsHash reports whether s has the form of a keyed hash: HashPrefix and 32
// lowercase hex digits.
func IsHash(s string) bool {
	h, ok := strings.CutPrefix(s, HashPrefix)
	if !ok || len(h) != hashHexLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// isMask reports whether s has the shape mask gives values of class c.
func isMask(c piiClass, s string) bool {
	switch c {
	case className:
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNameLen || checkName("", s, false) != nil {
			return false
		}
		_, size := utf8.DecodeRuneInString(s)
		rest := s[size:]
		if s[0] == '*' {
			rest = s
		}
		return rest != "" && strings.Trim(rest, "*") == ""
	case classIDNumber:
		return len(s) == 18 && countDigits(s[:4]) == 4 && s[4:14] == strings.Repeat("*", 10) &&
			countDigits(s[14:17]) == 3 && (s[17] == 'X' || s[17] >= '0' && s[17] <= '9')
	}
	if len(s) > 24 || strings.Trim(s, "0123456789*-") != "" {
		return false
	}
	return strings.Count(s, "*") >= 4 && countDigits(s) <= 7
}

func maskShape(c piiClass) string {
	switch c {
	case className:
		return "the first character and * for the rest, such as 张*"
	case classIDNumber:
		return "the first and last four characters with ten * between, such as 2101**********1234"
	}
	return "at least four digits replaced by *, at most seven shown, such as 138****5678"
}

// CheckRedaction is the policy half of ValidateRedacted, for a receiver's
// first look at a batch before it is logged: body must state a released
// policy version and hold each PII field in the form that version sends.
// It decodes the PII fields only, so it costs a fraction of
// ValidateRedacted, which must still run before the record is applied.
func CheckRedaction(k Kind, body []byte) error {
	rest, v := splitPolicy(body)
	if v == 0 {
		return redactionError(k, PolicyMember, "must state the redaction policy its origin applied (a body that leaves its origin ends with \"_policy\":N)")
	}
	p, ok := PolicyFor(v)
	if !ok {
		return redactionError(k, PolicyMember, fmt.Sprintf("names redaction policy %d, which this server does not know (it knows up to %d)", v, PolicyVersion))
	}
	typ := piiViews[k]
	if typ == nil {
		return nil
	}
	view := reflect.New(typ)
	if err := json.Unmarshal(rest, view.Interface()); err != nil {
		return redactionError(k, "(record)", "must be a JSON object whose personal-data fields are strings")
	}
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Tag.Get("json")
		rule := FieldRule{Kind: k, Field: name, Action: p.Action(k, name)}
		if msg := checkRedacted(rule, piiClasses[k][name], view.Elem().Field(i).String(), v); msg != "" {
			return redactionError(k, name, msg)
		}
	}
	return nil
}

// piiViews holds, per kind with PII fields, a struct type with only those
// fields (string, JSON-tagged), which CheckRedaction decodes into.
var piiViews = func() map[Kind]reflect.Type {
	out := map[Kind]reflect.Type{}
	for _, k := range Kinds {
		var fields []reflect.StructField
		for i, f := range PIIFields(k) {
			fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.TypeOf(""), Tag: reflect.StructTag(`json:"` + f + `"`)})
		}
		if fields != nil {
			out[k] = reflect.StructOf(fields)
		}
	}
	return out
}()

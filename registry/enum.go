package registry

import (
	"encoding/json"
	"slices"
	"strings"
)

// enumSet describes one enum type: its values in declaration order, their
// Chinese labels, and whether the empty string is a valid value.
type enumSet[T ~string] struct {
	values     []T
	labels     []string // labels[i] is the label of values[i]
	emptyValid bool     // "" is a valid value (Rating: unrated)
}

// enumValue pairs a value with its Chinese label.
type enumValue[T ~string] struct {
	value T
	label string
}

func newEnum[T ~string](emptyValid bool, vals ...enumValue[T]) *enumSet[T] {
	e := &enumSet[T]{emptyValid: emptyValid}
	for _, v := range vals {
		e.values = append(e.values, v.value)
		e.labels = append(e.labels, v.label)
	}
	return e
}

// list returns a copy of the values, for the exported Values functions.
func (e *enumSet[T]) list() []T { return slices.Clone(e.values) }

// strings returns the values as plain strings (FieldSpec.Enum).
func (e *enumSet[T]) strings() []string {
	out := make([]string, len(e.values))
	for i, v := range e.values {
		out[i] = string(v)
	}
	return out
}

// label returns the Chinese label of v, or v itself when v is not a value.
func (e *enumSet[T]) label(v T) string {
	if i := slices.Index(e.values, v); i >= 0 {
		return e.labels[i]
	}
	return string(v)
}

// valid reports whether v is a value (or empty, where that is allowed).
func (e *enumSet[T]) valid(v T) bool {
	return (v == "" && e.emptyValid) || slices.Contains(e.values, v)
}

// parse accepts the ASCII value (any case) or the Chinese label, with
// surrounding spaces trimmed. The error is a *FieldError without Kind and
// Field; callers that know them fill them in.
func (e *enumSet[T]) parse(s string) (T, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		if e.emptyValid {
			return "", nil
		}
		return "", &FieldError{Rule: "is required; " + e.rule()}
	}
	for i, v := range e.values {
		if strings.EqualFold(t, string(v)) || t == e.labels[i] {
			return v, nil
		}
	}
	return "", &FieldError{Rule: e.rule(), Value: clip(s)}
}

// rule lists the allowed values in both forms: "must be one of
// life_service (生活服务类), charity (公益慈善类), ...".
func (e *enumSet[T]) rule() string {
	parts := make([]string, len(e.values))
	for i, v := range e.values {
		if e.labels[i] == string(v) {
			parts[i] = string(v)
		} else {
			parts[i] = string(v) + " (" + e.labels[i] + ")"
		}
	}
	r := "must be one of " + strings.Join(parts, ", ")
	if e.emptyValid {
		r += ", or empty"
	}
	return r
}

// unmarshal decodes a JSON string (or null, which leaves *dst unchanged)
// into *dst. The empty string always decodes, to the zero value; Validate
// decides whether it is allowed.
func (e *enumSet[T]) unmarshal(dst *T, data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if v, ok := e.exact(data); ok { // the canonical form: no allocation, no re-parse
		*dst = v
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return &FieldError{Rule: "must be a JSON string; " + e.rule(), Value: clip(string(data))}
	}
	if strings.TrimSpace(s) == "" {
		*dst = ""
		return nil
	}
	v, err := e.parse(s)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// exact matches a JSON string that is exactly one of the ASCII values.
func (e *enumSet[T]) exact(data []byte) (T, bool) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return "", false
	}
	inner := data[1 : len(data)-1]
	for _, v := range e.values {
		if string(inner) == string(v) {
			return v, true
		}
	}
	return "", false
}

// check is the Validate rule for an enum field: required unless emptyValid,
// and one of the values.
func (e *enumSet[T]) check(field string, v T) *FieldError {
	switch {
	case v == "" && !e.emptyValid:
		return &FieldError{Field: field, Rule: "is required; " + e.rule()}
	case !e.valid(v):
		return &FieldError{Field: field, Rule: e.rule(), Value: clip(string(v))}
	}
	return nil
}

// clip truncates a value quoted in an error to 64 runes.
func clip(s string) string {
	const max = 64
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

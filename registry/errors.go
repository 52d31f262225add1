package registry

import (
	"errors"
	"fmt"
)

// ErrUnknownKind is returned when a kind name is not one of Kinds.
var ErrUnknownKind = errors.New("unknown record kind")

// ErrRedaction is returned (with a *FieldError naming the field) when a
// body that left its origin states no known redaction policy, or holds a
// PII value in a form its policy does not send.
var ErrRedaction = errors.New("breaks the redaction policy")

// ErrNoHashKey is returned by Redactor.Redact when a value must be sent as
// a keyed hash and the redactor has no key.
var ErrNoHashKey = errors.New("no hash key is configured for personal data")

// FieldError reports a record field that breaks a rule. The HTTP API turns
// it into a problem+json body naming the field; importers report it with the
// row number.
type FieldError struct {
	Kind  Kind   // record kind, may be empty while decoding
	Field string // JSON field name, e.g. "community"
	Rule  string // what the value must satisfy, e.g. "must be one of 生活服务类, ..."
	Value string // the offending value as given, possibly truncated
}

func (e *FieldError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s.%s: %s (got %q)", e.Kind, e.Field, e.Rule, e.Value)
	}
	return fmt.Sprintf("%s.%s: %s", e.Kind, e.Field, e.Rule)
}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of community, org, activity, project, talent, platform, registration)", ErrUnknownKind, s)
}

package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoAgent is returned (wrapped in a *NoAgentError) when nothing listens
// at the client's address: the connection was refused.
var ErrNoAgent = errors.New("no fedsync agent")

// NoAgentError is returned when the connection to the agent is refused. Its
// message tells the operator what to do next.
type NoAgentError struct {
	Addr string // the address dialled, host:port
	Err  error  // the underlying network error
}

// Error says where no agent answered and what to do about it.
func (e *NoAgentError) Error() string {
	return fmt.Sprintf("no fedsync agent at %s: is `fedsync agent` running? (set --http-addr or %s)", e.Addr, EnvHTTPAddr)
}

// Unwrap returns the network error.
func (e *NoAgentError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoAgent) true.
func (e *NoAgentError) Is(target error) bool { return target == ErrNoAgent }

// APIError is an error answer of the API, decoded from its
// application/problem+json body. Field and Rule are set when a record field
// broke a rule (a *registry.FieldError on the server).
type APIError struct {
	Status int    `json:"status"` // HTTP status code
	Type   string `json:"type,omitempty"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"` // JSON field name, e.g. "community"
	Rule   string `json:"rule,omitempty"`  // what the field's value must satisfy
	// Accessor names the token of a 401, 403 or 429 answer.
	Accessor string `json:"accessor,omitempty"`
}

// Error reads "400 invalid record: community: must be ...". The detail is
// left out when it only repeats the field and rule.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", e.Status)
	title := e.Title
	if title == "" {
		title = strings.ToLower(http.StatusText(e.Status))
	}
	if title != "" {
		b.WriteString(" " + title)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s: %s", e.Field, e.Rule)
		if e.Detail != "" && !strings.Contains(e.Detail, e.Rule) {
			fmt.Fprintf(&b, " (%s)", e.Detail)
		}
	} else if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

// FieldRule returns "field: rule" when the error names a field, else the
// detail or title: the short form used in per-row import reports.
func (e *APIError) FieldRule() string {
	switch {
	case e.Field != "":
		return e.Field + ": " + e.Rule
	case e.Detail != "":
		return e.Detail
	case e.Title != "":
		return e.Title
	}
	return http.StatusText(e.Status)
}

// IsStatus reports whether err is (or wraps) an *APIError with the given
// HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool { return IsStatus(err, http.StatusNotFound) }

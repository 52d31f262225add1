package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// ProblemContentType is the media type of every error answer (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an error answer of the API (RFC 9457 problem details) with two
// extension members: Field and Rule name the record field that broke a rule
// and the rule, as a *registry.FieldError does. A Problem is also an error,
// so handlers can return one.
type Problem struct {
	Type     string `json:"type"`               // always "about:blank"
	Title    string `json:"title"`              // short, fixed per kind of problem
	Status   int    `json:"status"`             // HTTP status code
	Detail   string `json:"detail,omitempty"`   // this occurrence, for humans
	Instance string `json:"instance,omitempty"` // the request path
	Field    string `json:"field,omitempty"`    // JSON field or query parameter
	Rule     string `json:"rule,omitempty"`     // what its value must satisfy
	// Accessor and TokenArea name the token of a 401, 403 or 429.
	Accessor  string    `json:"accessor,omitempty"`
	TokenArea area.Code `json:"token_area,omitempty"`

	retryAfter time.Duration // sent as Retry-After when positive
	cause      error         // for Unwrap; not sent
}

// Error returns "status title: detail".
func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("%d %s", p.Status, p.Title)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

// Unwrap returns the error the problem was made from, if any.
func (p *Problem) Unwrap() error { return p.cause }

// problem makes a Problem with a title and a formatted detail.
func problem(status int, title, format string, args ...any) *Problem {
	return &Problem{Type: "about:blank", Title: title, Status: status, Detail: fmt.Sprintf(format, args...)}
}

// badParam is a 400 naming a query or path parameter.
func badParam(name, rule, value string) *Problem {
	p := problem(http.StatusBadRequest, "invalid parameter", "parameter %s=%q %s", name, value, rule)
	p.Field, p.Rule = name, rule
	return p
}

// fieldProblem turns a *registry.FieldError into a Problem with the given
// status: 400 when the body did not decode, 422 when it broke a rule.
func fieldProblem(status int, fe *registry.FieldError) *Problem {
	title := "invalid record"
	if status == http.StatusBadRequest {
		title = "malformed record"
	}
	p := problem(status, title, "%s", fe.Error())
	p.Field, p.Rule, p.cause = fe.Field, fe.Rule, fe
	if p.Field == "" {
		p.Field = "(record)" // the record as a whole, as registry names it
	}
	return p
}

// invalidField is a 422 naming a record field, for rules the API checks
// itself (area, division data, org reference).
func invalidField(kind registry.Kind, field, rule, value string) *Problem {
	return fieldProblem(http.StatusUnprocessableEntity,
		&registry.FieldError{Kind: kind, Field: field, Rule: rule, Value: value})
}

// storeProblem maps an error from the Backend to a Problem: the storage
// sentinels to 404 and 409, a field error to 422, anything else to 500.
func storeProblem(err error) *Problem {
	var p *Problem
	var fe *registry.FieldError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &fe):
		return fieldProblem(http.StatusUnprocessableEntity, fe)
	case errors.Is(err, storage.ErrNotFound):
		p = problem(http.StatusNotFound, "not found", "%v", err)
	case errors.Is(err, storage.ErrExists):
		p = problem(http.StatusConflict, "record exists", "%v", err)
	case errors.Is(err, storage.ErrConflict):
		p = problem(http.StatusConflict, "conflict", "%v", err)
	case errors.Is(err, storage.ErrNotOwner):
		p = problem(http.StatusForbidden, "kind not owned by this node", "%v", err)
	case errors.Is(err, storage.ErrInvalidCursor):
		p = badParam("after", "must be the cursor of the previous page (the next field)", "")
		p.Detail = err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		p = problem(http.StatusServiceUnavailable, "unavailable", "%v", err)
	default:
		p = problem(http.StatusInternalServerError, "internal error", "%v", err)
	}
	p.cause = err
	return p
}

// unavailable maps a batch-level error of Backend.Write (not leader,
// shutting down, timeout) to a 503 with Retry-After. Errors that name a
// record problem keep their own status.
func (s *Server) unavailable(err error) *Problem {
	p := storeProblem(err)
	if p.Status >= 500 {
		p = problem(http.StatusServiceUnavailable, "write unavailable", "the write was not applied, retry later: %v", err)
		p.retryAfter, p.cause = s.cfg.RetryAfter, err
	}
	return p
}

// writeProblem sends p as application/problem+json, with the request path
// as instance.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	if p.retryAfter > 0 {
		secs := int((p.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: every member is a string or int
		body = []byte(`{"type":"about:blank","title":"internal error","status":500}`)
	}
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}

// writeJSON sends v as application/json with the given status.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, r, problem(http.StatusInternalServerError, "internal error", "encode answer: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

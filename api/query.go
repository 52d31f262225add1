package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// Bounds of the year parameter of summaries.
const (
	MinYear = 2000
	MaxYear = 2100
)

// List query parameters that are not record-field filters.
const (
	paramArea  = "area"
	paramLimit = "limit"
	paramAfter = "after"
)

// kindParam parses the {kind} path value; an unknown kind is a 404.
func kindParam(r *http.Request) (registry.Kind, error) {
	raw := r.PathValue("kind")
	k, err := registry.ParseKind(raw)
	if err != nil {
		p := problem(http.StatusNotFound, "unknown record kind", "%v", err)
		p.Field, p.Rule, p.cause = "kind", "must be one of "+kindList(), err
		return "", p
	}
	return k, nil
}

// kindList is "community, org, ..." for messages.
func kindList() string {
	names := make([]string, len(registry.Kinds))
	for i, k := range registry.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// areaValue parses an area code given as parameter name; empty is allowed
// and returns "".
func areaValue(name, raw string) (area.Code, error) {
	if raw == "" {
		return "", nil
	}
	c, err := area.Parse(raw)
	if err != nil {
		return "", badParam(name, "must be a 12-digit division code", raw)
	}
	return c, nil
}

// yearParam parses ?year=, defaulting to the current year.
func (s *Server) yearParam(q url.Values) (int, error) {
	raw := q.Get("year")
	if raw == "" {
		return s.cfg.Now().Year(), nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || y < MinYear || y > MaxYear {
		return 0, badParam("year", "must be a year from 2000 to 2100", raw)
	}
	return y, nil
}

// limitParam parses ?limit=, 0 (the store's default) when absent, at most
// maxPage (Config.MaxPageSize).
func limitParam(q url.Values, maxPage int) (int, error) {
	raw := q.Get(paramLimit)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxPage {
		return 0, badParam(paramLimit, "must be a whole number from 1 to "+strconv.Itoa(maxPage)+" (the node's [limits] max_page_size)", raw)
	}
	return n, nil
}

// listQuery builds the store query of GET /v1/records/{kind}: every
// parameter other than area, limit and after must be a field of the kind
// (registry.Fields) and appear once.
func listQuery(k registry.Kind, q url.Values, maxPage int) (storage.ListQuery, error) {
	lq := storage.ListQuery{Kind: k, After: q.Get(paramAfter)}
	var err error
	if lq.Area, err = areaValue(paramArea, q.Get(paramArea)); err != nil {
		return lq, err
	}
	if lq.Limit, err = limitParam(q, maxPage); err != nil {
		return lq, err
	}
	fields := registry.Fields(k)
	for name, vals := range q {
		if name == paramArea || name == paramLimit || name == paramAfter {
			continue
		}
		i := slices.IndexFunc(fields, func(f registry.FieldSpec) bool { return f.Name == name })
		switch {
		case i < 0:
			return lq, badParam(name, "is not a field of "+string(k)+" (fields: "+fieldList(fields)+")", q.Get(name))
		case len(vals) != 1:
			return lq, badParam(name, "must be given once", strings.Join(vals, ","))
		}
		v, err := filterValue(k, fields[i], vals[0])
		if err != nil {
			return lq, err
		}
		if lq.Where == nil {
			lq.Where = make(map[string]string)
		}
		lq.Where[name] = v
	}
	return lq, nil
}

// fieldList is "id, community, ..." for messages.
func fieldList(fields []registry.FieldSpec) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// filterValue returns the stored form of a filter value: for an enum, its
// ASCII value whether given as value or Chinese label (?category=文体活动类).
// An enum value that is neither is a 400 naming the parameter.
func filterValue(k registry.Kind, f registry.FieldSpec, raw string) (string, error) {
	if f.Type != registry.TypeEnum {
		return raw, nil
	}
	probe, err := json.Marshal(map[string]string{f.Name: raw})
	if err != nil {
		return "", fmt.Errorf("filter %s: %w", f.Name, err)
	}
	rec, err := registry.Decode(k, probe)
	if err != nil {
		var fe *registry.FieldError
		if errors.As(err, &fe) {
			return "", badParam(f.Name, fe.Rule, raw)
		}
		return "", badParam(f.Name, "must be one of "+strings.Join(f.Enum, ", "), raw)
	}
	enc, err := registry.Encode(rec)
	if err != nil {
		return "", fmt.Errorf("filter %s: %w", f.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(enc, &m); err != nil {
		return "", fmt.Errorf("filter %s: %w", f.Name, err)
	}
	return fmt.Sprint(m[f.Name]), nil
}

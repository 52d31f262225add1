package api

import (
	"net/http"
	"net/url"
	"reflect"
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

// limitParam parses ?limit=, 0 (the store's default) when absent.
func limitParam(q url.Values) (int, error) {
	raw := q.Get(paramLimit)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > storage.MaxPageSize {
		return 0, badParam(paramLimit, "must be a whole number from 1 to "+strconv.Itoa(storage.MaxPageSize), raw)
	}
	return n, nil
}

// listQuery builds the store query of GET /v1/records/{kind}: every
// parameter other than area, limit and after must be a field of the kind
// and appear once.
func listQuery(k registry.Kind, q url.Values) (storage.ListQuery, error) {
	lq := storage.ListQuery{Kind: k, After: q.Get(paramAfter)}
	var err error
	if lq.Area, err = areaValue(paramArea, q.Get(paramArea)); err != nil {
		return lq, err
	}
	if lq.Limit, err = limitParam(q); err != nil {
		return lq, err
	}
	fields := fieldNames(k)
	for name, vals := range q {
		switch {
		case name == paramArea || name == paramLimit || name == paramAfter:
			continue
		case !slices.Contains(fields, name):
			return lq, badParam(name, "is not a field of "+string(k)+" (fields: "+strings.Join(fields, ", ")+")", q.Get(name))
		case len(vals) != 1:
			return lq, badParam(name, "must be given once", strings.Join(vals, ","))
		}
		if lq.Where == nil {
			lq.Where = make(map[string]string)
		}
		lq.Where[name] = vals[0]
	}
	return lq, nil
}

// fieldNames returns the JSON field names of kind k's record, in struct
// order, read from the struct tags of a decoded empty record.
func fieldNames(k registry.Kind) []string {
	rec, err := registry.Decode(k, []byte("{}"))
	if err != nil || rec == nil {
		return nil
	}
	t := reflect.TypeOf(rec)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

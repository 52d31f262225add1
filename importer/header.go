package importer

import (
	"fmt"
	"strings"

	"fedsync/registry"
)

// column is one column of the file as the header names it.
type column struct {
	header string              // header cell as written, trimmed
	spec   *registry.FieldSpec // nil: a blank header; the column must stay empty
	key    []byte              // `"name":`, the field's JSON key
}

// header maps the columns of a file to the fields of a kind.
type header struct {
	kind  registry.Kind
	cols  []column
	idCol int            // index of the id column
	byKey map[string]int // field JSON name -> column index
}

// headerKey normalizes a header cell: trimmed, without a byte-order mark or
// a "required" marker (名称*, 名称（必填）), ASCII letters lower-cased.
func headerKey(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	for _, suf := range []string{"*", "＊", "(必填)", "（必填）"} {
		s = strings.TrimSpace(strings.TrimSuffix(s, suf))
	}
	return strings.ToLower(s)
}

// fieldIndex maps the JSON names and labels of kind's fields to specs.
func fieldIndex(specs []registry.FieldSpec) map[string]*registry.FieldSpec {
	m := make(map[string]*registry.FieldSpec, 2*len(specs))
	for i := range specs {
		m[headerKey(specs[i].Name)] = &specs[i]
		if specs[i].Label != "" {
			m[headerKey(specs[i].Label)] = &specs[i]
		}
	}
	return m
}

// parseHeader maps the header cells to kind's fields. It refuses unknown
// columns (listing the accepted ones), a field named twice, and missing
// required columns; an id column is always required.
func parseHeader(kind registry.Kind, cells []string) (*header, error) {
	specs := registry.Fields(kind)
	index := fieldIndex(specs)
	h := &header{kind: kind, idCol: -1, byKey: make(map[string]int)}
	var unknown, twice []string
	for i, c := range cells {
		col := column{header: strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))}
		if key := headerKey(c); key != "" {
			spec, ok := index[key]
			switch {
			case !ok:
				unknown = append(unknown, fmt.Sprintf("%q", col.header))
			case h.has(spec.Name):
				twice = append(twice, fmt.Sprintf("%q and %q both name %s", h.cols[h.byKey[spec.Name]].header, col.header, spec.Name))
			default:
				col.spec = spec
				col.key = append(quote(spec.Name), ':')
				h.byKey[spec.Name] = i
			}
		}
		h.cols = append(h.cols, col)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: unknown column(s) %s; the columns of the %s roster are: %s",
			ErrHeader, strings.Join(unknown, ", "), kind, accepted(specs))
	}
	if len(twice) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrHeader, strings.Join(twice, "; "))
	}
	if missing := h.missing(specs); len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing required column(s) %s; the columns of the %s roster are: %s",
			ErrHeader, strings.Join(missing, ", "), kind, accepted(specs))
	}
	h.idCol = h.byKey["id"]
	return h, nil
}

func (h *header) has(name string) bool { _, ok := h.byKey[name]; return ok }

// missing lists the required fields (and id) that no column names.
func (h *header) missing(specs []registry.FieldSpec) []string {
	var out []string
	for _, s := range specs {
		if (s.Required || s.Name == "id") && !h.has(s.Name) {
			out = append(out, describe(s))
		}
	}
	return out
}

// accepted lists every field as "name (label)", required ones marked.
func accepted(specs []registry.FieldSpec) string {
	parts := make([]string, len(specs))
	for i, s := range specs {
		parts[i] = describe(s)
		if s.Required || s.Name == "id" {
			parts[i] += " [required]"
		}
	}
	return strings.Join(parts, ", ")
}

func describe(s registry.FieldSpec) string {
	if s.Label == "" || s.Label == s.Name {
		return s.Name
	}
	return fmt.Sprintf("%s (%s)", s.Name, s.Label)
}

// isTitle reports whether a row above the header looks like a title: one
// non-empty cell that names no field (e.g. "和平区社区社会组织花名册").
func isTitle(kind registry.Kind, cells []string) bool {
	var only string
	n := 0
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			only = c
			n++
		}
	}
	if n != 1 {
		return false
	}
	_, known := fieldIndex(registry.Fields(kind))[headerKey(only)]
	return !known
}

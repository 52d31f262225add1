package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"fedsync/registry"
	"fedsync/storage"
)

// listColumns are the fields `list` shows for each kind, in order; -o json
// shows every field.
var listColumns = map[registry.Kind][]string{
	registry.KindCommunity:    {"id", "name", "urban_rural"},
	registry.KindOrg:          {"id", "community", "name", "category", "tier", "founded", "members", "brand", "status"},
	registry.KindActivity:     {"id", "org", "date", "theme", "type", "participants", "major"},
	registry.KindProject:      {"id", "org", "name", "funding", "amount", "year", "brand"},
	registry.KindTalent:       {"id", "org", "name", "role", "trained", "social_worker"},
	registry.KindPlatform:     {"id", "area", "name", "type", "founded"},
	registry.KindRegistration: {"id", "area", "org_origin", "org", "credit_code", "registered", "rating"},
}

// kindTitle names each kind for command lists.
var kindTitle = map[registry.Kind]string{
	registry.KindCommunity:    "Communities and villages (社区/村)",
	registry.KindOrg:          "Community social organizations (社区社会组织)",
	registry.KindActivity:     "Activities and major-event reports (活动)",
	registry.KindProject:      "Service projects (服务项目)",
	registry.KindTalent:       "Backbone talent (骨干人才)",
	registry.KindPlatform:     "Incubation centres and federations (孵化机构/联合会)",
	registry.KindRegistration: "Legal registrations and ratings (依法登记/等级评估)",
}

// kindBlurb says what each kind holds, for help texts.
var kindBlurb = map[registry.Kind]string{
	registry.KindCommunity:    "communities and villages (社区/村), one reference row each, owned by the street",
	registry.KindOrg:          "community social organizations (社区社会组织), owned by the street",
	registry.KindActivity:     "activities and major-event reports (活动/重大活动报告) of organizations",
	registry.KindProject:      "service projects (服务项目) of organizations, with funding and amount",
	registry.KindTalent:       "backbone talent (骨干人才) of organizations",
	registry.KindPlatform:     "incubation centres (孵化机构) and federations (联合会) of a street, county or city",
	registry.KindRegistration: "legal registrations (依法登记) and ratings (等级评估) of organizations, owned by the county",
}

// recordFields decodes a stored record's JSON into a map; numbers stay
// json.Number so that large amounts print exactly.
func recordFields(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return m, nil
}

// cell renders one field for a table: enums by their Chinese label,
// booleans as yes/no, everything else as given.
func cell(kind registry.Kind, s registry.FieldSpec, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case string:
		if s.Type == registry.TypeEnum {
			return enumLabel(kind, s.Name, x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// listTable renders records of kind as the list table.
func listTable(kind registry.Kind, items []storage.Stored) (*table, error) {
	cols := listColumns[kind]
	specs := make([]registry.FieldSpec, len(cols))
	header := make([]string, len(cols))
	var right []int
	for i, c := range cols {
		specs[i], _ = spec(kind, c)
		header[i] = strings.ToUpper(c)
		if specs[i].Type == registry.TypeInt {
			right = append(right, i)
		}
	}
	origins := manyOrigins(items)
	if origins {
		header = append([]string{"ORIGIN"}, header...)
		for i := range right {
			right[i]++
		}
	}
	t := newTable(header...).alignRight(right...)
	for _, it := range items {
		m, err := recordFields(it.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, it.ID, err)
		}
		var row []string
		if origins {
			row = append(row, string(it.Origin))
		}
		for i, c := range cols {
			row = append(row, cell(kind, specs[i], m[c]))
		}
		t.add(row...)
	}
	return t, nil
}

// manyOrigins reports whether items come from more than one origin (a
// county, city or province agent's replicas): ids are then only unique
// per origin, so the table shows it.
func manyOrigins(items []storage.Stored) bool {
	for _, it := range items {
		if it.Origin != items[0].Origin {
			return true
		}
	}
	return false
}

// recordTable renders one record as label / field / value rows; codes get
// their area name.
func recordTable(st *storage.Stored) (*table, error) {
	m, err := recordFields(st.Body)
	if err != nil {
		return nil, err
	}
	t := newTable()
	for _, s := range registry.Fields(st.Kind) {
		v := cell(st.Kind, s, m[s.Name])
		if s.Type == registry.TypeCode && v != "" {
			v = areaLabel(v)
		}
		t.add(s.Label, s.Name, v)
	}
	t.add("", "", "")
	t.add("来源", "origin", areaLabel(string(st.Origin)))
	t.add("序号", "seq", fmt.Sprint(st.Seq))
	t.add("更新时间", "updated", st.Updated.Local().Format("2006-01-02 15:04:05"))
	return t, nil
}

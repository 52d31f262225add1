package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"fedsync/area"
	"fedsync/registry"
)

// flagName is the flag that sets a record field: "leader_phone" is
// --leader-phone.
func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }

// fieldFlags are the flags of one kind's fields (for add and update),
// generated from registry.Fields.
type fieldFlags struct {
	kind  registry.Kind
	specs []registry.FieldSpec
	fs    *pflag.FlagSet
	str   map[string]*string // by field name, for string, date, enum and code fields
	ints  map[string]*int64
	bools map[string]*bool
}

// addFieldFlags defines one flag per field of kind on fs.
func addFieldFlags(fs *pflag.FlagSet, kind registry.Kind) *fieldFlags {
	ff := &fieldFlags{kind: kind, specs: registry.Fields(kind), fs: fs,
		str: map[string]*string{}, ints: map[string]*int64{}, bools: map[string]*bool{}}
	for _, s := range ff.specs {
		name, usage := flagName(s.Name), fieldUsage(kind, s)
		switch s.Type {
		case registry.TypeInt:
			ff.ints[s.Name] = fs.Int64(name, 0, usage)
		case registry.TypeBool:
			ff.bools[s.Name] = fs.Bool(name, false, usage)
		default:
			ff.str[s.Name] = fs.String(name, "", usage)
		}
	}
	return ff
}

// fieldUsage is a flag's help: label, rule and, for enums, every value
// with its Chinese label.
func fieldUsage(kind registry.Kind, s registry.FieldSpec) string {
	var b strings.Builder
	b.WriteString(s.Label)
	if s.Name == "id" && kind != registry.KindCommunity {
		return b.String() + ": " + s.Doc + "; add assigns one when omitted"
	}
	if s.Required {
		b.WriteString(", required")
	}
	if s.PII {
		b.WriteString(", personal data")
	}
	if s.Type == registry.TypeEnum {
		vals := make([]string, len(s.Enum))
		for i, v := range s.Enum {
			vals[i] = v
			if l := enumLabel(kind, s.Name, v); l != v {
				vals[i] += " " + l
			}
		}
		fmt.Fprintf(&b, ": one of %s (value or label)", strings.Join(vals, ", "))
	} else if s.Doc != "" {
		b.WriteString(": " + strings.TrimPrefix(s.Doc, "true or false (是/否): "))
	}
	return b.String()
}

// apply copies the flags the user set into rec (a record's JSON object).
// It returns how many were set.
func (ff *fieldFlags) apply(rec map[string]any) int {
	n := 0
	for _, s := range ff.specs {
		if !ff.fs.Changed(flagName(s.Name)) {
			continue
		}
		n++
		switch s.Type {
		case registry.TypeInt:
			rec[s.Name] = *ff.ints[s.Name]
		case registry.TypeBool:
			rec[s.Name] = *ff.bools[s.Name]
		default:
			rec[s.Name] = *ff.str[s.Name]
		}
	}
	return n
}

// spec returns the field of kind named by name: its JSON name, its flag
// name or its Chinese label.
func spec(kind registry.Kind, name string) (registry.FieldSpec, bool) {
	for _, s := range registry.Fields(kind) {
		if name == s.Name || name == flagName(s.Name) || name == s.Label {
			return s, true
		}
	}
	return registry.FieldSpec{}, false
}

// fieldNames lists kind's JSON field names, for error messages.
func fieldNames(kind registry.Kind) string {
	var names []string
	for _, s := range registry.Fields(kind) {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

var labelCache sync.Map // "kind\x00field\x00value" -> label

// enumLabel returns the Chinese label of an enum value of kind's field
// (生活服务类 for category life_service), or value itself when it has none.
// It asks the record type, so every enum the registry defines is covered.
func enumLabel(kind registry.Kind, field, value string) string {
	if value == "" {
		return ""
	}
	key := string(kind) + "\x00" + field + "\x00" + value
	if l, ok := labelCache.Load(key); ok {
		return l.(string)
	}
	label := value
	data, _ := json.Marshal(map[string]string{field: value})
	if rec, err := registry.Decode(kind, data); err == nil {
		if f, ok := jsonField(reflect.ValueOf(rec), field); ok {
			if l, ok := f.Interface().(interface{ Label() string }); ok && l.Label() != "" {
				label = l.Label()
			}
		}
	}
	if l := registry.UrbanRuralLabel(value); field == "urban_rural" && l != "" {
		label = l // a plain string field with its own label table
	}
	labelCache.Store(key, label)
	return label
}

// jsonField returns the field of struct v whose JSON name is name.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// canonical returns an enum value as records store it: a Chinese label
// becomes the ASCII value. Other fields pass unchanged.
func canonical(kind registry.Kind, s registry.FieldSpec, value string) (string, error) {
	if s.Type != registry.TypeEnum || value == "" {
		return value, nil
	}
	data, _ := json.Marshal(map[string]string{s.Name: value})
	rec, err := registry.Decode(kind, data)
	if err != nil {
		return "", err
	}
	f, _ := jsonField(reflect.ValueOf(rec), s.Name)
	return f.String(), nil
}

// areaLabel renders a code with its name: "210102001002 水源地社区居委会".
func areaLabel(c string) string {
	if n := area.Name(area.Code(c)); n != "" {
		return c + " " + n
	}
	return c
}

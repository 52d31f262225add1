package registry

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fedsync/area"
)

func TestFieldsMatchStructs(t *testing.T) {
	for _, r := range samples() {
		k := r.Kind()
		specs := Fields(k)
		typ := reflect.TypeOf(r)
		if len(specs) != typ.NumField() {
			t.Fatalf("%s: %d specs for %d struct fields", k, len(specs), typ.NumField())
		}
		for i, s := range specs {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if s.Name != name {
				t.Errorf("%s field %d: spec %q, struct %q", k, i, s.Name, name)
			}
			if want := specType(f.Type); !strings.Contains(want, s.Type) && !(s.Name == "urban_rural" && s.Type == TypeEnum) {
				t.Errorf("%s.%s: type %q, want %q", k, s.Name, s.Type, want)
			}
			if (s.Type == TypeEnum) != (len(s.Enum) > 0) || s.Label == "" || s.Doc == "" {
				t.Errorf("%s.%s: incomplete spec %+v", k, s.Name, s)
			}
		}
	}
}

func specType(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(area.Code("")):
		return TypeCode
	case reflect.PointerTo(t).Implements(reflect.TypeOf((*interface{ UnmarshalJSON([]byte) error })(nil)).Elem()):
		return TypeEnum
	case t.Kind() == reflect.Bool:
		return TypeBool
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return TypeInt
	}
	return "string or date"
}

func TestFieldLabelsUnique(t *testing.T) {
	for _, k := range Kinds {
		seen := map[string]bool{}
		for _, s := range Fields(k) {
			for _, key := range []string{strings.ToLower(s.Name), strings.ToLower(s.Label)} {
				if seen[key] {
					t.Errorf("%s: header %q names two fields", k, key)
				}
				seen[key] = true
			}
		}
	}
	if Fields("nope") != nil {
		t.Error("Fields of an unknown kind is not nil")
	}
}

// TestRequiredMatchesValidate zeroes each field of a valid sample: Validate
// must then refuse the record naming that field exactly when the field is
// Required.
func TestRequiredMatchesValidate(t *testing.T) {
	for _, r := range samples() {
		for i, s := range Fields(r.Kind()) {
			v := reflect.New(reflect.TypeOf(r)).Elem()
			v.Set(reflect.ValueOf(r))
			v.Field(i).SetZero()
			err := v.Interface().(Record).Validate()
			var fe *FieldError
			failed := errors.As(err, &fe) && fe.Field == s.Name
			if r.Kind() == KindCommunity && s.Name == "code" {
				failed = err != nil // id must equal code: the id check fires first
			}
			if failed != s.Required {
				t.Errorf("%s.%s: Required=%v but Validate of the zeroed field = %v", r.Kind(), s.Name, s.Required, err)
			}
		}
	}
}

func TestEnumSpecs(t *testing.T) {
	want := map[string][]string{
		"org.category":        enumStrings(Categories()),
		"org.tier":            enumStrings(Tiers()),
		"org.status":          enumStrings(Statuses()),
		"activity.theme":      enumStrings(Themes()),
		"project.funding":     enumStrings(FundingSources()),
		"platform.type":       enumStrings(PlatformTypes()),
		"registration.rating": enumStrings(Ratings()),
	}
	for key, vals := range want {
		kind, name, _ := strings.Cut(key, ".")
		i := slices.IndexFunc(Fields(Kind(kind)), func(s FieldSpec) bool { return s.Name == name })
		if i < 0 || !slices.Equal(Fields(Kind(kind))[i].Enum, vals) {
			t.Errorf("%s: enum spec differs from %v", key, vals)
		}
	}
	for _, c := range Fields(KindCommunity)[3].Enum {
		if UrbanRuralLabel(c) == "" {
			t.Errorf("urban_rural value %q has no label", c)
		}
	}
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func TestPIIFields(t *testing.T) {
	want := map[Kind][]string{
		KindOrg:    {"leader", "leader_phone"},
		KindTalent: {"name", "phone", "id_number"},
	}
	for _, k := range Kinds {
		if got := PIIFields(k); !slices.Equal(got, want[k]) {
			t.Errorf("PIIFields(%s) = %v, want %v", k, got, want[k])
		}
	}
}

func TestFieldsIsACopy(t *testing.T) {
	f := Fields(KindOrg)
	f[0].Name = "changed"
	f[3].Enum[0] = "changed"
	g := Fields(KindOrg)
	if g[0].Name != "id" || g[3].Enum[0] != "life_service" {
		t.Error("Fields returned shared storage")
	}
}

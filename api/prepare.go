package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// prepare applies the write rules of docs/CONTRACTS.md to body, the JSON
// of a record of kind k, and returns the record and its canonical
// encoding. pathID is the id named in the URL, "" on create. Every refusal
// is a *Problem: 400 when the body does not decode, 422 when the record
// breaks a rule.
func (s *Server) prepare(k registry.Kind, body []byte, pathID string) (registry.Record, []byte, error) {
	if err := refuseAttribution(body); err != nil {
		return nil, nil, err
	}
	rec, err := registry.Decode(k, body)
	if err != nil {
		return nil, nil, decodeProblem(err)
	}
	if rec, err = withID(rec, pathID); err != nil {
		return nil, nil, err
	}
	if rec, err = s.fillCommunity(rec); err != nil {
		return nil, nil, err
	}
	if err := rec.Validate(); err != nil {
		return nil, nil, ruleProblem(err)
	}
	if err := s.checkArea(rec); err != nil {
		return nil, nil, err
	}
	enc, err := registry.Encode(rec)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare %s: %w", k, err)
	}
	return rec, enc, nil
}

// decodeProblem is the 400 for a body registry.Decode refused.
func decodeProblem(err error) *Problem {
	var fe *registry.FieldError
	if errors.As(err, &fe) {
		return fieldProblem(http.StatusBadRequest, fe)
	}
	p := problem(http.StatusBadRequest, "malformed record", "%v", err)
	p.cause = err
	return p
}

// ruleProblem is the 422 for a record Validate refused.
func ruleProblem(err error) *Problem {
	var fe *registry.FieldError
	if errors.As(err, &fe) {
		return fieldProblem(http.StatusUnprocessableEntity, fe)
	}
	p := problem(http.StatusUnprocessableEntity, "invalid record", "%v", err)
	p.cause = err
	return p
}

// withID settles the record's id: the path id when the body has none (it
// must not name another), a generated one on create. Validate checks its
// form.
func withID(rec registry.Record, pathID string) (registry.Record, error) {
	id := rec.RecordID()
	switch {
	case pathID != "" && id != "" && id != pathID:
		return nil, invalidField(rec.Kind(), "id", "must be empty or equal the id in the path ("+pathID+")", id)
	case pathID != "":
		id = pathID
	case id == "":
		id = newID(rec)
	}
	return setField(rec, "ID", id), nil
}

// newID returns an id for a record created without one: its code for a
// community, else the kind and 16 random hex digits ("org-3f9c0a1b2c3d4e5f").
func newID(rec registry.Record) string {
	if rec.Kind() == registry.KindCommunity && rec.Area() != "" {
		return string(rec.Area())
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return string(rec.Kind()) + "-" + hex.EncodeToString(b[:])
}

// fillCommunity gives a record that names an org but no community (an
// activity, project or talent) the community of that org. An unknown org
// is a 422 naming "org".
func (s *Server) fillCommunity(rec registry.Record) (registry.Record, error) {
	org, hasOrg := stringField(rec, "Org")
	comm, hasComm := stringField(rec, "Community")
	if !hasOrg || !hasComm || comm != "" || org == "" {
		return rec, nil
	}
	st, err := s.b.Get(registry.KindOrg, "", org)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, invalidField(rec.Kind(), "org", "must name an organization of this node", org)
	}
	if err != nil {
		return nil, fmt.Errorf("look up org %q: %w", org, err)
	}
	o, err := registry.Decode(registry.KindOrg, st.Body)
	if err != nil {
		return nil, fmt.Errorf("decode stored org %q: %w", org, err)
	}
	return setField(rec, "Community", o.Area()), nil
}

// checkArea requires the record's area to be a known division code inside
// the node's area.
func (s *Server) checkArea(rec registry.Record) error {
	k, a, field := rec.Kind(), rec.Area(), areaField(rec.Kind())
	if !a.Valid() {
		return invalidField(k, field, "must be a 12-digit division code", string(a))
	}
	if own := s.b.Area(); !own.Contains(a) {
		p := invalidField(k, field, "must lie inside this node's area "+string(own), string(a))
		p.Detail = fmt.Sprintf("%s %s lies outside this node's area %s", field, a, own)
		return p
	}
	if _, ok := area.Lookup(a); !ok {
		return invalidField(k, field, "must be a code of the division data ("+area.DataEdition+")", string(a))
	}
	return nil
}

// areaField is the JSON name of the field that holds a record's Area.
func areaField(k registry.Kind) string {
	switch k {
	case registry.KindCommunity:
		return "code"
	case registry.KindPlatform, registry.KindRegistration:
		return "area"
	}
	return "community"
}

// stringField returns the named string-kinded field of rec's struct.
func stringField(rec registry.Record, name string) (string, bool) {
	v := reflect.Indirect(reflect.ValueOf(rec))
	if v.Kind() != reflect.Struct {
		return "", false
	}
	f := v.FieldByName(name)
	if !f.IsValid() || f.Kind() != reflect.String {
		return "", false
	}
	return f.String(), true
}

// setField returns rec with the named string-kinded field set to val: a
// modified copy for a struct value, rec itself for a pointer. Reflection
// spares one switch per kind.
func setField[T ~string](rec registry.Record, name string, val T) registry.Record {
	v := reflect.ValueOf(rec)
	if v.Kind() == reflect.Pointer {
		setString(v.Elem(), name, string(val))
		return rec
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	setString(c, name, string(val))
	return c.Interface().(registry.Record)
}

func setString(v reflect.Value, name, val string) {
	if v.Kind() != reflect.Struct {
		return
	}
	if f := v.FieldByName(name); f.IsValid() && f.Kind() == reflect.String && f.CanSet() {
		f.SetString(val)
	}
}

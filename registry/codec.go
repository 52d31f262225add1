package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// MaxRecordBytes bounds the JSON form of one record.
const MaxRecordBytes = 64 << 10

// Decode parses the JSON form of a record of kind k. Unknown fields, trailing
// data and wrongly typed values are refused with a *FieldError naming the
// field. Enum fields accept the ASCII value or the Chinese label. Decode
// does not call Validate.
func Decode(k Kind, data []byte) (Record, error) {
	if len(data) > MaxRecordBytes {
		return nil, &FieldError{Kind: k, Field: "(record)", Rule: fmt.Sprintf("must be at most %d bytes of JSON", MaxRecordBytes)}
	}
	var err error
	switch k {
	case KindCommunity:
		var r Community
		err = decodeStrict(k, data, &r)
		return r, err
	case KindOrg:
		var r Org
		err = decodeStrict(k, data, &r)
		return r, err
	case KindActivity:
		var r Activity
		err = decodeStrict(k, data, &r)
		return r, err
	case KindProject:
		var r Project
		err = decodeStrict(k, data, &r)
		return r, err
	case KindTalent:
		var r Talent
		err = decodeStrict(k, data, &r)
		return r, err
	case KindPlatform:
		var r Platform
		err = decodeStrict(k, data, &r)
		return r, err
	case KindRegistration:
		var r Registration
		err = decodeStrict(k, data, &r)
		return r, err
	}
	return nil, fmt.Errorf("decode: %w %q", ErrUnknownKind, k)
}

func decodeStrict(k Kind, data []byte, v any) error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return &FieldError{Kind: k, Field: "(record)", Rule: "must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(k, err, data, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Kind: k, Field: "(record)", Rule: "must be a single JSON object with nothing after it"}
	}
	return nil
}

// jsonFieldError turns an encoding/json error into a *FieldError. v is the
// pointer decoding failed into and data its input: errors returned by an
// enum's UnmarshalJSON carry no field name (encoding/json v1 passes them on
// unchanged), so the field is found again by decoding data field by field.
func jsonFieldError(k Kind, err error, data []byte, v any) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.Kind = k
		if fe.Field == "" {
			fe.Field = failingField(data, v)
		}
		return fe
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(record)"
		}
		return &FieldError{Kind: k, Field: field, Rule: "must be " + jsonTypeName(te.Type), Value: clip(te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &FieldError{Kind: k, Field: "(record)", Rule: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	msg := err.Error()
	const unk = "json: unknown field "
	if name, ok := strings.CutPrefix(msg, unk); ok {
		if name, err := strconv.Unquote(name); err == nil && name != "" {
			return &FieldError{Kind: k, Field: clip(name), Rule: "is not a field of " + string(k)}
		}
		return &FieldError{Kind: k, Field: "(record)", Rule: "has a field with an empty or malformed name"}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FieldError{Kind: k, Field: "(record)", Rule: "must be a complete JSON object"}
	}
	return &FieldError{Kind: k, Field: "(record)", Rule: "invalid JSON: " + msg}
}

// failingField returns the JSON name of the first top-level field of data
// whose value does not decode into its struct field of *v, or "(record)".
// Keys match JSON names case-insensitively, as encoding/json matches them.
func failingField(data []byte, v any) string {
	const unknown = "(record)"
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return unknown
	}
	t := reflect.TypeOf(v).Elem()
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return unknown
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return unknown
		}
		name, ft, ok := jsonField(t, key.(string))
		if ok && json.Unmarshal(raw, reflect.New(ft).Interface()) != nil {
			return name
		}
	}
	return unknown
}

// jsonField finds the struct field of t whose JSON name matches key.
func jsonField(t reflect.Type, key string) (string, reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if strings.EqualFold(name, key) {
			return name, f.Type, true
		}
	}
	return "", nil, false
}

// jsonTypeName describes the JSON value a Go type wants, for error rules.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a valid JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a JSON string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number in range"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	}
	return "a JSON " + t.String()
}

// Encode returns the canonical JSON form of r: enums in their ASCII values,
// fields in struct order. Equal records encode to equal bytes, which the
// store relies on to tell a repeated import from a changed one.
func Encode(r Record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode %s %q: %w", r.Kind(), r.RecordID(), err)
	}
	return b, nil
}

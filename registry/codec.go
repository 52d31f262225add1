package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(k, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &FieldError{Kind: k, Field: "(record)", Rule: "must be a single JSON object with nothing after it"}
	}
	return nil
}

// jsonFieldError turns an encoding/json error into a *FieldError.
func jsonFieldError(k Kind, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		fe.Kind = k
		return fe
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &FieldError{Kind: k, Field: te.Field, Rule: "must be a JSON " + te.Type.String(), Value: te.Value}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &FieldError{Kind: k, Field: "(record)", Rule: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	msg := err.Error()
	const unk = "json: unknown field "
	if len(msg) > len(unk) && msg[:len(unk)] == unk {
		return &FieldError{Kind: k, Field: msg[len(unk)+1 : len(msg)-1], Rule: "is not a field of " + string(k)}
	}
	return &FieldError{Kind: k, Field: "(record)", Rule: "invalid JSON: " + msg}
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

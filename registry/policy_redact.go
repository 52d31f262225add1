package registry

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HashKeySize is the size in bytes of the federation's hash key.
const HashKeySize = 32

// HashPrefix starts every keyed hash a policy sends ("h1:" and 32 lowercase
// hex digits): version 1 of the hash, HMAC-SHA256 truncated to 128 bits.
const HashPrefix = "h1:"

// hashHexLen is the number of hex digits after HashPrefix.
const hashHexLen = 32

// hashDomain separates these hashes from any other use of the key.
const hashDomain = "fedsync pii hash v1\x00"

// Redactor turns an origin's full record into the body that leaves it: the
// policy's actions applied and PolicyMember appended. The same record,
// policy and key always give the same bytes, so every server of a node logs
// the same entry. Safe for concurrent use.
type Redactor struct {
	policy *Policy
	key    []byte // nil: no key; a record needing a hash is refused with ErrNoHashKey
}

// NewRedactor returns a redactor applying p with key, which is nil (no key:
// redacting a record with a value to hash fails with ErrNoHashKey) or
// HashKeySize bytes.
func NewRedactor(p *Policy, key []byte) (*Redactor, error) {
	if p == nil {
		return nil, fmt.Errorf("redactor: no policy")
	}
	if key != nil && len(key) != HashKeySize {
		return nil, fmt.Errorf("redactor: hash key is %d bytes, want %d", len(key), HashKeySize)
	}
	return &Redactor{policy: p, key: bytes.Clone(key)}, nil
}

// Policy returns the policy the redactor applies.
func (r *Redactor) Policy() *Policy { return r.policy }

// HasKey reports whether the redactor holds a hash key.
func (r *Redactor) HasKey() bool { return r.key != nil }

// Redact returns the body of rec as it leaves its origin: the canonical
// JSON of rec with every PII field replaced by its policy's action, and
// PolicyMember last. rec must be valid. It fails with ErrNoHashKey when a
// value must be hashed and the redactor has no key.
func (r *Redactor) Redact(rec Record) ([]byte, error) {
	v := reflect.New(reflect.TypeOf(rec)).Elem()
	v.Set(reflect.ValueOf(rec))
	for i, rule := range r.policy.rules {
		if rule.Kind != rec.Kind() || rule.Action == ActionSend {
			continue
		}
		f := v.FieldByIndex(r.policy.index[i])
		if f.String() == "" {
			continue
		}
		out, err := r.apply(rule, f.String())
		if err != nil {
			return nil, err
		}
		f.SetString(out)
	}
	body, err := Encode(v.Interface().(Record))
	if err != nil {
		return nil, err
	}
	return appendPolicy(body, r.policy.version), nil
}

// apply returns the form of value s that rule sends.
func (r *Redactor) apply(rule FieldRule, s string) (string, error) {
	class := piiClasses[rule.Kind][rule.Field]
	switch rule.Action {
	case ActionKeep:
		return "", nil
	case ActionMask:
		return mask(class, s), nil
	case ActionHash:
		if r.key == nil {
			return "", fmt.Errorf("%s.%s must be sent as a keyed hash: %w", rule.Kind, rule.Field, ErrNoHashKey)
		}
		return r.hash(class, s), nil
	}
	return s, nil
}

// hash returns HashPrefix and the first 128 bits, in hex, of
// HMAC-SHA256(key, domain ‖ class ‖ 0x00 ‖ normalized value). Values of one
// class hash alike whichever field holds them (a leader's phone and a
// talent's phone), and written forms of one value alike (024-23456789 and
// 02423456789).
func (r *Redactor) hash(c piiClass, s string) string {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte(hashDomain))
	m.Write([]byte(c.String()))
	m.Write([]byte{0})
	m.Write([]byte(normalize(c, s)))
	return HashPrefix + hex.EncodeToString(m.Sum(nil)[:hashHexLen/2])
}

// normalize returns the form of s that is hashed.
func normalize(c piiClass, s string) string {
	switch c {
	case classPhone:
		return strings.ReplaceAll(s, "-", "")
	case classIDNumber:
		return strings.ToUpper(s)
	}
	return strings.TrimSpace(s)
}

// mask returns the masked form of s: a name keeps its first character
// (张*), a phone number its last four digits and, when it has eleven or
// more, its first three (138****5678, 024-****6789), an ID number its first
// four and last four characters (2101**********1234).
func mask(c piiClass, s string) string {
	switch c {
	case className:
		n := utf8.RuneCountInString(s)
		if n <= 1 {
			return "*"
		}
		first, _ := utf8.DecodeRuneInString(s)
		return string(first) + strings.Repeat("*", n-1)
	case classIDNumber:
		if len(s) != 18 {
			return strings.Repeat("*", 18)
		}
		return s[:4] + strings.Repeat("*", 10) + s[14:]
	}
	digits := countDigits(s)
	head, tail := 0, min(4, max(digits-4, 0))
	if digits >= 11 {
		head = 3
	}
	out, seen := []byte(s), 0
	for i, ch := range out {
		if ch < '0' || ch > '9' {
			continue
		}
		if seen >= head && seen < digits-tail {
			out[i] = '*'
		}
		seen++
	}
	return string(out)
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// fieldIndex returns the struct field index of the JSON field name of kind
// k. Policies name only PII fields of known kinds, so it always exists.
func fieldIndex(k Kind, name string) []int {
	t := reflect.TypeOf(zeroRecord(k))
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return []int{i}
		}
	}
	panic("registry: no field " + string(k) + "." + name)
}

// zeroRecord returns the zero record of kind k (nil for an unknown kind).
func zeroRecord(k Kind) Record {
	switch k {
	case KindCommunity:
		return Community{}
	case KindOrg:
		return Org{}
	case KindActivity:
		return Activity{}
	case KindProject:
		return Project{}
	case KindTalent:
		return Talent{}
	case KindPlatform:
		return Platform{}
	case KindRegistration:
		return Registration{}
	}
	return nil
}

// appendPolicy puts `,"_policy":v` before the closing brace of a canonical
// JSON object.
func appendPolicy(body []byte, v int) []byte {
	out := make([]byte, 0, len(body)+16)
	out = append(out, body[:len(body)-1]...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"`+PolicyMember+`":`...)
	out = strconv.AppendInt(out, int64(v), 10)
	return append(out, '}')
}

// splitPolicy removes a trailing `,"_policy":N}` from body, returning the
// body without it and N; N is 0 when body ends otherwise (a full record,
// or a _policy member elsewhere, which Decode then refuses as an unknown
// field).
func splitPolicy(body []byte) ([]byte, int) {
	const marker = `,"` + PolicyMember + `":`
	i := bytes.LastIndex(body, []byte(marker))
	if i < 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return body, 0
	}
	digits := body[i+len(marker) : len(body)-1]
	if len(digits) == 0 || len(digits) > 4 || digits[0] == '0' {
		return body, 0
	}
	v := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return body, 0
		}
		v = v*10 + int(c-'0')
	}
	rest := make([]byte, 0, i+1)
	return append(append(rest, body[:i]...), '}'), v
}

// DecodeStored decodes a record body as a store holds it: an origin's full
// record (version 0) or a body that left its origin, with PolicyMember
// last (its version returned). It checks the JSON like Decode but not the
// rules: ValidateRedacted does, for bodies from elsewhere.
func DecodeStored(k Kind, body []byte) (Record, int, error) {
	rest, v := splitPolicy(body)
	rec, err := Decode(k, rest)
	return rec, v, err
}

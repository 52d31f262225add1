package registry

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var (
	testKey  = bytes.Repeat([]byte{7}, HashKeySize)
	otherKey = bytes.Repeat([]byte{8}, HashKeySize)
)

func mustRedactor(t testing.TB, p *Policy, key []byte) *Redactor {
	t.Helper()
	r, err := NewRedactor(p, key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPolicyCoversEveryPIIField: every released policy has an action and a
// reason for every PII field; every PII field has a class and is an
// optional string (so an emptied or replaced value still validates).
func TestPolicyCoversEveryPIIField(t *testing.T) {
	for v := 1; v <= PolicyVersion; v++ {
		p, ok := PolicyFor(v)
		if !ok || p.Version() != v {
			t.Fatalf("policy %d missing", v)
		}
		var got []string
		for _, r := range p.Rules() {
			got = append(got, string(r.Kind)+"."+r.Field)
			if r.Action < ActionSend || r.Action > ActionHash || r.Why == "" {
				t.Errorf("policy %d: %s.%s: action %v, reason %q", v, r.Kind, r.Field, r.Action, r.Why)
			}
		}
		var want []string
		for _, k := range Kinds {
			for _, f := range PIIFields(k) {
				want = append(want, string(k)+"."+f)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("policy %d covers %v, want %v", v, got, want)
		}
	}
	for _, k := range Kinds {
		for _, f := range Fields(k) {
			if !f.PII {
				continue
			}
			if piiClasses[k][f.Name] == 0 || f.Type != TypeString || f.Required {
				t.Errorf("%s.%s: PII field without a class, or not an optional string", k, f.Name)
			}
		}
	}
	if DefaultPolicy().Version() != PolicyVersion {
		t.Error("DefaultPolicy is not PolicyVersion")
	}
	for _, r := range DefaultPolicy().Rules() {
		if r.Action != ActionHash {
			t.Errorf("default policy: %s.%s is %v, want send-hashed (DESIGN §7)", r.Kind, r.Field, r.Action)
		}
	}
}

func allRules(a Action) []FieldRule {
	var out []FieldRule
	for _, k := range Kinds {
		for _, f := range PIIFields(k) {
			out = append(out, FieldRule{Kind: k, Field: f, Action: a, Why: "test"})
		}
	}
	return out
}

func TestNewPolicyRefuses(t *testing.T) {
	full := allRules(ActionHash)
	cases := map[string]struct {
		v     int
		rules []FieldRule
	}{
		"version 0":     {0, full},
		"version 10000": {10000, full},
		"missing field": {1, full[1:]},
		"non-PII field": {1, append(slices.Clone(full), FieldRule{KindOrg, "name", ActionHash, ""})},
		"two rules":     {1, append(slices.Clone(full), full[0])},
		"bad action":    {1, append([]FieldRule{{full[0].Kind, full[0].Field, 9, ""}}, full[1:]...)},
		"unknown kind":  {1, append(slices.Clone(full), FieldRule{"nope", "name", ActionHash, ""})},
	}
	for name, c := range cases {
		if _, err := NewPolicy(c.v, c.rules); err == nil {
			t.Errorf("%s: NewPolicy accepted it", name)
		}
	}
	if _, err := NewPolicy(7, full); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRedactor(DefaultPolicy(), []byte("short")); err == nil {
		t.Error("NewRedactor accepted a 5-byte key")
	}
}

func TestRedactDefaultPolicy(t *testing.T) {
	r := mustRedactor(t, DefaultPolicy(), testKey)
	for _, rec := range samples() {
		body, err := r.Redact(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(body, []byte(`,"_policy":1}`)) {
			t.Fatalf("%s: body does not end with the policy version: %s", rec.Kind(), body)
		}
		got, err := ValidateRedacted(rec.Kind(), body)
		if err != nil {
			t.Fatalf("%s: ValidateRedacted of its own redaction: %v\n%s", rec.Kind(), err, body)
		}
		full, _ := Encode(rec)
		if len(PIIFields(rec.Kind())) == 0 {
			if g, _ := Encode(got); !bytes.Equal(g, full) {
				t.Errorf("%s: a kind without PII changed: %s", rec.Kind(), g)
			}
			continue
		}
		for _, s := range []string{"张三", "13912345678", "李四", "024-23456789", "11010519491231002X"} {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("%s: redacted body holds %q: %s", rec.Kind(), s, body)
			}
		}
		if _, err := Decode(rec.Kind(), body); err == nil {
			t.Errorf("%s: Decode accepted a body carrying _policy (writers may not set it)", rec.Kind())
		}
	}
	tal := sampleTalent()
	body, _ := r.Redact(tal)
	rec, v, err := DecodeStored(KindTalent, body)
	if err != nil || v != 1 {
		t.Fatalf("DecodeStored: %v version %d", err, v)
	}
	got := rec.(Talent)
	if !IsHash(got.Name) || !IsHash(got.Phone) || !IsHash(got.IDNumber) || got.Role != tal.Role || got.Org != tal.Org {
		t.Fatalf("redacted talent: %+v", got)
	}
	full, _ := Encode(tal)
	if rec, v, err := DecodeStored(KindTalent, full); err != nil || v != 0 || rec != tal {
		t.Fatalf("DecodeStored of a full body: %v %d %v", rec, v, err)
	}
}

func TestRedactWithoutKey(t *testing.T) {
	r := mustRedactor(t, DefaultPolicy(), nil)
	if _, err := r.Redact(sampleTalent()); !errors.Is(err, ErrNoHashKey) {
		t.Fatalf("talent with PII and no key: %v, want ErrNoHashKey", err)
	}
	o := sampleOrg()
	o.Leader, o.LeaderPhone = "", ""
	body, err := r.Redact(o)
	if err != nil {
		t.Fatalf("org without PII values and no key: %v", err)
	}
	if _, err := ValidateRedacted(KindOrg, body); err != nil {
		t.Fatal(err)
	}
}

// TestValidateRedactedRefuses: clear PII under a hashing policy, a missing
// or unknown policy version, a kept field with a value, a misplaced
// _policy member: each refused naming the field, without quoting the value.
func TestValidateRedactedRefuses(t *testing.T) {
	r := mustRedactor(t, DefaultPolicy(), testKey)
	good, _ := r.Redact(sampleTalent())
	clear, _ := Encode(sampleTalent())
	swap := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	rec, _, _ := DecodeStored(KindTalent, good)
	tal := rec.(Talent)
	cases := []struct {
		name, field string
		body        []byte
		redaction   bool
	}{
		{"full body", "_policy", clear, true},
		{"clear phone", "phone", swap(tal.Phone, "13912345678"), true},
		{"clear id number", "id_number", swap(tal.IDNumber, "11010519491231002X"), true},
		{"upper-case hash", "name", swap(tal.Name, strings.ToUpper(tal.Name)), true},
		{"unknown version", "_policy", swap(`"_policy":1}`, `"_policy":2}`), true},
		{"version 0", "_policy", swap(`"_policy":1}`, `"_policy":0}`), true},
		{"misplaced _policy", "_policy", append([]byte(`{"_policy":1,`), clear[1:]...), true},
		{"bad role", "role", swap(`"role":"队长"`, `"role":"\t"`), false},
	}
	for _, c := range cases {
		_, err := ValidateRedacted(KindTalent, c.body)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || errors.Is(err, ErrRedaction) != c.redaction {
			t.Errorf("%s: got %v, want a refusal of %s (redaction rule %v)", c.name, err, c.field, c.redaction)
			continue
		}
		for _, pii := range []string{"13912345678", "11010519491231002X", "李四"} {
			if strings.Contains(err.Error(), pii) {
				t.Errorf("%s: refusal quotes personal data: %v", c.name, err)
			}
		}
		if err := CheckRedaction(KindTalent, c.body); (err != nil) != c.redaction || c.redaction && !errors.Is(err, ErrRedaction) {
			t.Errorf("%s: CheckRedaction = %v, want a refusal: %v", c.name, err, c.redaction)
		}
	}
	keep, _ := NewPolicy(1, allRules(ActionKeep))
	lookup := func(v int) (*Policy, bool) { return keep, v == 1 }
	if _, err := validateRedacted(KindTalent, good, lookup); !errors.Is(err, ErrRedaction) {
		t.Errorf("a hash where the policy keeps the field: %v", err)
	}
}

func genPhone(t *rapid.T) string {
	switch rapid.IntRange(0, 2).Draw(t, "form") {
	case 0:
		return "1" + rapid.StringMatching(`[3-9][0-9]{9}`).Draw(t, "mobile")
	case 1:
		return rapid.StringMatching(`0[1-9][0-9]{1,2}-[2-9][0-9]{6,7}`).Draw(t, "landline")
	}
	return rapid.StringMatching(`[2-9][0-9]{6,7}`).Draw(t, "local")
}

func genIDNumber(t *rapid.T) string {
	s := rapid.StringMatching(`[1-6][0-9]{16}`).Draw(t, "id17")
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(s[i]-'0') * idWeights[i]
	}
	return s + string("10X98765432"[sum%11])
}

func genName(t *rapid.T) string {
	return rapid.StringOfN(rapid.RuneFrom([]rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英")), 1, 4, -1).Draw(t, "name")
}

func genTalent(t *rapid.T) Talent {
	tal := sampleTalent()
	tal.Name, tal.Phone, tal.IDNumber = genName(t), genPhone(t), genIDNumber(t)
	if err := tal.Validate(); err != nil {
		t.Fatalf("generated talent invalid: %v", err)
	}
	return tal
}

// TestHashProperties: same value and key → same hash; another key or
// another value → another hash; the hash never contains the value.
func TestHashProperties(t *testing.T) {
	a, b := mustRedactor(t, DefaultPolicy(), testKey), mustRedactor(t, DefaultPolicy(), otherKey)
	rapid.Check(t, func(t *rapid.T) {
		x, y := genTalent(t), genTalent(t)
		for _, pair := range [][2]string{{x.Phone, y.Phone}, {x.IDNumber, y.IDNumber}, {x.Name, y.Name}} {
			c := classPhone
			switch pair[0] {
			case x.IDNumber:
				c = classIDNumber
			case x.Name:
				c = className
			}
			h := a.hash(c, pair[0])
			if !IsHash(h) || h != a.hash(c, pair[0]) {
				t.Fatalf("hash %q of %s is not stable or not well formed", h, c)
			}
			if h == b.hash(c, pair[0]) {
				t.Fatalf("two keys give the same hash of %s", c)
			}
			if pair[0] != pair[1] && normalize(c, pair[0]) != normalize(c, pair[1]) && h == a.hash(c, pair[1]) {
				t.Fatalf("two values of %s give the same hash", c)
			}
			if strings.Contains(h, pair[0]) || strings.Contains(h, strings.ReplaceAll(pair[0], "-", "")) {
				t.Fatalf("hash %q contains the value", h)
			}
		}
		body, err := a.Redact(x)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{x.Name, x.Phone, x.IDNumber, strings.ReplaceAll(x.Phone, "-", "")} {
			if bytes.Contains(body, []byte(v)) {
				t.Fatalf("redacted body holds %q: %s", v, body)
			}
		}
	})
}

// TestMaskProperties: a mask hides at least four digits of a phone number,
// ten of an ID number and all but the first character of a name; it never
// contains the value, and every mask passes the receiver's shape check.
func TestMaskProperties(t *testing.T) {
	p, err := NewPolicy(1, allRules(ActionMask))
	if err != nil {
		t.Fatal(err)
	}
	r := mustRedactor(t, p, nil)
	lookup := func(v int) (*Policy, bool) { return p, v == 1 }
	rapid.Check(t, func(t *rapid.T) {
		x := genTalent(t)
		pm, im, nm := mask(classPhone, x.Phone), mask(classIDNumber, x.IDNumber), mask(className, x.Name)
		if strings.Count(pm, "*") < 4 || countDigits(pm) > 7 || len(pm) != len(x.Phone) || !isMask(classPhone, pm) {
			t.Fatalf("phone %s masked as %s", x.Phone, pm)
		}
		if im != x.IDNumber[:4]+"**********"+x.IDNumber[14:] || !isMask(classIDNumber, im) {
			t.Fatalf("id number masked as %s", im)
		}
		if first := []rune(x.Name)[0]; nm != string(first)+strings.Repeat("*", len([]rune(x.Name))-1) && !(len([]rune(x.Name)) == 1 && nm == "*") || !isMask(className, nm) {
			t.Fatalf("name %s masked as %s", x.Name, nm)
		}
		for _, pair := range [][2]string{{x.Phone, pm}, {x.IDNumber, im}, {strings.ReplaceAll(x.Phone, "-", ""), strings.ReplaceAll(pm, "-", "")}} {
			if strings.Contains(pair[1], pair[0]) {
				t.Fatalf("mask %s contains %s", pair[1], pair[0])
			}
		}
		body, err := r.Redact(x)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := validateRedacted(KindTalent, body, lookup); err != nil {
			t.Fatalf("masked body refused: %v\n%s", err, body)
		}
		if _, err := validateRedacted(KindTalent, bytes.Replace(body, []byte(pm), []byte(x.Phone), 1), lookup); !errors.Is(err, ErrRedaction) && pm != x.Phone {
			t.Fatalf("clear phone under a masking policy: %v", err)
		}
	})
}

// TestKeepAndSend: a kept field is absent from the body; a sent one is the
// value itself and must still be valid.
func TestKeepAndSend(t *testing.T) {
	rules := allRules(ActionKeep)
	for i := range rules {
		if rules[i].Field == "id_number" {
			rules[i].Action = ActionSend
		}
	}
	p, _ := NewPolicy(3, rules)
	body, err := mustRedactor(t, p, nil).Redact(sampleTalent())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"t.1","org":"hp-001","community":"210102001002","id_number":"11010519491231002X","role":"队长","trained":true,"social_worker":true,"_policy":3}`
	if string(body) != want {
		t.Fatalf("body\n got %s\nwant %s", body, want)
	}
	lookup := func(v int) (*Policy, bool) { return p, v == 3 }
	if _, err := validateRedacted(KindTalent, body, lookup); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(body, []byte("002X"), []byte("0021"), 1)
	var fe *FieldError
	if _, err := validateRedacted(KindTalent, bad, lookup); !errors.As(err, &fe) || fe.Field != "id_number" {
		t.Fatalf("a sent field with a bad check digit: %v", err)
	}
}

func FuzzValidateRedacted(f *testing.F) {
	r, _ := NewRedactor(DefaultPolicy(), testKey)
	for _, rec := range samples() {
		b, _ := r.Redact(rec)
		f.Add(string(rec.Kind()), b)
		e, _ := Encode(rec)
		f.Add(string(rec.Kind()), e)
	}
	f.Add("talent", []byte(`{"id":"a","_policy":1}`))
	f.Add("org", []byte(`{,"_policy":01}`))
	f.Fuzz(func(t *testing.T, kind string, body []byte) {
		k, err := ParseKind(kind)
		if err != nil {
			return
		}
		rec, err := ValidateRedacted(k, body)
		if cerr := CheckRedaction(k, body); err == nil && cerr != nil {
			t.Fatalf("ValidateRedacted accepts what CheckRedaction refuses: %v", cerr)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("refusal %v is not a *FieldError naming a field", err)
			}
			return
		}
		_, v, _ := DecodeStored(k, body)
		p, _ := PolicyFor(v)
		for _, rule := range p.Rules() {
			if rule.Kind != k || rule.Action != ActionHash {
				continue
			}
			s := fmt.Sprint(reflectField(rec, rule.Field))
			if s != "" && !IsHash(s) {
				t.Fatalf("accepted %s.%s = %q, not a hash", k, rule.Field, s)
			}
		}
	})
}

func reflectField(rec Record, name string) any {
	return reflect.ValueOf(rec).FieldByIndex(fieldIndex(rec.Kind(), name)).Interface()
}

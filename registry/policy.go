package registry

import (
	"fmt"
	"slices"
)

// Action is what happens to a field's value when an entry leaves its origin
// (DESIGN §7). The origin's own record always keeps the full value.
type Action uint8

// Actions of a redaction policy.
const (
	// ActionSend sends the value unchanged.
	ActionSend Action = 1
	// ActionKeep keeps the value at the origin: the field is empty in what
	// is sent.
	ActionKeep Action = 2
	// ActionMask sends a masked form that hides most of the value:
	// 138****5678, 2101**********1234, 张*.
	ActionMask Action = 3
	// ActionHash sends a keyed hash (HashPrefix and 32 hex digits of
	// HMAC-SHA256 under the federation's hash key), so that higher levels can
	// tell equal values apart, and count distinct people, without seeing them.
	ActionHash Action = 4
)

// String names the action as docs/RECORDS.md and the CLI show it.
func (a Action) String() string {
	switch a {
	case ActionSend:
		return "send"
	case ActionKeep:
		return "keep-at-origin"
	case ActionMask:
		return "send-masked"
	case ActionHash:
		return "send-hashed"
	}
	return fmt.Sprintf("invalid(%d)", uint8(a))
}

// PolicyMember is the JSON member that states, in every record body that
// left its origin, the version of the redaction policy applied to it. It is
// the last member of the object: {"id":"t1",…,"_policy":1}.
const PolicyMember = "_policy"

// PolicyVersion is the version of the policy an origin applies today
// (DefaultPolicy). Receivers accept every version PolicyFor knows.
const PolicyVersion = 1

// MaxPolicyVersion bounds policy versions (four digits in a body).
const MaxPolicyVersion = 9999

// FieldRule is the action of a policy for one PII field.
type FieldRule struct {
	Kind   Kind
	Field  string // JSON name of a PII field of Kind
	Action Action
	Why    string // the reason, shown by docs/RECORDS.md and `fedsync privacy policy`
}

// Policy is a versioned redaction policy: an action for every PII field of
// every kind (fields not marked PII are always sent). A Policy is
// immutable; a change of any action is a new version.
type Policy struct {
	version int
	rules   []FieldRule                // in Kinds and field order
	index   [][]int                    // struct field index of rules[i]
	actions map[Kind]map[string]Action // from rules
}

// NewPolicy checks rules and returns the policy. Every PII field of every
// kind must have exactly one rule; rules may name PII fields only (all of
// them optional strings, so an emptied value still validates).
func NewPolicy(version int, rules []FieldRule) (*Policy, error) {
	if version < 1 || version > MaxPolicyVersion {
		return nil, fmt.Errorf("redaction policy: version %d must be between 1 and %d", version, MaxPolicyVersion)
	}
	p := &Policy{version: version, actions: map[Kind]map[string]Action{}}
	for _, r := range rules {
		if !slices.Contains(PIIFields(r.Kind), r.Field) {
			return nil, fmt.Errorf("redaction policy %d: %s.%s is not a PII field", version, r.Kind, r.Field)
		}
		if r.Action < ActionSend || r.Action > ActionHash {
			return nil, fmt.Errorf("redaction policy %d: %s.%s: invalid action %d", version, r.Kind, r.Field, r.Action)
		}
		if _, dup := p.actions[r.Kind][r.Field]; dup {
			return nil, fmt.Errorf("redaction policy %d: %s.%s has two rules", version, r.Kind, r.Field)
		}
		if p.actions[r.Kind] == nil {
			p.actions[r.Kind] = map[string]Action{}
		}
		p.actions[r.Kind][r.Field] = r.Action
	}
	for _, k := range Kinds {
		for _, f := range PIIFields(k) {
			a, ok := p.actions[k][f]
			if !ok {
				return nil, fmt.Errorf("redaction policy %d: PII field %s.%s has no action", version, k, f)
			}
			p.rules = append(p.rules, ruleFor(rules, k, f, a))
			p.index = append(p.index, fieldIndex(k, f))
		}
	}
	return p, nil
}

func ruleFor(rules []FieldRule, k Kind, f string, a Action) FieldRule {
	for _, r := range rules {
		if r.Kind == k && r.Field == f {
			return r
		}
	}
	return FieldRule{Kind: k, Field: f, Action: a}
}

// Version returns the policy's version.
func (p *Policy) Version() int { return p.version }

// Action returns the action for field of kind k: ActionSend for every field
// not marked PII.
func (p *Policy) Action(k Kind, field string) Action {
	if a, ok := p.actions[k][field]; ok {
		return a
	}
	return ActionSend
}

// Rules returns the policy's rule for every PII field, in Kinds and field
// order. The slice is the caller's.
func (p *Policy) Rules() []FieldRule { return slices.Clone(p.rules) }

// policies holds every released policy by version. A released policy never
// changes: receivers validate bodies by the version they state.
var policies = map[int]*Policy{
	1: mustPolicy(1, []FieldRule{
		{KindOrg, "leader", ActionHash, "a person's name; the hash shows one person leading several organizations"},
		{KindOrg, "leader_phone", ActionHash, "a person's phone; the hash tells leaders with the same name apart"},
		{KindTalent, "name", ActionHash, "a person's name; with the ID number's hash, counts distinct people"},
		{KindTalent, "phone", ActionHash, "a person's phone; the hash tells people without an ID number apart"},
		{KindTalent, "id_number", ActionHash, "the resident ID number; its hash is the key for counting distinct people"},
	}),
}

func mustPolicy(version int, rules []FieldRule) *Policy {
	p, err := NewPolicy(version, rules)
	if err != nil {
		panic(err)
	}
	return p
}

// PolicyFor returns the released policy of version v.
func PolicyFor(v int) (*Policy, bool) {
	p, ok := policies[v]
	return p, ok
}

// DefaultPolicy returns the policy origins apply today (PolicyVersion).
func DefaultPolicy() *Policy { return policies[PolicyVersion] }

// piiClass says what a PII field holds, which decides how it is masked,
// normalized before hashing, and checked once redacted.
type piiClass uint8

const (
	className     piiClass = 1 // a person's name
	classPhone    piiClass = 2 // a phone number
	classIDNumber piiClass = 3 // a resident ID number
)

func (c piiClass) String() string {
	switch c {
	case className:
		return "name"
	case classPhone:
		return "phone"
	case classIDNumber:
		return "id_number"
	}
	return "invalid"
}

// piiClasses gives the class of every PII field (policy_test.go checks
// that none is missing).
var piiClasses = map[Kind]map[string]piiClass{
	KindOrg:    {"leader": className, "leader_phone": classPhone},
	KindTalent: {"name": className, "phone": classPhone, "id_number": classIDNumber},
}

package storage

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/area"
)

// Role is what an API token may do (docs/SECURITY.md). Roles are ordered:
// an admin may do what an operator may, an operator what a viewer may.
type Role string

// Roles of a token.
const (
	// RoleViewer reads the records, summaries and audit trail of its area's
	// subtree.
	RoleViewer Role = "viewer"
	// RoleOperator also writes records whose area lies inside its area.
	RoleOperator Role = "operator"
	// RoleAdmin also manages tokens and the node's membership.
	RoleAdmin Role = "admin"
	// RoleAnonymous is never a token's role: it attributes writes made
	// while ACLs are disabled.
	RoleAnonymous Role = "anonymous"
)

// Roles lists the roles a token may have, weakest first.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

// rank orders roles; 0 is not a token role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleOperator:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// ParseRole returns the role named s; an error names the valid roles.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", fmt.Errorf("role %q: want viewer, operator or admin", s)
}

// Allows reports whether a token of role r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// Token is an API token as stored: its public accessor, the SHA-256 of its
// secret (never the secret itself), its role and the area it acts in.
type Token struct {
	Accessor    string    `json:"accessor"`              // public id, 32 hex digits
	Role        Role      `json:"role"`                  // viewer, operator or admin
	Area        area.Code `json:"area"`                  // inside the node's area
	Description string    `json:"description,omitempty"` // who or what holds it
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"` // zero: never
	Revoked     time.Time `json:"revoked,omitzero"` // zero: not revoked
	// SecretHash is SHA-256 of the secret. It is stored, never sent.
	SecretHash [32]byte `json:"-"`
}

// Token limits.
const (
	// MaxDescription bounds Token.Description, in bytes.
	MaxDescription = 200
	accessorLen    = 32
)

// HashSecret returns the SHA-256 of a token secret, the form stored.
func HashSecret(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// Matches reports, in constant time, whether secret is this token's.
func (t Token) Matches(secret string) bool {
	h := HashSecret(secret)
	return subtle.ConstantTimeCompare(h[:], t.SecretHash[:]) == 1
}

// Validate checks a token's fields: a known role, a valid area, an
// accessor of 32 lowercase hex digits, a bounded description.
func (t Token) Validate() error {
	switch {
	case len(t.Accessor) != accessorLen || !isLowerHex(t.Accessor):
		return fmt.Errorf("token accessor %q: want %d lowercase hex digits: %w", t.Accessor, accessorLen, ErrACL)
	case t.Role.rank() == 0:
		return fmt.Errorf("token %s: role %q: want viewer, operator or admin: %w", t.Accessor, t.Role, ErrACL)
	case !t.Area.Valid():
		return fmt.Errorf("token %s: area %q is not a 12-digit division code: %w", t.Accessor, t.Area, ErrACL)
	case len(t.Description) > MaxDescription:
		return fmt.Errorf("token %s: description longer than %d bytes: %w", t.Accessor, MaxDescription, ErrACL)
	case t.Created.IsZero():
		return fmt.Errorf("token %s: no creation time: %w", t.Accessor, ErrACL)
	}
	return nil
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Errors of the token store.
var (
	// ErrACL is returned when a token or token operation is malformed.
	ErrACL = errors.New("invalid token")
	// ErrBootstrapped is returned by a bootstrap when a token already
	// exists (bootstrap is allowed once).
	ErrBootstrapped = errors.New("ACL bootstrap already done")
)

// ACL operations, the values of ACLOp.Op.
const (
	ACLBootstrap = "bootstrap" // create the first token; refused once any exists
	ACLCreate    = "create"    // create a token
	ACLRevoke    = "revoke"    // mark a token revoked
	// ACLServerSecret sets the secret the node's servers present to each
	// other's APIs (forwarded operator calls, status of peers); the first
	// one set stays.
	ACLServerSecret = "server_secret"
)

// ACLOp is one change to a node's tokens, applied through raft so that
// every server of the node holds the same tokens. Tokens do not replicate
// upward.
type ACLOp struct {
	Op       string    `json:"op"`
	Token    Token     `json:"token,omitzero"`          // bootstrap, create
	Hash     string    `json:"sha256,omitempty"`        // hex SecretHash of Token
	Accessor string    `json:"accessor,omitempty"`      // revoke
	Secret   string    `json:"server_secret,omitempty"` // server_secret
	Time     time.Time `json:"time"`                    // stamped by the leader
}

// tokenRecord is the stored form of a Token (bucket acl, key accessor):
// version byte 1, then this JSON.
type tokenRecord struct {
	Token
	Hash string `json:"sha256"`
}

// EncodeACLOp encodes op as JSON (the payload of the node's ACL raft
// command).
func EncodeACLOp(op ACLOp) ([]byte, error) {
	if op.Op == ACLBootstrap || op.Op == ACLCreate {
		op.Hash = hex.EncodeToString(op.Token.SecretHash[:])
	}
	return json.Marshal(op)
}

// DecodeACLOp decodes and checks an encoded ACLOp strictly: unknown
// fields, trailing bytes, an unknown op or an invalid token are refused.
func DecodeACLOp(b []byte) (ACLOp, error) {
	var op ACLOp
	if err := strictJSON(b, &op); err != nil {
		return ACLOp{}, fmt.Errorf("acl op: %w: %w", ErrACL, err)
	}
	switch op.Op {
	case ACLBootstrap, ACLCreate:
		h, err := hex.DecodeString(op.Hash)
		if err != nil || len(h) != 32 {
			return ACLOp{}, fmt.Errorf("acl op: sha256 %q: %w", op.Hash, ErrACL)
		}
		copy(op.Token.SecretHash[:], h)
		if err := op.Token.Validate(); err != nil {
			return ACLOp{}, fmt.Errorf("acl op: %w", err)
		}
	case ACLRevoke:
		if len(op.Accessor) != accessorLen || !isLowerHex(op.Accessor) {
			return ACLOp{}, fmt.Errorf("acl op: accessor %q: %w", op.Accessor, ErrACL)
		}
	case ACLServerSecret:
		if n := len(op.Secret); n < 32 || n > 128 {
			return ACLOp{}, fmt.Errorf("acl op: server secret of %d bytes: %w", n, ErrACL)
		}
	default:
		return ACLOp{}, fmt.Errorf("acl op %q: %w", op.Op, ErrACL)
	}
	return op, nil
}

// strictJSON decodes one JSON value into v, refusing unknown fields and
// anything after it.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Buckets of the token store, created on first use.
var (
	bucketACL       = []byte("acl")        // accessor → 0x01 JSON tokenRecord
	bucketACLSecret = []byte("acl_secret") // SHA-256 of secret (32) → accessor
	bucketACLNode   = []byte("acl_node")   // "server" → the servers' secret
	keyServerSecret = []byte("server")
)

// ApplyACL applies one token operation. A refusal (a second bootstrap, an
// existing accessor, an unknown one) is returned as the error with nothing
// changed, except that the raft index is recorded so a replay is skipped.
// raftIndex works as in ApplyLocal. The token's area must lie inside the
// node's area.
func (s *Store) ApplyACL(raftIndex uint64, op ACLOp) error {
	var refusal error
	err := s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		var err error
		refusal, err = s.applyACL(tx, op)
		if err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
	if err != nil {
		return fmt.Errorf("apply acl %s: %w", op.Op, err)
	}
	return refusal
}

// applyACL returns the refusal of op, or the storage error that aborts the
// transaction.
func (s *Store) applyACL(tx *bolt.Tx, op ACLOp) (refusal, err error) {
	toks, err := tx.CreateBucketIfNotExists(bucketACL)
	if err != nil {
		return nil, err
	}
	secrets, err := tx.CreateBucketIfNotExists(bucketACLSecret)
	if err != nil {
		return nil, err
	}
	switch op.Op {
	case ACLBootstrap:
		if k, v := toks.Cursor().First(); k != nil {
			first, _ := decodeToken(v)
			return fmt.Errorf("%w (token %s was created %s); create further tokens with an admin token: fedsync acl token create", ErrBootstrapped, k, first.Created.Format(time.RFC3339)), nil
		}
		fallthrough
	case ACLCreate:
		return s.createToken(toks, secrets, op.Token)
	case ACLRevoke:
		v := toks.Get([]byte(op.Accessor))
		if v == nil {
			return fmt.Errorf("token %s: %w", op.Accessor, ErrNotFound), nil
		}
		t, err := decodeToken(v)
		if err != nil {
			return nil, err
		}
		if t.Revoked.IsZero() {
			t.Revoked = op.Time.UTC()
		}
		return nil, toks.Put([]byte(t.Accessor), encodeToken(t))
	case ACLServerSecret:
		b, err := tx.CreateBucketIfNotExists(bucketACLNode)
		if err != nil || b.Get(keyServerSecret) != nil {
			return nil, err
		}
		return nil, b.Put(keyServerSecret, []byte(op.Secret))
	}
	return fmt.Errorf("acl op %q: %w", op.Op, ErrACL), nil
}

func (s *Store) createToken(toks, secrets *bolt.Bucket, t Token) (refusal, err error) {
	if err := t.Validate(); err != nil {
		return err, nil
	}
	if !s.area.Contains(t.Area) {
		return fmt.Errorf("token area %s lies outside this node's area %s: %w", t.Area, s.area, ErrACL), nil
	}
	if toks.Get([]byte(t.Accessor)) != nil || secrets.Get(t.SecretHash[:]) != nil {
		return fmt.Errorf("token %s: %w", t.Accessor, ErrExists), nil
	}
	if err := toks.Put([]byte(t.Accessor), encodeToken(t)); err != nil {
		return nil, err
	}
	return nil, secrets.Put(t.SecretHash[:], []byte(t.Accessor))
}

func encodeToken(t Token) []byte {
	b, _ := json.Marshal(tokenRecord{Token: t, Hash: hex.EncodeToString(t.SecretHash[:])}) // cannot fail: plain fields
	return append([]byte{encVersion}, b...)
}

func decodeToken(v []byte) (Token, error) {
	var r tokenRecord
	if len(v) < 2 || v[0] != encVersion || json.Unmarshal(v[1:], &r) != nil {
		return Token{}, fmt.Errorf("stored token: %w", ErrCorrupt)
	}
	h, err := hex.DecodeString(r.Hash)
	if err != nil || len(h) != 32 {
		return Token{}, fmt.Errorf("stored token %s: hash: %w", r.Accessor, ErrCorrupt)
	}
	t := r.Token
	copy(t.SecretHash[:], h)
	return t, nil
}

// TokenBySecret returns the token whose secret is secret; ErrNotFound when
// none. The stored hash is compared in constant time.
func (s *Store) TokenBySecret(secret string) (Token, error) {
	h := HashSecret(secret)
	var t Token
	err := s.view(func(tx *bolt.Tx) error {
		sb, tb := tx.Bucket(bucketACLSecret), tx.Bucket(bucketACL)
		if sb == nil || tb == nil {
			return ErrNotFound
		}
		acc := sb.Get(h[:])
		v := tb.Get(acc)
		if acc == nil || v == nil {
			return ErrNotFound
		}
		var err error
		t, err = decodeToken(v)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	if !t.Matches(secret) {
		return Token{}, ErrNotFound
	}
	return t, nil
}

// Tokens returns every token, revoked ones included, by accessor.
func (s *Store) Tokens() ([]Token, error) {
	var out []Token
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketACL)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			t, err := decodeToken(v)
			out = append(out, t)
			return err
		})
	})
	return out, err
}

// ServerSecret returns the secret the node's servers present to each
// other ("" until the leader has set one).
func (s *Store) ServerSecret() (string, error) {
	var out string
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketACLNode); b != nil {
			out = string(b.Get(keyServerSecret))
		}
		return nil
	})
	return out, err
}

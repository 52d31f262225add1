package storage

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testToken(acc string, role Role, secret string) Token {
	return Token{Accessor: acc, Role: role, Area: testStreet, Description: "test " + string(role),
		Created: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), SecretHash: HashSecret(secret)}
}

const (
	acc1 = "0123456789abcdef0123456789abcdef"
	acc2 = "fedcba9876543210fedcba9876543210"
)

func TestBootstrapOnce(t *testing.T) {
	s := openTest(t)
	if err := s.ApplyACL(1, ACLOp{Op: ACLBootstrap, Token: testToken(acc1, RoleAdmin, "s1")}); err != nil {
		t.Fatalf("first bootstrap: %v", err)
	}
	err := s.ApplyACL(2, ACLOp{Op: ACLBootstrap, Token: testToken(acc2, RoleAdmin, "s2")})
	if !errors.Is(err, ErrBootstrapped) || !strings.Contains(err.Error(), acc1) {
		t.Fatalf("second bootstrap: got %v, want ErrBootstrapped naming %s", err, acc1)
	}
	if toks, _ := s.Tokens(); len(toks) != 1 || toks[0].Accessor != acc1 {
		t.Fatalf("tokens after a refused bootstrap: %+v", toks)
	}
	if idx, _ := s.AppliedIndex(); idx != 2 {
		t.Fatalf("applied index %d after a refused op, want 2 (a replay must be skipped)", idx)
	}
	if _, err := s.TokenBySecret("s2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("secret of the refused bootstrap: %v", err)
	}
}

func TestTokenLifecycle(t *testing.T) {
	s := openTest(t)
	tok := testToken(acc1, RoleOperator, "secret-1")
	if err := s.ApplyACL(0, ACLOp{Op: ACLCreate, Token: tok}); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenBySecret("secret-1")
	if err != nil || got.Accessor != acc1 || got.Role != RoleOperator || got.Area != testStreet {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if _, err := s.TokenBySecret("secret-2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown secret: %v", err)
	}
	if err := s.ApplyACL(0, ACLOp{Op: ACLCreate, Token: tok}); !errors.Is(err, ErrExists) {
		t.Fatalf("same accessor again: %v", err)
	}
	outside := testToken(acc2, RoleViewer, "x")
	outside.Area = "210103001000"
	if err := s.ApplyACL(0, ACLOp{Op: ACLCreate, Token: outside}); !errors.Is(err, ErrACL) {
		t.Fatalf("token outside the node's area: %v", err)
	}
	now := time.Now().UTC()
	if err := s.ApplyACL(0, ACLOp{Op: ACLRevoke, Accessor: acc1, Time: now}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenBySecret("secret-1"); got.Revoked.IsZero() {
		t.Fatalf("revoked token has no revocation time: %+v", got)
	}
	if err := s.ApplyACL(0, ACLOp{Op: ACLRevoke, Accessor: acc2, Time: now}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func TestACLOpRoundTrip(t *testing.T) {
	op := ACLOp{Op: ACLCreate, Token: testToken(acc1, RoleViewer, "s"), Time: time.Unix(5, 0).UTC()}
	b, err := EncodeACLOp(op)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeACLOp(b)
	if err != nil || got.Token.SecretHash != op.Token.SecretHash || got.Token.Accessor != acc1 {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, bad := range []string{`{}`, `{"op":"create"}`, `{"op":"revoke","accessor":"x"}`, `{"op":"create","extra":1}`, `{"op":"revoke","accessor":"` + acc1 + `"} {}`} {
		if _, err := DecodeACLOp([]byte(bad)); !errors.Is(err, ErrACL) {
			t.Errorf("DecodeACLOp(%s) = %v, want ErrACL", bad, err)
		}
	}
}

func FuzzDecodeACLOp(f *testing.F) {
	b, _ := EncodeACLOp(ACLOp{Op: ACLCreate, Token: testToken(acc1, RoleViewer, "s")})
	f.Add(b)
	f.Add([]byte(`{"op":"revoke","accessor":"` + acc1 + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := DecodeACLOp(b)
		if err != nil {
			return
		}
		if op.Op != ACLRevoke {
			if err := op.Token.Validate(); err != nil {
				t.Fatalf("decoded an invalid token: %v", err)
			}
		}
	})
}

// TestServerSecret: the first server secret stays; it is not a token, so
// the bootstrap is still allowed after it.
func TestServerSecret(t *testing.T) {
	s := openTest(t)
	first, second := strings.Repeat("a", 43), strings.Repeat("b", 43)
	for _, sec := range []string{first, second} {
		if err := s.ApplyACL(0, ACLOp{Op: ACLServerSecret, Secret: sec}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.ServerSecret(); err != nil || got != first {
		t.Fatalf("server secret = %q, %v; want the first", got, err)
	}
	if _, err := s.TokenBySecret(first); err == nil {
		t.Fatal("the server secret is found as a token")
	}
	if err := s.ApplyACL(0, ACLOp{Op: ACLBootstrap, Token: testToken(acc1, RoleAdmin, "s1")}); err != nil {
		t.Fatalf("bootstrap after the server secret: %v", err)
	}
	if _, err := DecodeACLOp([]byte(`{"op":"server_secret","server_secret":"short"}`)); !errors.Is(err, ErrACL) {
		t.Fatalf("short server secret decoded: %v", err)
	}
}

// BenchmarkTokenBySecret is the store's part of authenticating one API
// request: a hash, one read transaction, a constant-time compare.
func BenchmarkTokenBySecret(b *testing.B) {
	s := openTest(b)
	if err := s.ApplyACL(0, ACLOp{Op: ACLCreate, Token: testToken(acc1, RoleViewer, "secret")}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.TokenBySecret("secret"); err != nil {
			b.Fatal(err)
		}
	}
}

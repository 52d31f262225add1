package api

import (
	"context"
	"fmt"
	"slices"

	"fedsync/storage"
)

var _ ACLBackend = (*fakeBackend)(nil)

// fakeAudit is one audit mutation the fake received, with the seqs of the
// write it came with.
type fakeAudit struct {
	attr  storage.Attribution
	first uint64
	last  uint64
}

// TokenBySecret implements ACLBackend.
func (f *fakeBackend) TokenBySecret(secret string) (storage.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.tokens {
		if t.Matches(secret) {
			return t, nil
		}
	}
	return storage.Token{}, storage.ErrNotFound
}

// Tokens implements ACLBackend.
func (f *fakeBackend) Tokens() ([]storage.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]storage.Token, 0, len(f.tokens))
	for _, t := range f.tokens {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b storage.Token) int { return cmpString(a.Accessor, b.Accessor) })
	return out, nil
}

// ApplyACL implements ACLBackend with the store's rules.
func (f *fakeBackend) ApplyACL(_ context.Context, op storage.ACLOp) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tokens == nil {
		f.tokens = map[string]storage.Token{}
	}
	switch op.Op {
	case storage.ACLBootstrap, storage.ACLCreate:
		if op.Op == storage.ACLBootstrap && len(f.tokens) > 0 {
			return storage.ErrBootstrapped
		}
		if err := op.Token.Validate(); err != nil {
			return err
		}
		if !f.area.Contains(op.Token.Area) {
			return fmt.Errorf("area outside: %w", storage.ErrACL)
		}
		if _, ok := f.tokens[op.Token.Accessor]; ok {
			return storage.ErrExists
		}
		f.tokens[op.Token.Accessor] = op.Token
	case storage.ACLRevoke:
		t, ok := f.tokens[op.Accessor]
		if !ok {
			return storage.ErrNotFound
		}
		t.Revoked = op.Time
		f.tokens[op.Accessor] = t
	}
	return nil
}

// Audit implements ACLBackend: the attributions received, as entries.
func (f *fakeBackend) Audit(q storage.AuditQuery) (storage.AuditPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	page := storage.AuditPage{Items: []storage.AuditEntry{}}
	for i, a := range f.audits {
		page.Items = append(page.Items, storage.AuditEntry{Origin: f.area, Seq: uint64(i + 1),
			AuditRecord: storage.AuditRecord{Version: 1, Attribution: a.attr, First: a.first, Last: a.last}})
	}
	return page, nil
}

// audit records the audit mutation of a write (its last mutation) and
// returns its result; f.mu is held.
func (f *fakeBackend) audit(m storage.Mutation, res []storage.Result) storage.Result {
	var a fakeAudit
	if err := decodeStrict(m.Body, &a.attr); err != nil {
		return storage.Result{Err: err}
	}
	for _, r := range res {
		if r.Seq != 0 && a.first == 0 {
			a.first = r.Seq
		}
		if r.Seq != 0 {
			a.last = r.Seq
		}
	}
	if a.first == 0 {
		return storage.Result{}
	}
	f.audits = append(f.audits, a)
	return storage.Result{Seq: uint64(len(f.audits))}
}

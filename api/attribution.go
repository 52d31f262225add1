package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// reservedFields are body members a client may not send on a write: the
// attribution of a write is the server's to record from the token.
var reservedFields = []string{"accessor", "attribution", "audit", "token_area"}

// refuseAttribution answers 400 naming the first reserved member found at
// the top level of a JSON object body.
func refuseAttribution(body []byte) error {
	hit := false
	for _, f := range reservedFields {
		if bytes.Contains(body, []byte(`"`+f+`"`)) {
			hit = true
			break
		}
	}
	if !hit {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil // not an object: the decoder refuses it with its own reason
	}
	for _, f := range reservedFields {
		if _, ok := m[f]; ok {
			p := problem(http.StatusBadRequest, "attribution supplied by the client",
				"member %q is refused: who made a write is recorded by the server from its token", f)
			p.Field, p.Rule = f, "attribution is set by the server"
			return p
		}
	}
	return nil
}

// attribution is the audit record of a write made by r.
func attribution(r *http.Request) storage.Attribution {
	id, _ := IdentityOf(r)
	a := storage.Attribution{Accessor: id.Accessor, Name: id.Name, Role: id.Role, TokenArea: id.Area,
		Remote: clipString(remoteOf(r), 64), Route: clipString(r.Pattern, 128)}
	if id.Anonymous {
		a.Accessor, a.Role, a.Name = "anonymous", storage.RoleAnonymous, "ACLs disabled"
	}
	return a
}

// remoteOf is the client's address: the TCP peer, and for a write a
// follower forwarded, the client address it reports (X-Forwarded-For) with
// the follower's: "10.0.5.31 via 10.0.3.8:41000". The claimed part is only
// as trustworthy as the peer that sent it.
func remoteOf(r *http.Request) string {
	if r.Header.Get(HeaderForwardedBy) == "" {
		return r.RemoteAddr
	}
	xff := r.Header.Get("X-Forwarded-For")
	if i := strings.LastIndexByte(xff, ','); i >= 0 {
		xff = xff[i+1:]
	}
	if xff = strings.TrimSpace(xff); xff == "" {
		return r.RemoteAddr
	}
	return xff + " via " + r.RemoteAddr
}

func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// write applies muts through the Backend with an audit mutation last, so
// that the store writes, in the same raft entry, an audit entry naming the
// request's token and the seqs produced. It returns one result per
// mutation of muts.
func (s *Server) write(r *http.Request, muts []storage.Mutation) ([]storage.Result, error) {
	am, err := storage.AuditMutation(attribution(r))
	if err != nil {
		return nil, fmt.Errorf("attribute write: %w", err)
	}
	all := append(muts[:len(muts):len(muts)], am)
	res, err := s.b.Write(r.Context(), all)
	if err != nil {
		return nil, err
	}
	if len(res) != len(all) {
		return nil, fmt.Errorf("write: backend answered %d results for %d mutations", len(res), len(all))
	}
	if e := res[len(muts)].Err; e != nil {
		s.log.Error("audit entry refused by the store", "err", e, "route", r.Pattern)
	}
	return res[:len(muts)], nil
}

// narrowed reports whether the request's token acts in less than the
// node's whole area, so that each record's area must be checked.
func (s *Server) narrowed(r *http.Request) bool {
	id, _ := IdentityOf(r)
	return !id.Area.Contains(s.b.Area())
}

// storedArea returns the area of the stored record (kind, origin, id);
// false when there is none.
func (s *Server) storedArea(k registry.Kind, origin area.Code, id string) (area.Code, bool, error) {
	st, err := s.b.Get(k, origin, id)
	if errors.Is(err, storage.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up %s %q: %w", k, id, err)
	}
	rec, err := registry.Decode(k, st.Body)
	if err != nil {
		return "", false, fmt.Errorf("decode stored %s %q: %w", k, id, err)
	}
	return rec.Area(), true, nil
}

// checkWrite requires an operator whose area contains the record's new
// area and, when it replaces a stored record, that record's area too.
func (s *Server) checkWrite(r *http.Request, k registry.Kind, id string, newArea area.Code) error {
	if err := RequireRole(r, RoleOperator); err != nil {
		return err
	}
	if !s.narrowed(r) {
		return nil
	}
	if newArea != "" {
		if err := RequireArea(r, RoleOperator, newArea, "record area"); err != nil {
			return err
		}
	}
	old, ok, err := s.storedArea(k, "", id)
	if err != nil || !ok {
		return err
	}
	return RequireArea(r, RoleOperator, old, "area of the stored record")
}

// decodeStrict decodes one JSON object into v, refusing unknown members
// and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// checkRead refuses a narrowed token a stored record outside its area.
func (s *Server) checkRead(r *http.Request, k registry.Kind, st storage.Stored) error {
	rec, err := registry.Decode(k, st.Body)
	if err != nil {
		return fmt.Errorf("decode stored %s %q: %w", k, st.ID, err)
	}
	return RequireArea(r, RoleViewer, rec.Area(), "record area")
}

// readArea returns the area a read is confined to: a, which must lie in
// the token's area, or the token's area when a is "" and the token is
// narrower than the node.
func (s *Server) readArea(r *http.Request, a area.Code, what string) (area.Code, error) {
	if a != "" {
		return a, RequireArea(r, RoleViewer, a, what)
	}
	if s.narrowed(r) {
		id, _ := IdentityOf(r)
		return id.Area, nil
	}
	return "", nil
}

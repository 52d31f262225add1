// Package clienttest provides a fake fedsync agent: an in-memory HTTP server
// that answers the routes of docs/CONTRACTS.md closely enough for tests of
// the client and of the CLI. It decodes records with registry.Decode and
// Validate, keeps them per kind and id, pages lists, and answers summary,
// status, verify, digests and chains with whatever the test sets.
package clienttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
)

// Fake is an in-memory agent. Set its exported fields before the first
// request; read them after.
type Fake struct {
	// Area is the agent's area (records' origin).
	Area area.Code
	// Summaries answers GET /v1/areas/{code}/summary by code; a missing
	// code is a 404.
	Summaries map[area.Code]*rollup.Summary
	// StatusBody answers GET /v1/status.
	StatusBody api.Status
	// VerifyBody answers POST /v1/verify.
	VerifyBody storage.VerifyReport
	// DigestsBody answers GET /v1/sync/digests, filtered by the area asked
	// for (default Area).
	DigestsBody []storage.OriginDigest
	// Chains answers GET /v1/sync/chain/{origin}/{seq}: the hex chain hash
	// of entry seq is Chains[origin][seq-1]; a seq beyond it, or an empty
	// string (an entry pruned from the log), is a 404.
	Chains map[area.Code][]string
	// Check, when set, may refuse a decoded record (as the real agent's
	// jurisdiction and reference checks do).
	Check func(kind registry.Kind, rec registry.Record) *Problem

	mu       sync.Mutex
	seq      uint64
	records  map[registry.Kind]map[string]storage.Stored // guarded by mu
	requests []string                                    // "METHOD path?query", guarded by mu
}

// Problem is a problem+json body.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
	Rule   string `json:"rule,omitempty"`
}

// NewServer starts a fake agent for area and closes it when the test ends.
func NewServer(t interface{ Cleanup(func()) }, code area.Code) (*Fake, *httptest.Server) {
	f := &Fake{Area: code, Summaries: map[area.Code]*rollup.Summary{}, VerifyBody: storage.VerifyReport{OK: true}}
	f.StatusBody = api.Status{Area: code, Level: code.Level().String(), RaftState: "Leader", Version: "test"}
	srv := httptest.NewServer(f.Handler())
	t.Cleanup(srv.Close)
	return f, srv
}

// Handler returns the fake's routes.
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, f.StatusBody) })
	mux.HandleFunc("POST /v1/verify", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, f.VerifyBody) })
	mux.HandleFunc("GET /v1/areas/{code}/summary", f.summary)
	mux.HandleFunc("POST /v1/records/{kind}", f.create)
	mux.HandleFunc("GET /v1/records/{kind}", f.list)
	mux.HandleFunc("GET /v1/records/{kind}/{id}", f.get)
	mux.HandleFunc("PUT /v1/records/{kind}/{id}", f.update)
	mux.HandleFunc("DELETE /v1/records/{kind}/{id}", f.delete)
	mux.HandleFunc("POST /v1/batch", f.batch)
	mux.HandleFunc("GET /v1/sync/digests", f.digests)
	mux.HandleFunc("GET /v1/sync/chain/{origin}/{seq}", f.chain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

// Requests returns the requests received so far, as "METHOD path?query".
func (f *Fake) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// Count returns how many records of kind the fake holds.
func (f *Fake) Count(kind registry.Kind) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records[kind])
}

// Put stores a record directly, bypassing the API.
func (f *Fake) Put(rec registry.Record) {
	body, err := registry.Encode(rec)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.store(rec.Kind(), rec.RecordID(), body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	p.Type = "about:blank"
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func problem(status int, title, detail string) *Problem {
	return &Problem{Title: title, Status: status, Detail: detail}
}

func (f *Fake) summary(w http.ResponseWriter, r *http.Request) {
	s, ok := f.Summaries[area.Code(r.PathValue("code"))]
	if !ok {
		writeProblem(w, problem(404, "area not found", "no summary for "+r.PathValue("code")))
		return
	}
	out := *s
	if y := r.URL.Query().Get("year"); y != "" {
		out.Year, _ = strconv.Atoi(y)
	}
	writeJSON(w, 200, &out)
}

func parseKind(w http.ResponseWriter, r *http.Request) (registry.Kind, bool) {
	k, err := registry.ParseKind(r.PathValue("kind"))
	if err != nil {
		writeProblem(w, problem(404, "unknown kind", err.Error()))
		return "", false
	}
	return k, true
}

// decode parses, completes (id) and validates one record, returning its
// canonical body.
func (f *Fake) decode(kind registry.Kind, raw []byte, id string) (string, []byte, *Problem) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", nil, &Problem{Status: 400, Title: "invalid record", Field: "(record)", Rule: "must be a JSON object"}
	}
	if s, _ := m["id"].(string); s == "" {
		if id == "" {
			f.seq++
			id = fmt.Sprintf("%s-%d", kind, f.seq)
		}
		m["id"] = id
	}
	raw, _ = json.Marshal(m)
	rec, err := registry.Decode(kind, raw)
	if err == nil {
		err = rec.Validate()
	}
	if fe, ok := err.(*registry.FieldError); ok {
		return "", nil, &Problem{Status: 400, Title: "invalid record", Detail: fe.Error(), Field: fe.Field, Rule: fe.Rule}
	} else if err != nil {
		return "", nil, problem(400, "invalid record", err.Error())
	}
	if f.Check != nil {
		if p := f.Check(kind, rec); p != nil {
			return "", nil, p
		}
	}
	body, _ := registry.Encode(rec)
	return rec.RecordID(), body, nil
}

// store keeps body under (kind, id); mu must be held.
func (f *Fake) store(kind registry.Kind, id string, body []byte) storage.Stored {
	if f.records == nil {
		f.records = map[registry.Kind]map[string]storage.Stored{}
	}
	if f.records[kind] == nil {
		f.records[kind] = map[string]storage.Stored{}
	}
	f.seq++
	st := storage.Stored{Kind: kind, Origin: f.Area, ID: id, Seq: f.seq, Updated: time.Unix(0, 0).UTC(), Body: body}
	f.records[kind][id] = st
	return st
}

// put applies one create/update/upsert; mu must be held. It returns the
// stored record and the outcome (created, updated, unchanged).
func (f *Fake) put(kind registry.Kind, raw []byte, id, mode string) (storage.Stored, string, *Problem) {
	id, body, p := f.decode(kind, raw, id)
	if p != nil {
		return storage.Stored{}, "", p
	}
	old, exists := f.records[kind][id]
	switch {
	case exists && string(old.Body) == string(body):
		return old, "unchanged", nil
	case exists && mode == "create":
		return storage.Stored{}, "", problem(409, "record exists", fmt.Sprintf("%s %q exists with other content", kind, id))
	case !exists && mode == "update":
		return storage.Stored{}, "", problem(404, "record not found", fmt.Sprintf("no %s %q", kind, id))
	case exists:
		return f.store(kind, id, body), "updated", nil
	}
	return f.store(kind, id, body), "created", nil
}

func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	kind, ok := parseKind(w, r)
	if !ok {
		return
	}
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeProblem(w, problem(400, "invalid JSON", err.Error()))
		return
	}
	f.mu.Lock()
	st, outcome, p := f.put(kind, raw, "", "create")
	f.mu.Unlock()
	if p != nil {
		writeProblem(w, p)
		return
	}
	status := http.StatusCreated
	if outcome == "unchanged" {
		status = http.StatusOK
	}
	writeJSON(w, status, st)
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request) {
	kind, ok := parseKind(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	st, found := f.records[kind][r.PathValue("id")]
	f.mu.Unlock()
	if !found {
		writeProblem(w, problem(404, "record not found", fmt.Sprintf("no %s %q", kind, r.PathValue("id"))))
		return
	}
	writeJSON(w, 200, st)
}

func (f *Fake) update(w http.ResponseWriter, r *http.Request) {
	kind, ok := parseKind(w, r)
	if !ok {
		return
	}
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeProblem(w, problem(400, "invalid JSON", err.Error()))
		return
	}
	f.mu.Lock()
	st, _, p := f.put(kind, raw, r.PathValue("id"), "update")
	f.mu.Unlock()
	if p != nil {
		writeProblem(w, p)
		return
	}
	writeJSON(w, 200, st)
}

func (f *Fake) delete(w http.ResponseWriter, r *http.Request) {
	kind, ok := parseKind(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, found := f.records[kind][r.PathValue("id")]; !found {
		writeProblem(w, problem(404, "record not found", "no such record"))
		return
	}
	delete(f.records[kind], r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	kind, ok := parseKind(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 {
		limit = storage.DefaultPageSize
	}
	f.mu.Lock()
	ids := make([]string, 0, len(f.records[kind]))
	for id, st := range f.records[kind] {
		if id > q.Get("after") && matches(st.Body, q) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	page := storage.ListPage{Items: []storage.Stored{}}
	for i, id := range ids {
		if i == limit {
			page.Next = ids[i-1]
			break
		}
		page.Items = append(page.Items, f.records[kind][id])
	}
	f.mu.Unlock()
	writeJSON(w, 200, page)
}

// matches applies the area and field filters of a list query.
func matches(body []byte, q map[string][]string) bool {
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	for k, vs := range q {
		switch k {
		case "limit", "after":
			continue
		case "area":
			code, _ := m["community"].(string)
			if code == "" {
				code, _ = m["area"].(string)
			}
			if !strings.HasPrefix(code, area.Code(vs[0]).Prefix()) {
				return false
			}
		default:
			if fmt.Sprint(m[k]) != vs[0] {
				return false
			}
		}
	}
	return true
}

func (f *Fake) batch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Kind    registry.Kind     `json:"kind"`
		Mode    string            `json:"mode"`
		Records []json.RawMessage `json:"records"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeProblem(w, problem(400, "invalid JSON", err.Error()))
		return
	}
	if _, err := registry.ParseKind(string(req.Kind)); err != nil || len(req.Records) > 1000 {
		writeProblem(w, &Problem{Status: 400, Title: "invalid batch", Field: "kind", Rule: "must be a known kind, with at most 1000 records"})
		return
	}
	type result struct {
		Index  int      `json:"index"`
		ID     string   `json:"id,omitempty"`
		Status string   `json:"status"`
		Seq    uint64   `json:"seq,omitempty"`
		Error  *Problem `json:"error,omitempty"`
	}
	out := struct {
		Results []result `json:"results"`
	}{Results: []result{}}
	f.mu.Lock()
	for i, raw := range req.Records {
		st, outcome, p := f.put(req.Kind, raw, "", req.Mode)
		if p != nil {
			p.Type = "about:blank"
			out.Results = append(out.Results, result{Index: i, Status: "error", Error: p})
			continue
		}
		out.Results = append(out.Results, result{Index: i, ID: st.ID, Status: outcome, Seq: st.Seq})
	}
	f.mu.Unlock()
	writeJSON(w, 200, out)
}

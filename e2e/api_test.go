package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// httpClient is the client of every API call the tests make directly.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// status is the part of GET /v1/status the tests read.
type status struct {
	Area       string           `json:"area"`
	RaftState  string           `json:"raft_state"`
	Records    map[string]int64 `json:"records"`
	Watermarks []watermark      `json:"watermarks"`
	Upstream   *upstream        `json:"upstream"` // nil without a parent
}

// watermark is how far a server has applied one origin's log.
type watermark struct {
	Origin string `json:"origin"`
	Seq    uint64 `json:"seq"`
}

// upstream is the state of the link to the parent in GET /v1/status.
type upstream struct {
	Connected bool   `json:"parent_connected"`
	Parent    string `json:"parent_area"`
	LastError string `json:"last_error"`
	Origins   []struct {
		Origin  string `json:"origin"`
		Local   uint64 `json:"local_seq"`
		Acked   uint64 `json:"acked_seq"`
		Backlog uint64 `json:"backlog_entries"`
	} `json:"origins"`
	Totals struct {
		Origins int     `json:"origins"`
		Backlog uint64  `json:"backlog_entries"`
		Age     float64 `json:"age_seconds"`
	} `json:"totals"`
}

// seqOf returns the seq of origin among the status's watermarks (0 when
// the server holds nothing of it).
func (st status) seqOf(origin string) uint64 {
	for _, w := range st.Watermarks {
		if w.Origin == origin {
			return w.Seq
		}
	}
	return 0
}

// storedRecord is one item of GET /v1/records/{kind}.
type storedRecord struct {
	Kind   string          `json:"kind"`
	Origin string          `json:"origin"`
	ID     string          `json:"id"`
	Seq    uint64          `json:"seq"`
	Record json.RawMessage `json:"record"`
}

// listPage is the body of GET /v1/records/{kind}.
type listPage struct {
	Items []storedRecord `json:"items"`
	Next  string         `json:"next"`
}

// problem is an application/problem+json body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Field  string `json:"field"`
	Rule   string `json:"rule"`
}

// verifyReport is the body of POST /v1/verify and `fedsync verify -o json`.
type verifyReport struct {
	OK       bool     `json:"ok"`
	Records  int64    `json:"records"`
	Entries  int64    `json:"entries"`
	Counters int64    `json:"counters"`
	Problems []string `json:"problems"`
	Origins  []struct {
		Origin  string `json:"origin"`
		Last    uint64 `json:"last"`
		Head    string `json:"head"`
		ChainOK bool   `json:"chain_ok"`
	} `json:"origins"`
}

// answer is a raw HTTP answer.
type answer struct {
	status      int
	contentType string
	body        []byte
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s: %s", a.status, a.contentType, bytes.TrimSpace(a.body))
}

// do sends one request to the server's API; body is sent as is when it is
// a []byte, as JSON otherwise.
func (s *server) do(method, path string, body any) answer {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			s.t.Fatalf("encode request body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, apiURL(s.httpAddr)+path, rd)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.ensureToken() {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// getJSON sends a GET, requires 200 and decodes the JSON answer into v.
func (s *server) getJSON(path string, v any) {
	s.t.Helper()
	s.decode(http.MethodGet, path, http.StatusOK, v)
}

// decode sends a bodyless request, requires status and decodes into v.
func (s *server) decode(method, path string, want int, v any) {
	s.t.Helper()
	a := s.do(method, path, nil)
	if a.status != want {
		s.t.Fatalf("%s %s: got %s, want status %d", method, path, a, want)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		s.t.Fatalf("%s %s: decode answer: %v\n%s", method, path, err, a.body)
	}
}

// status returns GET /v1/status.
func (s *server) status() status {
	s.t.Helper()
	var st status
	s.getJSON("/v1/status", &st)
	return st
}

// count returns the number of records of kind the agent reports.
func (s *server) count(kind string) int64 {
	s.t.Helper()
	return s.status().Records[kind]
}

// list returns one page of GET /v1/records/{kind}.
func (s *server) list(kind string, limit int, after string) listPage {
	s.t.Helper()
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	var p listPage
	s.getJSON("/v1/records/"+kind+"?"+q.Encode(), &p)
	return p
}

// allIDs lists every record id of kind, page by page.
func (s *server) allIDs(kind string) map[string]bool {
	s.t.Helper()
	ids := make(map[string]bool)
	after := ""
	for {
		p := s.list(kind, 1000, after)
		for _, it := range p.Items {
			if ids[it.ID] {
				s.t.Fatalf("list %s: id %s listed twice", kind, it.ID)
			}
			ids[it.ID] = true
		}
		if p.Next == "" {
			return ids
		}
		after = p.Next
	}
}

// decodeProblem requires a problem+json answer and decodes it.
func decodeProblem(t testing.TB, a answer) problem {
	t.Helper()
	if !strings.HasPrefix(a.contentType, "application/problem+json") {
		t.Fatalf("got %s, want Content-Type application/problem+json", a)
	}
	var p problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("decode problem: %v\n%s", err, a.body)
	}
	if p.Status != a.status {
		t.Errorf("problem status %d differs from the HTTP status %d", p.Status, a.status)
	}
	if p.Title == "" || p.Detail == "" {
		t.Errorf("problem without title or detail: %s", a)
	}
	return p
}

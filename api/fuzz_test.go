package api

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// fuzzNo5xx sends arbitrary bodies to one route and fails on any 5xx or
// on an error answer that is not problem+json.
func fuzzNo5xx(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	ts := newTestServer(f, func(c *Config) {
		c.MaxBodyBytes, c.MaxBatch = 1<<16, 50
		c.Logger = slog.New(slog.DiscardHandler)
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+ts.token)
		rec := httptest.NewRecorder()
		ts.srv.Handler().ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s answered %d: %s", path, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); rec.Code >= 400 && ct != ProblemContentType {
			t.Fatalf("POST %s answered %d with Content-Type %q", path, rec.Code, ct)
		}
	})
}

func FuzzCreateOrg(f *testing.F) {
	fuzzNo5xx(f, "/v1/records/org",
		orgJSON("o1", commA), orgJSON("", commB), orgJSON("o1", commOutside), orgJSON("o1", commUnknown),
		orgWith("o1", commA, "members", `"x"`), `{}`, `null`, `[]`, `{"id":"`, "\xff\xfe", `{"id":"a\u0000b","community":"210102001002"}`)
}

func FuzzBatch(f *testing.F) {
	fuzzNo5xx(f, "/v1/batch",
		batchBody("org", "create", orgJSON("o1", commA), orgJSON("", commB), `{"x":1}`),
		batchBody("org", "upsert", orgJSON("o1", commB)),
		batchBody("activity", "", activityJSON("a1", "o1", ""), activityJSON("a2", "o9", commA)),
		batchBody("community", "create", `{"code":"210102001002","name":"n","urban_rural":"111"}`),
		batchBody("widget", "x"), `{"kind":"org","records":null}`, `{"records":[{}]}`, ``, `0`)
}

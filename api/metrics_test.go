package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestMetricsEndpoint(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusCreated)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o2", commOutside)), http.StatusUnprocessableEntity)
	wantStatus(t, ts.do("GET", "/nowhere", ""), http.StatusNotFound)
	batchOf(t, ts, batchBody("org", "upsert", orgJSON("o1", commB)))

	rec := ts.do("GET", "/metrics", "")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{
		`fedsync_http_requests_total{code="201",route="POST /v1/records/{kind}"} 1`,
		`fedsync_http_requests_total{code="422",route="POST /v1/records/{kind}"} 1`,
		`fedsync_http_requests_total{code="404",route="unmatched"} 1`,
		`fedsync_http_request_duration_seconds_count{route="POST /v1/batch"} 1`,
		`fedsync_api_writes_total{kind="org",result="created"} 1`,
		`fedsync_api_writes_total{kind="org",result="invalid"} 1`,
		`fedsync_api_writes_total{kind="org",result="updated"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}

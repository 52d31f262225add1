package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fedsync/registry"
	"fedsync/storage"
)

func TestRecordLifecycle(t *testing.T) {
	ts := newTestServer(t)

	rec := ts.do("POST", "/v1/records/org", orgJSON("o1", commA))
	wantStatus(t, rec, http.StatusCreated)
	if got, want := rec.Header().Get("Location"), "/v1/records/org/o1"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	st := storedOf(t, rec)
	if st.Kind != registry.KindOrg || st.ID != "o1" || st.Origin != testStreet || st.Seq != 1 {
		t.Errorf("created = %+v, want org o1 of %s at seq 1", st, testStreet)
	}

	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusOK)
	p := problemOf(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commB)), http.StatusConflict)
	if !strings.Contains(p.Detail, `"o1"`) {
		t.Errorf("conflict detail %q does not name the id", p.Detail)
	}

	rec = ts.do("GET", "/v1/records/org/o1", "")
	wantStatus(t, rec, http.StatusOK)
	if got := recordOf(t, storedOf(t, rec))["community"]; got != commA {
		t.Errorf("stored community = %v, want %s", got, commA)
	}

	rec = ts.do("PUT", "/v1/records/org/o1", orgWith("", commA, "members", "30"))
	wantStatus(t, rec, http.StatusOK)
	st = storedOf(t, rec)
	if got := recordOf(t, st)["members"]; got != float64(30) || st.Seq != 2 {
		t.Errorf("updated members = %v at seq %d, want 30 at seq 2", got, st.Seq)
	}
	problemOf(t, ts.do("PUT", "/v1/records/org/nope", orgJSON("", commA)), http.StatusNotFound)

	wantStatus(t, ts.do("DELETE", "/v1/records/org/o1", ""), http.StatusNoContent)
	problemOf(t, ts.do("GET", "/v1/records/org/o1", ""), http.StatusNotFound)
	problemOf(t, ts.do("DELETE", "/v1/records/org/o1", ""), http.StatusNotFound)
}

func TestGetByOrigin(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusCreated)
	wantStatus(t, ts.do("GET", "/v1/records/org/o1?origin="+string(testStreet), ""), http.StatusOK)
	problemOf(t, ts.do("GET", "/v1/records/org/o1?origin=210102002000", ""), http.StatusNotFound)
}

func TestCreateGeneratesID(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do("POST", "/v1/records/org", orgJSON("", commA))
	wantStatus(t, rec, http.StatusCreated)
	st := storedOf(t, rec)
	if !regexp.MustCompile(`^org-[0-9a-f]{16}$`).MatchString(st.ID) {
		t.Errorf("generated id = %q, want org- and 16 hex digits", st.ID)
	}
	if got := recordOf(t, st)["id"]; got != st.ID {
		t.Errorf("record id = %v, want %q", got, st.ID)
	}

	rec = ts.do("POST", "/v1/records/community", `{"code":"`+commA+`","name":"水源地社区","urban_rural":"111"}`)
	wantStatus(t, rec, http.StatusCreated)
	if got := storedOf(t, rec).ID; got != commA {
		t.Errorf("community id = %q, want its code %s", got, commA)
	}
}

func TestPutIDMustMatchPath(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commA)), http.StatusCreated)
	p := problemOf(t, ts.do("PUT", "/v1/records/org/o1", orgJSON("o2", commA)), http.StatusUnprocessableEntity)
	if p.Field != "id" {
		t.Errorf("field = %q, want id", p.Field)
	}
	wantStatus(t, ts.do("PUT", "/v1/records/org/o1", orgJSON("o1", commB)), http.StatusOK)
}

func TestCommunityFilledFromOrg(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON("o1", commB)), http.StatusCreated)

	rec := ts.do("POST", "/v1/records/activity", activityJSON("a1", "o1", ""))
	wantStatus(t, rec, http.StatusCreated)
	if got := recordOf(t, storedOf(t, rec))["community"]; got != commB {
		t.Errorf("activity community = %v, want the org's %s", got, commB)
	}

	p := problemOf(t, ts.do("POST", "/v1/records/activity", activityJSON("a2", "ghost", "")), http.StatusUnprocessableEntity)
	if p.Field != "org" || !strings.Contains(p.Detail, "ghost") {
		t.Errorf("problem = %+v, want field org naming ghost", p)
	}
}

func TestList(t *testing.T) {
	ts := newTestServer(t)
	for _, o := range []struct{ id, comm string }{{"o1", commA}, {"o2", commB}, {"o3", commA}, {"o4", commB}, {"o5", commA}} {
		wantStatus(t, ts.do("POST", "/v1/records/org", orgJSON(o.id, o.comm)), http.StatusCreated)
	}
	wantStatus(t, ts.do("PUT", "/v1/records/org/o5", orgWith("o5", commA, "category", `"culture"`)), http.StatusOK)

	tests := []struct {
		name, query string
		want        []string
	}{
		{"all", "", []string{"o1", "o2", "o3", "o4", "o5"}},
		{"by community", "?community=" + commB, []string{"o2", "o4"}},
		{"by category", "?category=culture", []string{"o5"}},
		{"by category label", "?category=" + url.QueryEscape("文体活动类"), []string{"o5"}},
		{"by two fields", "?community=" + commA + "&category=mutual_aid", []string{"o1", "o3"}},
		{"by area", "?area=" + commB, []string{"o2", "o4"}},
		{"no match", "?name=nobody", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listIDs(t, ts, "/v1/records/org"+tt.query, 2); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

// listIDs walks every page of a list, limit records at a time.
func listIDs(t *testing.T, ts *testServer, path string, limit int) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	after := ""
	for pages := 0; pages < 100; pages++ {
		rec := ts.do("GET", path+sep+"limit="+strconv.Itoa(limit)+"&after="+after, "")
		wantStatus(t, rec, http.StatusOK)
		var page storage.ListPage
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("decode page: %v", err)
		}
		if len(page.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(page.Items), limit)
		}
		for _, st := range page.Items {
			ids = append(ids, st.ID)
		}
		if page.Next == "" {
			return ids
		}
		after = page.Next
	}
	t.Fatal("list did not end after 100 pages")
	return nil
}

func TestListEmptyIsArray(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do("GET", "/v1/records/talent", "")
	wantStatus(t, rec, http.StatusOK)
	if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[]}` {
		t.Errorf("body = %s, want {\"items\":[]}", got)
	}
}

func TestInfoRoutes(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do("GET", "/healthz", "")
	wantStatus(t, rec, http.StatusOK)
	if got := strings.TrimSpace(rec.Body.String()); got != `{"status":"ok"}` {
		t.Errorf("healthz = %s", got)
	}

	rec = ts.do("GET", "/v1/status", "")
	wantStatus(t, rec, http.StatusOK)
	var status Status
	if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || status.Area != testStreet {
		t.Errorf("status = %+v (%v), want area %s", status, err, testStreet)
	}

	rec = ts.do("GET", "/v1/areas/"+commA+"/summary", "")
	wantStatus(t, rec, http.StatusOK)
	var sum struct {
		Area, Name string
		Year       int
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &sum); err != nil || sum.Area != commA || sum.Year != 2022 {
		t.Errorf("summary = %+v (%v), want %s for the clock's year 2022", sum, err, commA)
	}
	rec = ts.do("GET", "/v1/areas/"+string(testStreet)+"/summary?year=2023", "")
	wantStatus(t, rec, http.StatusOK)
	if err := json.Unmarshal(rec.Body.Bytes(), &sum); err != nil || sum.Year != 2023 {
		t.Errorf("summary year = %d (%v), want 2023", sum.Year, err)
	}

	rec = ts.do("POST", "/v1/verify", "")
	wantStatus(t, rec, http.StatusOK)
	var rep storage.VerifyReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil || !rep.OK {
		t.Errorf("verify = %+v (%v), want ok", rep, err)
	}
}

func TestSetFieldEveryKind(t *testing.T) {
	for _, k := range registry.Kinds {
		rec, err := registry.Decode(k, []byte("{}"))
		if err != nil {
			t.Fatalf("decode empty %s: %v", k, err)
		}
		if got := setField(rec, "ID", "x1").RecordID(); got != "x1" {
			t.Errorf("%s: id after setField = %q, want x1", k, got)
		}
	}
}

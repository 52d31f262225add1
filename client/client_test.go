package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/client"
	"fedsync/client/clienttest"
	"fedsync/registry"
	"fedsync/rollup"
	"fedsync/storage"
)

const street = area.Code("210102001000")

func newClient(t *testing.T) (*clienttest.Fake, *client.Client) {
	t.Helper()
	f, srv := clienttest.NewServer(t, street)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestNewAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:8700", "http://127.0.0.1:8700"},
		{"http://host:1/ignored/path", "http://host:1"},
		{"https://host:2", "https://host:2"},
	}
	for _, tt := range tests {
		c, err := client.New(tt.in)
		if err != nil {
			t.Fatalf("New(%q): %v", tt.in, err)
		}
		if got := c.Addr(); got != tt.want {
			t.Errorf("New(%q).Addr() = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"ftp://x:1", "http://"} {
		if _, err := client.New(bad); err == nil {
			t.Errorf("New(%q) = nil error, want one", bad)
		}
	}
}

func TestDefaultAddrFromEnv(t *testing.T) {
	t.Setenv(client.EnvHTTPAddr, "10.0.0.1:9")
	c, err := client.New("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Addr(), "http://10.0.0.1:9"; got != want {
		t.Errorf("Addr() = %q, want %q", got, want)
	}
	t.Setenv(client.EnvHTTPAddr, "")
	if got, want := client.DefaultAddr(), client.DefaultHTTPAddr; got != want {
		t.Errorf("DefaultAddr() = %q, want %q", got, want)
	}
}

func TestNoAgent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, _ := client.New(addr)
	_, err = c.Status(context.Background())
	if !errors.Is(err, client.ErrNoAgent) {
		t.Fatalf("Status() error = %v, want ErrNoAgent", err)
	}
	for _, want := range []string{"no fedsync agent at " + addr, "fedsync agent", "--http-addr", "FEDSYNC_HTTP_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestCreateGetUpdateDelete(t *testing.T) {
	_, c := newClient(t)
	ctx := context.Background()
	rec := json.RawMessage(`{"id":"o1","community":"210102001002","name":"邻里互助队","category":"mutual_aid","tier":"guided","founded":"2021-03-01","members":12,"status":"active"}`)
	st, created, err := c.Create(ctx, registry.KindOrg, rec)
	if err != nil || !created || st.ID != "o1" {
		t.Fatalf("Create() = %+v, %v, %v; want o1 created", st, created, err)
	}
	if _, created, err = c.Create(ctx, registry.KindOrg, rec); err != nil || created {
		t.Fatalf("second Create() = %v, %v; want unchanged", created, err)
	}
	got, err := c.Get(ctx, registry.KindOrg, "", "o1")
	if err != nil || got.ID != "o1" {
		t.Fatalf("Get() = %+v, %v", got, err)
	}
	upd := json.RawMessage(strings.Replace(string(rec), `"members":12`, `"members":15`, 1))
	if st, err = c.Update(ctx, registry.KindOrg, "o1", upd); err != nil || !strings.Contains(string(st.Body), `"members":15`) {
		t.Fatalf("Update() = %+v, %v", st, err)
	}
	if err := c.Delete(ctx, registry.KindOrg, "o1"); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	_, err = c.Get(ctx, registry.KindOrg, "", "o1")
	if !client.IsNotFound(err) {
		t.Fatalf("Get() after Delete error = %v, want 404", err)
	}
}

func TestAPIErrorDecoded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(400)
		w.Write([]byte(`{"type":"about:blank","title":"invalid record","status":400,"detail":"org.community: must be in the division data","field":"community","rule":"must be in the division data"}`))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	_, _, err := c.Create(context.Background(), registry.KindOrg, json.RawMessage(`{}`))
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *APIError", err, err)
	}
	if ae.Status != 400 || ae.Field != "community" || ae.Rule != "must be in the division data" {
		t.Errorf("APIError = %+v", ae)
	}
	if got, want := ae.Error(), "400 invalid record: community: must be in the division data"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestAPIErrorPlainBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream broke", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	_, err := c.Status(context.Background())
	if got, want := err.Error(), "502 bad gateway: upstream broke"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestListAllFollowsCursors(t *testing.T) {
	f, c := newClient(t)
	for i := range 25 {
		f.Put(registry.Community{ID: string(rune('a'+i)) + "x", Code: "210102001002", Name: "社区", UrbanRural: "111"})
	}
	var n int
	err := c.ListAll(context.Background(), registry.KindCommunity, client.ListOptions{Limit: 10}, func(storage.Stored) error {
		n++
		return nil
	})
	if err != nil || n != 25 {
		t.Fatalf("ListAll() visited %d, err %v; want 25", n, err)
	}
	if got := len(f.Requests()); got != 3 {
		t.Errorf("ListAll() made %d requests, want 3: %v", got, f.Requests())
	}
}

func TestListQuery(t *testing.T) {
	f, c := newClient(t)
	_, err := c.List(context.Background(), registry.KindOrg, client.ListOptions{Area: street, Limit: 5, Where: map[string]string{"category": "culture", "brand": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Requests()[0], "GET /v1/records/org?area=210102001000&brand=true&category=culture&limit=5"; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}
}

func TestBatch(t *testing.T) {
	f, c := newClient(t)
	f.Check = func(kind registry.Kind, rec registry.Record) *clienttest.Problem {
		if rec.Area() != "210102001002" {
			return &clienttest.Problem{Status: 400, Title: "invalid record", Field: "community", Rule: "must lie in 210102001000"}
		}
		return nil
	}
	recs := []json.RawMessage{
		json.RawMessage(`{"id":"a","community":"210102001002","name":"A","category":"culture","tier":"guided","founded":"2021-03-01","status":"active"}`),
		json.RawMessage(`{"id":"b","community":"210102002001","name":"B","category":"culture","tier":"guided","founded":"2021-03-01","status":"active"}`),
	}
	res, err := c.Batch(context.Background(), registry.KindOrg, client.ModeCreate, recs)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != client.StatusCreated || res[1].Status != client.StatusError {
		t.Fatalf("results = %+v", res)
	}
	if got, want := res[1].Error.FieldRule(), "community: must lie in 210102001000"; got != want {
		t.Errorf("FieldRule() = %q, want %q", got, want)
	}
	res, _ = c.Batch(context.Background(), registry.KindOrg, client.ModeCreate, recs[:1])
	if res[0].Status != client.StatusUnchanged {
		t.Errorf("repeated batch status = %q, want unchanged", res[0].Status)
	}
	if _, err := c.Batch(context.Background(), registry.KindOrg, client.ModeCreate, make([]json.RawMessage, client.MaxBatch+1)); err == nil {
		t.Error("Batch() of MaxBatch+1 records succeeded, want an error")
	}
}

func TestSummaryStatusVerify(t *testing.T) {
	f, c := newClient(t)
	f.Summaries[street] = &rollup.Summary{Area: street, Name: "浑河湾街道", Level: "street", TargetYear: 2023}
	ctx := context.Background()
	s, err := c.Summary(ctx, street, 2022)
	if err != nil || s.Name != "浑河湾街道" || s.Year != 2022 {
		t.Fatalf("Summary() = %+v, %v", s, err)
	}
	if _, err := c.Summary(ctx, "210103000000", 0); !client.IsNotFound(err) {
		t.Errorf("Summary(unknown) error = %v, want 404", err)
	}
	st, err := c.Status(ctx)
	if err != nil || st.Area != street {
		t.Fatalf("Status() = %+v, %v", st, err)
	}
	v, err := c.Verify(ctx)
	if err != nil || !v.OK {
		t.Fatalf("Verify() = %+v, %v", v, err)
	}
	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health() = %v", err)
	}
}

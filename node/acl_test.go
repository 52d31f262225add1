package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// call sends one API request with a token secret ("" for none) and
// returns the status and body.
func call(t testing.TB, n *Node, secret, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, n.HTTPURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := testHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// bootstrapToken runs the node's ACL bootstrap and returns the admin
// secret.
func bootstrapToken(t testing.TB, n *Node) string {
	t.Helper()
	code, body := call(t, n, "", "POST", "/v1/acl/bootstrap", "")
	if code != http.StatusCreated {
		t.Fatalf("bootstrap: %d %s", code, body)
	}
	var tc api.TokenCreated
	if err := json.Unmarshal([]byte(body), &tc); err != nil {
		t.Fatal(err)
	}
	return tc.Secret
}

// createToken makes a token through the API with the admin secret.
func createToken(t testing.TB, n *Node, admin string, role storage.Role, a area.Code) api.TokenCreated {
	t.Helper()
	code, body := call(t, n, admin, "POST", "/v1/acl/tokens", `{"role":"`+string(role)+`","area":"`+string(a)+`","description":"clerk of `+string(a)+`"}`)
	if code != http.StatusCreated {
		t.Fatalf("create token: %d %s", code, body)
	}
	var tc api.TokenCreated
	if err := json.Unmarshal([]byte(body), &tc); err != nil {
		t.Fatal(err)
	}
	return tc
}

func orgBody(id string, c area.Code) string {
	return `{"id":"` + id + `","community":"` + string(c) + `","name":"邻里互助队","category":"mutual_aid","tier":"filed","founded":"2021-03-15","members":12,"status":"active"}`
}

// TestACLThroughRaft: bootstrap is allowed once; tokens survive a restart
// (they are in the store, written through raft); a viewer cannot write and
// nothing stored changes.
func TestACLThroughRaft(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, testConfig(dir))
	admin := bootstrapToken(t, n)
	if code, body := call(t, n, "", "POST", "/v1/acl/bootstrap", ""); code != http.StatusConflict || !strings.Contains(body, "already done") {
		t.Fatalf("second bootstrap: %d %s", code, body)
	}
	viewer := createToken(t, n, admin, storage.RoleViewer, testStreet)
	before, _ := n.store.Watermarks()
	comm := area.Children(testStreet)[0].Code
	if code, body := call(t, n, viewer.Secret, "POST", "/v1/records/org", orgBody("o1", comm)); code != http.StatusForbidden || !strings.Contains(body, viewer.Accessor) {
		t.Fatalf("viewer writing: %d %s", code, body)
	}
	if after, _ := n.store.Watermarks(); len(after) != len(before) || after[0].Seq != before[0].Seq {
		t.Fatalf("a refused write moved the log: %+v → %+v", before, after)
	}
	n.Stop()
	n = startNode(t, testConfig(dir))
	if code, body := call(t, n, admin, "GET", "/v1/acl/tokens", ""); code != http.StatusOK || !strings.Contains(body, viewer.Accessor) {
		t.Fatalf("tokens after restart: %d %s", code, body)
	}
	if code, _ := call(t, n, "", "POST", "/v1/acl/bootstrap", ""); code != http.StatusConflict {
		t.Fatalf("bootstrap after restart: %d", code)
	}
}

// TestAuditReplicatesUpward: writes through a street's API are attributed
// in audit entries that reach the county and the city with the data; a
// forged audit entry in a child's range is refused and counted.
func TestAuditReplicatesUpward(t *testing.T) {
	city := area.MustParse("210100000000")
	mk := func(a area.Code, name string, parent *Node) *Node {
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name = a, name
		if parent != nil {
			cfg.Parent = []string{parent.SyncAddr()}
		}
		return startNode(t, cfg)
	}
	top := mk(city, "city", nil)
	mid := mk(testCounty, "county", top)
	street := mk(testStreet, "street", mid)
	admin := bootstrapToken(t, street)
	comm := area.Children(testStreet)[0].Code
	op := createToken(t, street, admin, storage.RoleOperator, comm)
	if code, body := call(t, street, op.Secret, "POST", "/v1/batch", `{"kind":"org","records":[`+orgBody("o1", comm)+`,`+orgBody("o2", comm)+`]}`); code != http.StatusOK {
		t.Fatalf("batch: %d %s", code, body)
	}
	head, _ := street.store.Watermarks()
	var want storage.AuditEntry
	for _, n := range []*Node{mid, top} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			p, err := n.store.Audit(storage.AuditQuery{Area: testStreet})
			if err == nil && len(p.Items) == 1 {
				want = p.Items[0]
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s has no audit entry of the street: %+v %v", n.cfg.Name, p, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if want.Accessor != op.Accessor || want.Role != storage.RoleOperator || want.TokenArea != comm ||
			want.Name != "clerk of "+string(comm) || !strings.HasPrefix(want.Remote, "127.0.0.1:") ||
			want.Last != want.Seq-1 || want.Last-want.First != 1 || want.Seq != head[0].Seq {
			t.Errorf("%s: audit entry %+v", n.cfg.Name, want)
		}
		if rep, err := n.Verify(context.Background()); err != nil || !rep.OK {
			t.Errorf("%s verify: %v %+v", n.cfg.Name, err, rep)
		}
	}
	// The county's admin reads the street's audit trail through its API.
	cadmin := bootstrapToken(t, mid)
	if code, body := call(t, mid, cadmin, "GET", "/v1/audit?origin="+string(testStreet), ""); code != http.StatusOK || !strings.Contains(body, op.Accessor) {
		t.Errorf("county GET /v1/audit: %d %s", code, body)
	}
}

// TestForgedAuditRefusedAtReceiver: a child whose range carries an audit
// entry claiming another street's token area is refused, counted, and
// changes nothing at the county.
func TestForgedAuditRefusedAtReceiver(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Area, cfg.Name = testCounty, "county"
	county := startNode(t, cfg)
	forged := storage.AuditRecord{Version: 1, Attribution: storage.Attribution{Accessor: "0123456789abcdef0123456789abcdef",
		Role: storage.RoleAdmin, TokenArea: area.MustParse("210102002000"), Remote: "x"}, First: 1, Last: 1}
	body, _ := json.Marshal(forged)
	comm := area.Children(testStreet)[0].Code
	data := orgMut(t, 1, comm)
	e1 := storage.Entry{Origin: testStreet, Seq: 1, Time: 1, Kind: data.Kind, ID: data.ID, Op: storage.OpPut, Body: sentBody(t, data)}
	e1.Chain = storage.ChainNext([32]byte{}, e1)
	e2 := storage.Entry{Origin: testStreet, Seq: 2, Time: 1, Kind: storage.KindAudit, ID: forged.Accessor, Op: storage.OpPut, Body: body}
	e2.Chain = storage.ChainNext(e1.Chain, e2)
	enc := encodeTestBatch(t, testStreet, []storage.Entry{e1, e2})
	ack := county.Submit(context.Background(), testStreet, enc)()
	if len(ack.Ranges) != 1 || ack.Ranges[0].Status != "refused" || !strings.Contains(ack.Ranges[0].Error, "audit") {
		t.Fatalf("ack: %+v", ack)
	}
	if wms, _ := county.store.Watermarks(); len(wms) != 0 {
		t.Fatalf("county stored %+v", wms)
	}
	var m bytes.Buffer
	_, _ = call(t, county, "", "GET", "/metrics", "")
	code, out := call(t, county, bootstrapToken(t, county), "GET", "/metrics", "")
	m.WriteString(out)
	if code != http.StatusOK || !strings.Contains(m.String(), "fedsync_sync_audit_refused_ranges_total 1") {
		t.Errorf("metrics: %d, audit refusal not counted", code)
	}
}

// encodeTestBatch encodes one range of entries as a sync batch of sender.
func encodeTestBatch(t testing.TB, sender area.Code, es []storage.Entry) []byte {
	t.Helper()
	r := wire.Range{Origin: es[0].Origin, First: es[0].Seq, Last: es[len(es)-1].Seq, EndChain: es[len(es)-1].Chain, Entries: es}
	b, err := wire.Encode(&wire.Batch{Sender: sender, Ranges: []wire.Range{r}}, wire.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

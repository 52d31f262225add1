package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

// Areas of the ACL test: a county, one of its streets with a parent link
// to it, and the county's other street.
const (
	aclCounty      = fedHeping      // 和平区
	aclStreet      = "210102001000" // 浑河湾街道
	aclOtherStreet = "210102002000" // 新华街道
)

// createdToken is the -o json answer of acl bootstrap and token create.
type createdToken struct {
	Accessor string `json:"accessor"`
	Secret   string `json:"secret"`
}

// newToken runs `fedsync acl token create` against s with its admin token.
func newToken(t *testing.T, s *server, role, code string) createdToken {
	t.Helper()
	r := s.cli("acl", "token", "create", "--role", role, "--area", code, "--description", role+" of "+code, "-o", "json")
	var tc createdToken
	if err := json.Unmarshal([]byte(r.stdout), &tc); r.code != 0 || err != nil || tc.Secret == "" {
		t.Fatalf("acl token create:\n%s", r)
	}
	return tc
}

// TestACLRealProcesses runs a county and one of its streets as agent
// processes: a viewer's write and an operator's write in another street
// are refused with 403 and change nothing; an operator's own writes are
// attributed in audit entries the county holds after replication.
func TestACLRealProcesses(t *testing.T) {
	t.Parallel()
	county := newFedServer(t, fedKnobs{}, aclCounty, nil)
	county.start()
	street := newFedServer(t, fedKnobs{}, aclStreet, []string{county.syncAddr})
	street.start()

	if r := street.cli("acl", "bootstrap"); r.code != 1 || !strings.Contains(r.stderr, "409 ACL bootstrap already done") {
		t.Errorf("second bootstrap:\n%s", r)
	}
	if r := runCLI(t, "status", "--http-addr", street.httpAddr); r.code != 1 || !strings.Contains(r.stderr, "401 token required") {
		t.Errorf("status without a token:\n%s", r)
	}

	// A viewer writing at the street: 403, nothing stored.
	seq := street.status().seqOf(aclStreet)
	viewer := newToken(t, street, "viewer", aclStreet)
	comm := string(area.Children(aclStreet)[0].Code)
	orgFlags := []string{"--community", comm, "--name", "夕阳红舞蹈队", "--category", "文体活动类", "--tier", "guided",
		"--founded", "2022-05-01", "--members", "25", "--status", "active"}
	r := street.cli(append([]string{"org", "add", "--token", viewer.Secret}, orgFlags...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "403 forbidden") || !strings.Contains(r.stderr, viewer.Accessor) {
		t.Errorf("viewer writing:\n%s", r)
	}
	if got := street.status().seqOf(aclStreet); got != seq || street.count("org") != 0 {
		t.Errorf("a refused write changed the street: seq %d → %d, %d orgs", seq, got, street.count("org"))
	}

	// A client claiming an attribution: 400, nothing stored.
	body := `{"community":"` + comm + `","name":"舞蹈队","category":"culture","tier":"guided","founded":"2022-05-01","members":9,"status":"active"}`
	req, _ := http.NewRequest("POST", "http://"+street.httpAddr+"/v1/records/org", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+street.token)
	req.Header.Set("X-Fedsync-Accessor", viewer.Accessor)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || street.status().seqOf(aclStreet) != seq {
		t.Errorf("forged attribution header: %d, seq %d → %d", resp.StatusCode, seq, street.status().seqOf(aclStreet))
	}

	// An operator of the street writing a platform of another street at
	// the county: 403, nothing stored; in its own street: stored.
	op := newToken(t, county, "operator", aclStreet)
	platform := func(code string) result {
		return county.cli("platform", "add", "--token", op.Secret, "--area", code, "--name", "社会组织孵化中心", "--type", "孵化机构", "--founded", "2020-06-01")
	}
	cseq := county.status().seqOf(aclCounty)
	if r := platform(aclOtherStreet); r.code != 1 || !strings.Contains(r.stderr, "403 forbidden") || !strings.Contains(r.stderr, aclOtherStreet) {
		t.Errorf("operator of %s writing in %s:\n%s", aclStreet, aclOtherStreet, r)
	}
	if got := county.status().seqOf(aclCounty); got != cseq || county.count("platform") != 0 {
		t.Errorf("a refused write changed the county: seq %d → %d, %d platforms", cseq, got, county.count("platform"))
	}
	if r := platform(aclStreet); r.code != 0 {
		t.Errorf("operator writing in its own street:\n%s", r)
	}

	// The street's operator writes; the county holds the attribution.
	sop := newToken(t, street, "operator", comm)
	if r := street.cli(append([]string{"org", "add", "--token", sop.Secret}, orgFlags...)...); r.code != 0 {
		t.Fatalf("operator writing in its community:\n%s", r)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var page struct {
			Items []struct {
				Accessor  string `json:"accessor"`
				TokenArea string `json:"token_area"`
				Role      string `json:"role"`
				Remote    string `json:"remote"`
			} `json:"items"`
		}
		r := county.cli("audit", "list", "--origin", aclStreet, "-o", "json")
		if r.code == 0 && json.Unmarshal([]byte(r.stdout), &page) == nil && len(page.Items) == 1 {
			if a := page.Items[0]; a.Accessor != sop.Accessor || a.TokenArea != comm || a.Role != "operator" || !strings.HasPrefix(a.Remote, "127.0.0.1:") {
				t.Errorf("audit entry at the county: %+v", a)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the county holds no audit entry of the street after 30s:\n%s", r)
		}
		time.Sleep(pollInterval)
	}
	requireVerifyOK(t, county)
}

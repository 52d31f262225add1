package main

import (
	"encoding/json"
	"strings"
	"testing"

	"fedsync/registry"
	"fedsync/storage"
)

func testOrg(id, name string, cat registry.Category) registry.Org {
	return registry.Org{ID: id, Community: "210102001002", Name: name, Category: cat,
		Tier: registry.TierGuided, Founded: "2021-03-01", Members: 12, Status: registry.StatusActive}
}

func TestOrgAddGetUpdateDelete(t *testing.T) {
	f, addr := fakeAgent(t)
	r := runCLI(t, "", append(addr, "org", "add", "--id", "o1", "--community", "210102001002", "--name", "邻里互助队",
		"--category", "居民互助类", "--tier", "社区指导", "--founded", "2021-03-01", "--members", "12", "--charter", "--status", "正常")...)
	if r.code != 0 || !strings.Contains(r.stdout, "added org o1") {
		t.Fatalf("org add:\n%s", r)
	}
	if f.Count(registry.KindOrg) != 1 {
		t.Fatalf("fake holds %d orgs, want 1", f.Count(registry.KindOrg))
	}
	r = runCLI(t, "", append(addr, "org", "get", "o1")...)
	for _, want := range []string{"居民互助类", "社区指导", "210102001002 水源地社区", "charter         yes"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("org get lacks %q:\n%s", want, r)
		}
	}
	r = runCLI(t, "", append(addr, "org", "update", "o1", "--members", "30")...)
	if r.code != 0 {
		t.Fatalf("org update:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "org", "get", "o1", "-o", "json")...)
	var st storage.Stored
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("get -o json: %v\n%s", err, r)
	}
	var org registry.Org
	_ = json.Unmarshal(st.Body, &org)
	if org.Members != 30 || org.Name != "邻里互助队" || !org.Charter {
		t.Errorf("after update: %+v; want members 30 and the other fields kept", org)
	}
	if r = runCLI(t, "", append(addr, "org", "delete", "o1")...); r.code != 0 || f.Count(registry.KindOrg) != 0 {
		t.Errorf("org delete:\n%s", r)
	}
	if r = runCLI(t, "", append(addr, "org", "get", "o1")...); r.code != exitError || !strings.Contains(r.stderr, "404") {
		t.Errorf("get after delete:\n%s", r)
	}
}

func TestOrgAddFromStdin(t *testing.T) {
	f, addr := fakeAgent(t)
	body, _ := json.Marshal(testOrg("o2", "读书会", registry.CatCulture))
	r := runCLI(t, string(body), append(addr, "org", "add", "--file", "-", "--name", "读书社")...)
	if r.code != 0 {
		t.Fatalf("org add --file -:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "org", "list", "-o", "json")...)
	if !strings.Contains(r.stdout, "读书社") || f.Count(registry.KindOrg) != 1 {
		t.Errorf("flag did not override the file's name:\n%s", r)
	}
}

func TestOrgAddRefusedNamesFlag(t *testing.T) {
	_, addr := fakeAgent(t)
	r := runCLI(t, "", append(addr, "org", "add", "--id", "o1", "--community", "210102001002", "--name", "X",
		"--category", "不存在", "--tier", "guided", "--founded", "2021-03-01", "--status", "active")...)
	if r.code != exitError {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitError, r)
	}
	for _, want := range []string{"category", "--category", "fedsync org add --help"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
}

func TestOrgListTableAndWhere(t *testing.T) {
	f, addr := fakeAgent(t)
	f.Put(testOrg("o1", "舞蹈队", registry.CatCulture))
	f.Put(testOrg("o2", "义诊队", registry.CatCharity))
	r := runCLI(t, "", append(addr, "org", "list")...)
	for _, want := range []string{"CATEGORY", "舞蹈队", "文体活动类", "公益慈善类", "社区指导", "正常"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("org list lacks %q:\n%s", want, r)
		}
	}
	r = runCLI(t, "", append(addr, "org", "list", "--where", "组织类别=文体活动类", "-o", "json")...)
	var page storage.ListPage
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil {
		t.Fatalf("list -o json: %v\n%s", err, r)
	}
	if len(page.Items) != 1 || page.Items[0].ID != "o1" {
		t.Errorf("where category=文体活动类 gave %+v", page.Items)
	}
	if got := f.Requests()[len(f.Requests())-1]; !strings.Contains(got, "category=culture") {
		t.Errorf("request %q: the label was not turned into its value", got)
	}
	r = runCLI(t, "", append(addr, "org", "list", "--where", "colour=red")...)
	if r.code != exitError || !strings.Contains(r.stderr, "its fields are") {
		t.Errorf("unknown where field:\n%s", r)
	}
}

func TestListAllFollowsPages(t *testing.T) {
	f, addr := fakeAgent(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		f.Put(testOrg(id, "队"+id, registry.CatOther))
	}
	r := runCLI(t, "", append(addr, "org", "list", "--limit", "2")...)
	if strings.Count(r.stdout, "\n") != 3 || !strings.Contains(r.stderr, "--after") {
		t.Errorf("one page of 2:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "org", "list", "--limit", "2", "--all", "-o", "json")...)
	var page storage.ListPage
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Items) != 5 {
		t.Errorf("--all gave %d items (%v):\n%s", len(page.Items), err, r)
	}
}

func TestStatusAndVerify(t *testing.T) {
	f, addr := fakeAgent(t)
	f.StatusBody.Records = map[string]int64{"org": 1234}
	r := runCLI(t, "", append(addr, "status")...)
	if r.code != 0 || !strings.Contains(r.stdout, "浑河湾街道") || !strings.Contains(r.stdout, "1,234") {
		t.Errorf("status:\n%s", r)
	}
	r = runCLI(t, "", append(addr, "verify")...)
	if r.code != 0 || !strings.Contains(r.stdout, "OK") {
		t.Errorf("verify ok:\n%s", r)
	}
	f.VerifyBody = storage.VerifyReport{OK: false, Problems: []string{"counter org.active of 210102001002: stored 3, recomputed 4"}}
	r = runCLI(t, "", append(addr, "verify")...)
	if r.code != exitPartial || !strings.Contains(r.stdout, "stored 3, recomputed 4") {
		t.Errorf("verify with problems: exit %d, want %d:\n%s", r.code, exitPartial, r)
	}
}

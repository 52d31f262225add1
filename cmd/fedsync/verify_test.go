package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/client/clienttest"
	"fedsync/storage"
)

const testCity = area.Code("210100000000")

// chains returns n hex chain hashes; fork > 0 makes those from seq fork on
// differ from the unforked chain's.
func chains(origin area.Code, n, fork int) []string {
	out := make([]string, n)
	for i := range out {
		tag := 0
		if fork > 0 && i+1 >= fork {
			tag = 1
		}
		out[i] = fmt.Sprintf("%020s%012d%032x", origin, i+1, tag)
	}
	return out
}

// side fills a fake's digests and chains: seq entries of each origin, the
// chains forked from fork[origin] on, with a record digest.
func side(f *clienttest.Fake, seqs map[area.Code]int, fork map[area.Code]int, digest string) {
	f.Chains = map[area.Code][]string{}
	for o, n := range seqs {
		f.Chains[o] = chains(o, n, fork[o])
		d := storage.OriginDigest{Origin: o, Seq: uint64(n), Records: int64(n), Digest: digest}
		if n > 0 {
			d.Head = f.Chains[o][n-1]
		}
		f.DigestsBody = append(f.DigestsBody, d)
	}
}

// parentAndChild starts a fake city (the parent) and a fake county (the
// child) and returns the verify --child command line.
func parentAndChild(t *testing.T) (parent, child *clienttest.Fake, args []string) {
	parent, psrv := clienttest.NewServer(t, testCity)
	child, csrv := clienttest.NewServer(t, testCounty)
	return parent, child, []string{"--http-addr", psrv.URL, "verify", "--child", csrv.URL}
}

func TestVerifyChildDifferences(t *testing.T) {
	parent, child, args := parentAndChild(t)
	a, b, c, d := area.Code("210102001000"), area.Code("210102002000"), area.Code("210102003000"), area.Code("210102004000")
	side(child, map[area.Code]int{a: 40, b: 30, c: 100}, nil, "same")
	side(parent, map[area.Code]int{a: 40, b: 25, c: 90, d: 3}, map[area.Code]int{c: 57}, "same")
	r := runCLI(t, "", args...)
	if r.code != exitPartial {
		t.Fatalf("exit %d, want %d:\n%s", r.code, exitPartial, r)
	}
	for _, tt := range []struct{ row, want string }{
		{string(a), "equal"},
		{string(b), "parent behind  by 5 entries; consistent prefix"},
		{string(c), "different      chains differ from entry 57 on (entries 1–56 agree)"},
		{string(d), "the parent holds 3 entries of an origin the child has no log of"},
	} {
		if got := rowsWith(r.stdout, tt.row); len(got) != 1 || !strings.Contains(got[0], tt.want) {
			t.Errorf("row of %s = %q, want %q", tt.row, got, tt.want)
		}
	}
	if !strings.Contains(r.stdout, "DIFFERENCES FOUND in 2 origin(s)") || !strings.Contains(r.stderr, "differs from the child's data in 2 origin(s)") {
		t.Errorf("verdict:\n%s", r)
	}
	r = runCLI(t, "", append(args, "-o", "json")...)
	var got replicaComparison
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != exitPartial {
		t.Fatalf("-o json: exit %d, %v\n%s", r.code, err, r)
	}
	if got.Verdict != resultDifferent || got.ChildArea != testCounty || len(got.Origins) != 4 || got.Origins[2].FirstDifference != 57 || !got.Origins[2].Exact {
		t.Errorf("-o json = %+v", got)
	}
}

func TestVerifyChildBehindIsOK(t *testing.T) {
	parent, child, args := parentAndChild(t)
	a, b := area.Code("210102001000"), area.Code("210102002000")
	side(child, map[area.Code]int{a: 12, b: 7}, nil, "x")
	side(parent, map[area.Code]int{a: 12}, nil, "x")
	r := runCLI(t, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "parent is behind; run again after sync catches up") {
		t.Errorf("parent behind:\n%s", r)
	}
	if got := rowsWith(r.stdout, string(b)); len(got) != 1 || !strings.Contains(got[0], "by 7 entries; consistent prefix") {
		t.Errorf("row of the origin the parent has not heard of = %q", got)
	}
}

func TestVerifyChildRecordsDiffer(t *testing.T) {
	parent, child, args := parentAndChild(t)
	a := area.Code("210102001000")
	side(child, map[area.Code]int{a: 12}, nil, "x")
	side(parent, map[area.Code]int{a: 12}, nil, "y")
	r := runCLI(t, "", args...)
	if r.code != exitPartial || !strings.Contains(r.stdout, "same chain, different records") {
		t.Errorf("records differ:\n%s", r)
	}
}

func TestVerifyChildPrunedLogs(t *testing.T) {
	parent, child, args := parentAndChild(t)
	a := area.Code("210102001000")
	side(child, map[area.Code]int{a: 64}, nil, "x")
	side(parent, map[area.Code]int{a: 64}, map[area.Code]int{a: 10}, "x")
	for i := range 40 { // the child pruned entries 1..40: they answer 404
		child.Chains[a][i] = ""
	}
	r := runCLI(t, "", args...)
	if r.code != exitPartial || !strings.Contains(r.stdout, "maybe earlier") {
		t.Errorf("pruned logs:\n%s", r)
	}
}

func TestVerifyChildNotBelow(t *testing.T) {
	_, child := clienttest.NewServer(t, testCity)
	_, other := clienttest.NewServer(t, "210200000000")
	r := runCLI(t, "", "--http-addr", other.URL, "verify", "--child", child.URL)
	if r.code != exitError || !strings.Contains(r.stderr, "serves 大连市 (210200000000), which is not above") {
		t.Errorf("a parent that is not above the child:\n%s", r)
	}
}

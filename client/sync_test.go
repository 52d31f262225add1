package client_test

import (
	"context"
	"strings"
	"testing"

	"fedsync/area"
	"fedsync/client"
	"fedsync/storage"
)

func TestDigests(t *testing.T) {
	f, c := newClient(t)
	other := area.Code("210103005000")
	f.DigestsBody = []storage.OriginDigest{
		{Origin: street, Seq: 3, Head: strings.Repeat("ab", 32), Records: 2, Digest: strings.Repeat("cd", 32)},
		{Origin: other, Seq: 9},
	}
	got, err := c.Digests(context.Background(), street)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != f.DigestsBody[0] {
		t.Errorf("Digests(%s) = %+v, want the street's only", street, got)
	}
	all, err := c.Digests(context.Background(), "210000000000")
	if err != nil || len(all) != 2 {
		t.Errorf("Digests(province) = %+v, %v; want both", all, err)
	}
	if reqs := f.Requests(); reqs[0] != "GET /v1/sync/digests?area="+string(street) {
		t.Errorf("request = %q", reqs[0])
	}
}

func TestChainAt(t *testing.T) {
	f, c := newClient(t)
	h1, h2 := strings.Repeat("01", 32), strings.Repeat("02", 32)
	f.Chains = map[area.Code][]string{street: {h1, h2}}
	got, err := c.ChainAt(context.Background(), street, 2)
	if err != nil || got != h2 {
		t.Errorf("ChainAt(2) = %q, %v; want %q", got, err, h2)
	}
	if _, err := c.ChainAt(context.Background(), street, 3); !client.IsNotFound(err) {
		t.Errorf("ChainAt(3) beyond the log: err %v, want a 404", err)
	}
	f.Chains[street][0] = "zz"
	if _, err := c.ChainAt(context.Background(), street, 1); err == nil || !strings.Contains(err.Error(), "not 32 bytes of hex") {
		t.Errorf("ChainAt with a bad answer: err %v", err)
	}
}

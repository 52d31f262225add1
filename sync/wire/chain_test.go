package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"pgregory.net/rapid"

	"fedsync/registry"
	"fedsync/storage"
)

// chainVector pins the chain of version 1: storage's chains and every
// stored log depend on these bytes never changing.
var chainVector = struct {
	prev      [32]byte
	entry     storage.Entry
	canonical string // hex of AppendCanonical
	chain     string // hex of ChainNext
}{
	prev: [32]byte{1, 2, 3},
	entry: storage.Entry{Origin: "210102001000", Seq: 42, Time: 1_700_000_000_123_456_789,
		Kind: registry.KindOrg, ID: "org-7", Op: storage.OpPut, Body: []byte(`{"name":"读书会"}`),
		Chain: [32]byte{0xff}},
	canonical: "01323130313032303031303030000000000000002a17979cfe3d85cd15036f7267056f72672d37147b226e616d65223a22e8afbbe4b9a6e4bc9a227d01",
	chain:     "e739c384f072b1168d008bbcdc09a453d5f91848dd560e40fb2922914484f79f",
}

func TestChainVector(t *testing.T) {
	v := chainVector
	canon := AppendCanonical(nil, v.entry)
	if got := hex.EncodeToString(canon); got != v.canonical {
		t.Errorf("canonical encoding\n got %s\nwant %s", got, v.canonical)
	}
	got := ChainNext(v.prev, v.entry)
	if h := hex.EncodeToString(got[:]); h != v.chain {
		t.Errorf("chain\n got %s\nwant %s", h, v.chain)
	}
	if want := sha256.Sum256(append(v.prev[:], canon...)); got != want {
		t.Errorf("ChainNext is not SHA-256(prev ‖ canonical)")
	}
}

// TestChainerMatchesChainNext checks the allocation-free chainer against
// the definition, and that Chain is not part of the hash.
func TestChainerMatchesChainNext(t *testing.T) {
	var c chainer
	rapid.Check(t, func(t *rapid.T) {
		e := genEntry(t)
		e.Origin = genOrigin().Draw(t, "origin")
		e.Seq = rapid.Uint64().Draw(t, "seq")
		var prev [32]byte
		copy(prev[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "prev"))
		want := sha256.Sum256(append(prev[:], AppendCanonical(nil, e)...))
		e.Chain = want
		if got := c.next(prev, e); got != want {
			t.Fatalf("chainer %x, want %x", got, want)
		}
		if got := ChainNext(prev, e); got != want {
			t.Fatalf("ChainNext %x, want %x", got, want)
		}
	})
}

package node

import (
	"testing"

	"fedsync/gen"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// redactedBatch encodes n generated orgs, redacted as a street logs them,
// as one sync batch of testStreet.
func redactedBatch(b *testing.B, n int) []byte {
	r, _ := registry.NewRedactor(registry.DefaultPolicy(), devHashKey)
	var es []storage.Entry
	var prev [32]byte
	for rec := range gen.Records(n, 1, testStreet) {
		o := rec.(registry.Org)
		o.Leader, o.LeaderPhone = "王秀英", "13912345678"
		body, err := r.Redact(o)
		if err != nil {
			b.Fatal(err)
		}
		e := storage.Entry{Origin: testStreet, Seq: uint64(len(es) + 1), Time: int64(len(es)), Kind: registry.KindOrg, ID: o.ID, Op: storage.OpPut, Body: body}
		e.Chain = storage.ChainNext(prev, e)
		es, prev = append(es, e), e.Chain
	}
	rg := wire.Range{Origin: testStreet, First: 1, Last: uint64(len(es)), EndChain: prev, Entries: es}
	data, err := wire.Encode(&wire.Batch{Sender: testStreet, Ranges: []wire.Range{rg}}, wire.EncodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkCheckRedaction is the receiver's check before raft of a batch
// of 1,000 orgs (decode and ValidateRedacted of each); BenchmarkDecodeBatch
// the decode alone, for comparison.
func BenchmarkCheckRedaction(b *testing.B) {
	data := redactedBatch(b, 1000)
	n := &Node{syncLimits: wire.DefaultLimits()}
	b.ResetTimer()
	for range b.N {
		if err := n.checkRedaction(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	data := redactedBatch(b, 1000)
	b.ResetTimer()
	for range b.N {
		if _, err := wire.Decode(data, wire.DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}

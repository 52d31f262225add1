package wire

import (
	"testing"

	"pgregory.net/rapid"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// TestChainMatchesStorage pins that the chain a receiver recomputes is the
// chain storage builds at the origin, for arbitrary entries.
func TestChainMatchesStorage(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var prev [32]byte
		copy(prev[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "prev"))
		e := storage.Entry{
			Origin: area.Code(rapid.StringMatching(`21[0-9]{10}`).Draw(t, "origin")),
			Seq:    rapid.Uint64().Draw(t, "seq"),
			Time:   rapid.Int64().Draw(t, "time"),
			Kind:   registry.Kind(rapid.SampledFrom([]string{"org", "activity", "community"}).Draw(t, "kind")),
			ID:     rapid.String().Draw(t, "id"),
			Op:     storage.Op(rapid.Byte().Draw(t, "op")),
			Body:   rapid.SliceOf(rapid.Byte()).Draw(t, "body"),
		}
		if got, want := ChainNext(prev, e), storage.ChainNext(prev, e); got != want {
			t.Fatalf("wire chain %x, storage chain %x", got, want)
		}
	})
}

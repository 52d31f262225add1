package raftstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// BenchmarkStoreLogs measures appending batches of 16 KiB entries, the way
// raft appends, with and without fsync. One op is one batch.
func BenchmarkStoreLogs(b *testing.B) {
	const size = 16 << 10
	for _, batch := range []int{1, 64} {
		for _, noSync := range []bool{false, true} {
			name := fmt.Sprintf("batch=%d/nosync=%t", batch, noSync)
			b.Run(name, func(b *testing.B) { benchStoreLogs(b, batch, size, noSync) })
		}
	}
}

func benchStoreLogs(b *testing.B, batch, size int, noSync bool) {
	s := openTemp(b, Options{NoSync: noSync})
	data := make([]byte, size)
	logs := make([]*raft.Log, batch)
	for i := range logs {
		logs[i] = &raft.Log{Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: time.Now()}
	}
	b.SetBytes(int64(batch * size))
	b.ReportAllocs()
	next := uint64(1)
	for b.Loop() {
		for _, l := range logs {
			l.Index = next
			next++
		}
		if err := s.StoreLogs(logs); err != nil {
			b.Fatal(err)
		}
	}
}

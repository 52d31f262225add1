package link

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// BenchmarkThroughput sends 256 KiB batches over loopback, one goroutine
// sending and one receiving acks, against a receiver that acks at once. It
// measures the link alone (framing, buffering, the reader/writer pair).
//
//	go test -run '^$' -bench Throughput -benchtime 2000x ./sync/link/
func BenchmarkThroughput(b *testing.B) {
	const size = 256 << 10
	ts := startServer(b, ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, &fakeReceiver{})
	s := dial(b, testDialer(ts.addr))
	batch := testBatch(0, size)
	ctx := context.Background()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	sendErr := make(chan error, 1)
	go func() {
		for range b.N {
			if err := s.Send(ctx, batch); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	for i := range b.N {
		if _, err := s.Recv(ctx); err != nil {
			b.Fatalf("Recv %d: %v", i, err)
		}
	}
	if err := <-sendErr; err != nil {
		b.Fatal(err)
	}
}

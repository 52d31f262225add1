package link

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fedsync/sync/proto"
)

// BenchmarkThroughput sends 256 KiB batches over loopback, one goroutine
// sending and one receiving acks, against a receiver that acks at once. It
// measures the link alone (framing, buffering, the reader/writer pair).
//
//	go test -run '^$' -bench Throughput -benchtime 2000x ./sync/link/
func BenchmarkThroughput(b *testing.B) {
	ts := startServer(b, ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, &fakeReceiver{})
	runThroughput(b, dial(b, testDialer(ts.addr)))
}

// BenchmarkThroughputTLS is BenchmarkThroughput over mutual TLS 1.3.
//
//	go test -run '^$' -bench Throughput -benchtime 2000x ./sync/link/
func BenchmarkThroughputTLS(b *testing.B) {
	srvCfg, cliCfg := tlsPair(b)
	ts := startServer(b, ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TLS: srvCfg}, &fakeReceiver{})
	runThroughput(b, dial(b, &Dialer{DialConn: TLSDial(TCPDialer([]string{ts.addr}, time.Second), cliCfg), HandshakeTimeout: 5 * time.Second}))
}

// BenchmarkHandshakeTLS opens and closes mutual-TLS links: the cost of a
// reconnect (two ECDSA P-256 signatures and verifications, the checks).
func BenchmarkHandshakeTLS(b *testing.B) {
	srvCfg, cliCfg := tlsPair(b)
	ts := startServer(b, ServerConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TLS: srvCfg}, &fakeReceiver{})
	d := &Dialer{DialConn: TLSDial(TCPDialer([]string{ts.addr}, time.Second), cliCfg), HandshakeTimeout: 5 * time.Second}
	for b.Loop() {
		s, err := d.Dial(context.Background(), proto.Hello{Sender: testSender, Server: "s1"})
		if err != nil {
			b.Fatal(err)
		}
		_ = s.Close()
	}
}

func runThroughput(b *testing.B, s *Session) {
	const size = 256 << 10
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

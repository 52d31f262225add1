package link

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
)

const testSender = area.Code("210102001000")

// fakeReceiver records batches and acks each after a random small delay
// (up to maxDelay). Its acks identify the batch: Ranges[0].Watermark is the
// batch's index, read from its first 8 bytes. All funcs honor ctx.
type fakeReceiver struct {
	maxDelay time.Duration
	refuse   string        // when set, Welcome refuses with this reason
	gate     chan struct{} // when set, no ack is returned before it closes

	mu        sync.Mutex
	batches   [][]byte // in Submit order
	inflight  int      // submitted, wait not yet returned
	maxFlight int      // the most inflight ever was
}

func (f *fakeReceiver) Welcome(ctx context.Context, h proto.Hello) (proto.Welcome, error) {
	if f.refuse != "" {
		return proto.Welcome{}, errors.New(f.refuse)
	}
	return proto.Welcome{Version: proto.Version, Receiver: "210102000000",
		Marks: []proto.Mark{{Origin: h.Sender, Seq: 7}}}, nil
}

func (f *fakeReceiver) Submit(ctx context.Context, sender area.Code, batch []byte) func() proto.Ack {
	f.mu.Lock()
	f.batches = append(f.batches, batch)
	f.inflight++
	f.maxFlight = max(f.maxFlight, f.inflight)
	f.mu.Unlock()
	ready := time.After(randDelay(f.maxDelay))
	return func() proto.Ack {
		defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
		select {
		case <-ready:
		case <-ctx.Done():
			return proto.Ack{Error: ctx.Err().Error()}
		}
		if f.gate != nil {
			select {
			case <-f.gate:
			case <-ctx.Done():
				return proto.Ack{Error: ctx.Err().Error()}
			}
		}
		return ackFor(sender, batch)
	}
}

func (f *fakeReceiver) stats() (submitted, maxFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.batches), f.maxFlight
}

func randDelay(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func ackFor(sender area.Code, batch []byte) proto.Ack {
	var idx uint64
	if len(batch) >= 8 {
		idx = binary.BigEndian.Uint64(batch)
	}
	return proto.Ack{Ranges: []proto.RangeAck{{Origin: sender, Status: proto.StatusApplied, Applied: 1, Watermark: idx}}}
}

// testBatch returns a batch of size bytes (at least 8) carrying index i.
func testBatch(i uint64, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, i)
	return b
}

// noLeaks fails t if, after t's other cleanups, goroutines stay above their
// count at the call. Call it first, so its cleanup runs last.
func noLeaks(t testing.TB) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Fatalf("goroutines: got %d, want <= %d\n%s", runtime.NumGoroutine(), before, buf)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type testServer struct {
	addr   string
	ln     net.Listener
	cancel context.CancelFunc
	done   chan error // receives Serve's result
}

// startServer serves r on a loopback port until the test ends.
func startServer(t testing.TB, cfg ServerConfig, r proto.Receiver) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{addr: ln.Addr().String(), ln: ln, cancel: cancel, done: make(chan error, 1)}
	srv := NewServer(cfg, r)
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// stop cancels Serve and returns its result; later calls return nil.
func (ts *testServer) stop() error {
	ts.cancel()
	select {
	case err, ok := <-ts.done:
		if ok {
			close(ts.done)
		}
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("Serve did not return within 10s")
	}
}

func testDialer(addr string) *Dialer {
	return &Dialer{DialConn: TCPDialer([]string{addr}, time.Second), HandshakeTimeout: 5 * time.Second}
}

// dial opens a session to ts, closed when the test ends.
func dial(t testing.TB, d *Dialer) *Session {
	t.Helper()
	s, err := d.Dial(context.Background(), proto.Hello{Sender: testSender, Server: "s1"})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(*Session)
}

func mustContain(t testing.TB, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("got %q, want it to contain %q", got, want)
	}
}

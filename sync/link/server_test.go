package link

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
)

// TestAcksInOrderManyInFlight checks that acks come back in batch order
// while many batches are in flight: the ack of batch 0 is held until 40
// batches were submitted, so the child must send them without waiting.
func TestAcksInOrderManyInFlight(t *testing.T) {
	noLeaks(t)
	const n, hold = 300, 40
	rcv := &fakeReceiver{maxDelay: 3 * time.Millisecond}
	gated := &gateFirst{fakeReceiver: rcv, until: hold}
	ts := startServer(t, ServerConfig{}, gated)
	s := dial(t, testDialer(ts.addr))
	if got := s.Welcome().Marks; len(got) != 1 || got[0].Seq != 7 {
		t.Fatalf("welcome marks: got %+v, want one mark at seq 7", got)
	}

	var sent atomic.Int64
	sendErr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := s.Send(context.Background(), testBatch(uint64(i), 1024)); err != nil {
				sendErr <- err
				return
			}
			sent.Add(1)
		}
		sendErr <- nil
	}()
	for i := range n {
		ack, err := s.Recv(context.Background())
		if err != nil {
			t.Fatalf("Recv %d: %v", i, err)
		}
		if i == 0 {
			if got := sent.Load(); got < 32 {
				t.Errorf("batches sent before the first ack: got %d, want >= 32", got)
			}
		}
		if len(ack.Ranges) != 1 || ack.Ranges[0].Watermark != uint64(i) || ack.Error != "" {
			t.Fatalf("ack %d: got %+v, want the ack of batch %d", i, ack, i)
		}
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	submitted, maxFlight := rcv.stats()
	if submitted != n || maxFlight < 32 {
		t.Errorf("receiver: got %d submitted, %d most in flight; want %d, >= 32", submitted, maxFlight, n)
	}
	for i, b := range rcv.batches {
		if got := ackFor(testSender, b).Ranges[0].Watermark; got != uint64(i) {
			t.Fatalf("submit %d carried batch %d: submits out of arrival order", i, got)
		}
	}
}

// gateFirst holds the ack of the first batch until `until` batches were
// submitted (or 5s passed).
type gateFirst struct {
	*fakeReceiver
	until int
}

func (g *gateFirst) Submit(ctx context.Context, sender area.Code, batch []byte) func() proto.Ack {
	wait := g.fakeReceiver.Submit(ctx, sender, batch)
	if n, _ := g.stats(); n > 1 {
		return wait
	}
	return func() proto.Ack {
		deadline := time.Now().Add(5 * time.Second)
		for n, _ := g.stats(); n < g.until && time.Now().Before(deadline) && ctx.Err() == nil; n, _ = g.stats() {
			time.Sleep(time.Millisecond)
		}
		return wait()
	}
}

// TestBackpressure checks that the reader stops at MaxInFlight unacked
// batches and resumes as acks go out.
func TestBackpressure(t *testing.T) {
	noLeaks(t)
	rcv := &fakeReceiver{gate: make(chan struct{})}
	ts := startServer(t, ServerConfig{MaxInFlight: 4}, rcv)
	s := dial(t, testDialer(ts.addr))
	const n = 20
	for i := range n {
		if err := s.Send(context.Background(), testBatch(uint64(i), 100)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 5*time.Second, "4 submits", func() bool { got, _ := rcv.stats(); return got == 4 })
	time.Sleep(50 * time.Millisecond) // give a 5th submit the chance to (wrongly) happen
	if got, _ := rcv.stats(); got != 4 {
		t.Fatalf("submitted with 4 unacked: got %d, want 4", got)
	}
	close(rcv.gate)
	for i := range n {
		ack, err := s.Recv(context.Background())
		if err != nil || ack.Ranges[0].Watermark != uint64(i) {
			t.Fatalf("Recv %d: got %+v, %v", i, ack, err)
		}
	}
	if _, maxFlight := rcv.stats(); maxFlight > 4 {
		t.Errorf("most in flight: got %d, want <= 4", maxFlight)
	}
}

func TestHelloRefused(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{refuse: "210102001000 is not below 210200000000"})
	_, err := testDialer(ts.addr).Dial(context.Background(), proto.Hello{Sender: testSender})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("Dial: got %v, want ErrRefused", err)
	}
	mustContain(t, err.Error(), "is not below 210200000000")
}

func TestHelloChecks(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	for _, tc := range []struct {
		name  string
		hello proto.Hello
		want  string
	}{
		{"version", proto.Hello{Version: 99, Sender: testSender}, "version 99"},
		{"sender", proto.Hello{Sender: "21x"}, "hello sender"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testDialer(ts.addr).Dial(context.Background(), tc.hello)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Dial: got %v, want ErrRefused", err)
			}
			mustContain(t, err.Error(), tc.want)
		})
	}
}

// TestOversizedBatch checks that a batch frame over the server's limit is
// refused in its place with a frame-size ack, that its link then closes,
// and that the server keeps serving other links.
func TestOversizedBatch(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{MaxBatchBytes: 1024}, &fakeReceiver{})
	other := dial(t, testDialer(ts.addr))
	d := testDialer(ts.addr)
	d.MaxBatchBytes = 1 << 20 // larger than the parent's, to get past Send's check
	s := dial(t, d)
	ctx := context.Background()
	if err := s.Send(ctx, testBatch(0, 1024)); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, testBatch(1, 4096)); err != nil {
		t.Fatal(err)
	}
	if ack, err := s.Recv(ctx); err != nil || ack.Error != "" {
		t.Fatalf("Recv 0: got %+v, %v; want applied", ack, err)
	}
	ack, err := s.Recv(ctx)
	if err != nil || ack.Rule != RuleFrameSize {
		t.Fatalf("Recv 1: got %+v, %v; want rule %s", ack, err, RuleFrameSize)
	}
	mustContain(t, ack.Error, "batch frame of 4096 bytes exceeds the limit of 1024 bytes")
	if _, err := s.Recv(ctx); err == nil || errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after refusal: got %v, want the parent's close", err)
	}

	for _, s := range []*Session{other, dial(t, testDialer(ts.addr))} {
		if err := s.Send(ctx, testBatch(5, 100)); err != nil {
			t.Fatal(err)
		}
		if ack, err := s.Recv(ctx); err != nil || ack.Ranges[0].Watermark != 5 {
			t.Fatalf("other link: got %+v, %v", ack, err)
		}
	}
}

// TestSendTooLarge checks the client's own limit: nothing is written and
// the session stays usable.
func TestSendTooLarge(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	d := testDialer(ts.addr)
	d.MaxBatchBytes = 1000
	s := dial(t, d)
	if err := s.Send(context.Background(), testBatch(0, 1001)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Send: got %v, want ErrFrameTooLarge", err)
	}
	if err := s.Send(context.Background(), testBatch(1, 1000)); err != nil {
		t.Fatal(err)
	}
	if ack, err := s.Recv(context.Background()); err != nil || ack.Ranges[0].Watermark != 1 {
		t.Fatalf("Recv: got %+v, %v", ack, err)
	}
}

func TestIdleTimeout(t *testing.T) {
	noLeaks(t)
	const idle = 150 * time.Millisecond
	// Acks take twice the idle timeout: a link owing an ack is not idle.
	rcv := &slowReceiver{fakeReceiver: &fakeReceiver{}, delay: 2 * idle}
	ts := startServer(t, ServerConfig{IdleTimeout: idle}, rcv)
	s := dial(t, testDialer(ts.addr))
	if err := s.Send(context.Background(), testBatch(3, 10)); err != nil {
		t.Fatal(err)
	}
	if ack, err := s.Recv(context.Background()); err != nil || ack.Ranges[0].Watermark != 3 {
		t.Fatalf("slow ack: got %+v, %v", ack, err)
	}
	start := time.Now()
	_, err := s.Recv(context.Background())
	if err == nil || errors.Is(err, ErrClosed) || !errors.Is(err, io.EOF) {
		t.Fatalf("Recv on an idle link: got %v, want the parent's close (EOF)", err)
	}
	if got := time.Since(start); got > 20*idle {
		t.Errorf("idle link closed after %v, want about %v", got, idle)
	}
}

// slowReceiver acks after a fixed delay.
type slowReceiver struct {
	*fakeReceiver
	delay time.Duration
}

func (r *slowReceiver) Submit(ctx context.Context, sender area.Code, batch []byte) func() proto.Ack {
	wait := r.fakeReceiver.Submit(ctx, sender, batch)
	return func() proto.Ack {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
		}
		return wait()
	}
}

func TestHandshakeTimeout(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{HandshakeTimeout: 100 * time.Millisecond}, &fakeReceiver{})
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read from a silent link: got %d, %v; want EOF", n, err)
	}
}

func TestServerShutdownClosesLinks(t *testing.T) {
	noLeaks(t)
	rcv := &fakeReceiver{gate: make(chan struct{})} // acks never come
	ts := startServer(t, ServerConfig{}, rcv)
	s := dial(t, testDialer(ts.addr))
	if err := s.Send(context.Background(), testBatch(0, 10)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the submit", func() bool { n, _ := rcv.stats(); return n == 1 })
	recvErr := make(chan error, 1)
	go func() {
		// The receiver may answer its pending batch with a refusal as its
		// ctx ends; then the link closes.
		for {
			ack, err := s.Recv(context.Background())
			if err != nil || ack.Error == "" {
				recvErr <- err
				return
			}
		}
	}()
	if err := ts.stop(); err != nil {
		t.Fatalf("Serve: got %v, want nil after ctx ended", err)
	}
	select {
	case err := <-recvErr:
		if err == nil || errors.Is(err, ErrClosed) {
			t.Fatalf("Recv: got %v, want the parent's close", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after the server stopped")
	}
}

func TestServeListenerClosed(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	s := dial(t, testDialer(ts.addr))
	_ = ts.ln.Close()
	select {
	case err := <-ts.done:
		close(ts.done)
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Serve: got %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener closed")
	}
	if _, err := s.Recv(context.Background()); err == nil {
		t.Fatal("Recv on a link of a stopped server: got nil error")
	}
}

package link

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"fedsync/sync/proto"
)

func TestCloseUnblocksRecv(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	s := dial(t, testDialer(ts.addr))
	recvErr := make(chan error, 1)
	go func() { _, err := s.Recv(context.Background()); recvErr <- err }()
	time.Sleep(20 * time.Millisecond) // let Recv block; the result holds either way
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-recvErr:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Recv: got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if err := s.Send(context.Background(), testBatch(0, 8)); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: got %v, want ErrClosed", err)
	}
}

func TestRecvContext(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	s := dial(t, testDialer(ts.addr))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := s.Recv(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv: got %v, want context.DeadlineExceeded", err)
	}
	if _, err := s.Recv(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Recv after a failed Recv: got %v, want ErrClosed", err)
	}
}

// TestDialSilentParent checks that Dial gives up after HandshakeTimeout
// when the parent accepts but never answers.
func TestDialSilentParent(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := testDialer(ln.Addr().String())
	d.HandshakeTimeout = 100 * time.Millisecond
	start := time.Now()
	_, err = d.Dial(context.Background(), proto.Hello{Sender: testSender})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial: got %v, want context.DeadlineExceeded", err)
	}
	if got := time.Since(start); got > 2*time.Second {
		t.Errorf("Dial took %v, want about 100ms", got)
	}
}

func TestTCPDialerOrder(t *testing.T) {
	noLeaks(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	_ = dead.Close() // nothing listens there now
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})

	d := &Dialer{DialConn: TCPDialer([]string{deadAddr, ts.addr}, time.Second)}
	s := dial(t, d)
	if got := s.Welcome().Receiver; got != "210102000000" {
		t.Errorf("welcome receiver: got %q", got)
	}
	_, err = TCPDialer([]string{deadAddr}, time.Second)(context.Background())
	if err == nil || !strings.Contains(err.Error(), deadAddr) {
		t.Errorf("dial a dead address: got %v, want an error naming it", err)
	}
	if _, err := TCPDialer(nil, time.Second)(context.Background()); !errors.Is(err, ErrConfig) {
		t.Errorf("dial no address: got %v, want ErrConfig", err)
	}
}

// TestHandshakeViolations sends broken first frames on raw conns: the
// server answers with a welcome naming the rule, then closes.
func TestHandshakeViolations(t *testing.T) {
	noLeaks(t)
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	big := append([]byte{byte(FrameHello)}, uvarint(MaxControlBytes+1)...)
	for _, tc := range []struct {
		name string
		send []byte
		rule string
	}{
		{"unknown type", []byte{9, 0}, RuleFrameType},
		{"batch first", frame(FrameBatch, []byte("FSB")), RuleFrameOrder},
		{"hello not json", frame(FrameHello, []byte("{nope")), RulePayload},
		{"hello too large", big, RuleFrameSize},
		{"length overflow", append([]byte{byte(FrameHello)}, bytes.Repeat([]byte{0xff}, 11)...), RuleLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatal(err)
			}
			var w proto.Welcome
			r := newFrameReader(conn, 0)
			if err := r.readControl(FrameWelcome, &w); err != nil {
				t.Fatalf("read welcome: %v", err)
			}
			mustContain(t, w.Error, "rule "+tc.rule)
			if _, err := r.readFrame(FrameAck); err == nil {
				t.Fatal("link still open after a refused hello")
			}
		})
	}
}

func frame(t FrameType, payload []byte) []byte {
	var b bytes.Buffer
	w := newFrameWriter(&b)
	if err := w.writeFrame(t, payload); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func uvarint(n uint64) []byte {
	var b []byte
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	return append(b, byte(n))
}

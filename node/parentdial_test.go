package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/sync/link"
	"fedsync/sync/proto"
)

// fakeParent welcomes a hello when it leads, and otherwise refuses it
// with a leader hint.
type fakeParent struct {
	leads  atomic.Bool
	hint   atomic.Value // string
	hellos atomic.Int64
}

func (p *fakeParent) Welcome(_ context.Context, h proto.Hello) (proto.Welcome, error) {
	p.hellos.Add(1)
	w := proto.Welcome{Version: proto.Version, Receiver: testCounty}
	if !p.leads.Load() {
		hint, _ := p.hint.Load().(string)
		return w, errors.New(proto.WithLeaderHint(ErrNotLeader.Error(), hint))
	}
	return w, nil
}

func (p *fakeParent) Submit(context.Context, area.Code, []byte) func() proto.Ack {
	return func() proto.Ack { return proto.Ack{} }
}

func serveFake(t *testing.T, p *fakeParent) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cfg := link.DefaultServerConfig()
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		_ = link.NewServer(cfg, p).Serve(ctx, ln)
	}()
	t.Cleanup(func() { cancel(); ln.Close(); <-done })
	return ln.Addr().String()
}

// TestParentDialerFindsLeader: the dialer follows a follower's leader
// hint straight to the leader (even one not in its list), remembers it,
// and after the leader changes finds the new one by trying the others.
func TestParentDialerFindsLeader(t *testing.T) {
	var ps [3]*fakeParent
	var addrs [3]string
	for i := range ps {
		ps[i] = &fakeParent{}
		addrs[i] = serveFake(t, ps[i])
	}
	ps[2].leads.Store(true)
	ps[0].hint.Store(addrs[2])
	d := newParentDialer(addrs[:2], time.Second) // the leader is not listed
	hello := proto.Hello{Sender: testStreet}
	sess, err := d.Dial(context.Background(), hello)
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if got := ps[1].hellos.Load(); got != 0 {
		t.Fatalf("the dialer tried the second follower %d times; the hint leads to the leader", got)
	}
	sess, err = d.Dial(context.Background(), hello)
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if got := ps[0].hellos.Load(); got != 1 {
		t.Fatalf("the follower was asked %d times; the dialer should remember the leader", got)
	}
	ps[2].leads.Store(false)
	ps[1].leads.Store(true)
	ps[0].hint.Store("")
	if sess, err = d.Dial(context.Background(), hello); err != nil {
		t.Fatalf("after the leader changed: %v", err)
	}
	sess.Close()
	ps[1].leads.Store(false)
	_, err = d.Dial(context.Background(), hello)
	if !errors.Is(err, link.ErrRefused) {
		t.Fatalf("no leader anywhere: got %v, want every server's refusal", err)
	}
}

func TestLeaderHint(t *testing.T) {
	msg := proto.WithLeaderHint("this server is not the raft leader", "10.0.3.7:8702")
	if got := proto.LeaderHint("link: dial: hello refused: " + msg); got != "10.0.3.7:8702" {
		t.Fatalf("hint of %q: got %q", msg, got)
	}
	for _, s := range []string{"not leader", "x (leader sync a b)", "x (leader sync ", proto.WithLeaderHint("x", "")} {
		if got := proto.LeaderHint(s); got != "" {
			t.Errorf("hint of %q: got %q, want none", s, got)
		}
	}
}

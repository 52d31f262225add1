package link

import (
	"context"
	"sync/atomic"
	"testing"

	"fedsync/area"
)

// heartbeatReceiver is a fakeReceiver that counts pings.
type heartbeatReceiver struct {
	fakeReceiver
	pings atomic.Int32
}

func (h *heartbeatReceiver) Heartbeat(sender area.Code) {
	if sender == testSender {
		h.pings.Add(1)
	}
}

// TestPingAckedInOrder: a ping between two batches is answered with an
// empty ack between theirs, and the receiver hears of it.
func TestPingAckedInOrder(t *testing.T) {
	r := &heartbeatReceiver{}
	ts := startServer(t, ServerConfig{}, r)
	s := dial(t, testDialer(ts.addr))
	ctx := context.Background()
	mustNil(t, s.Send(ctx, testBatch(1, 64)))
	mustNil(t, s.Ping(ctx))
	mustNil(t, s.Send(ctx, testBatch(2, 64)))
	for i, wantRanges := range []int{1, 0, 1} {
		a, err := s.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Ranges) != wantRanges || a.Error != "" {
			t.Fatalf("ack %d: %+v, want %d ranges", i, a, wantRanges)
		}
	}
	if got := r.pings.Load(); got != 1 {
		t.Fatalf("heartbeats: %d, want 1", got)
	}
}

// TestPingWithPayloadRefused: a ping must be empty.
func TestPingWithPayloadRefused(t *testing.T) {
	ts := startServer(t, ServerConfig{}, &fakeReceiver{})
	s := dial(t, testDialer(ts.addr))
	mustNil(t, s.w.writeFrame(FramePing, []byte("x")))
	a, err := s.Recv(context.Background())
	if err != nil || a.Error == "" || a.Rule != RulePayload {
		t.Fatalf("ping with payload: ack %+v, err %v; want a refusal naming the payload rule", a, err)
	}
}

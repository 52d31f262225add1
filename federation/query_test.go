package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fedsync/area"
)

// echoHandler answers "NAME:PAYLOAD" and records who asked.
type echoHandler struct {
	name string
	mu   sync.Mutex
	from []string
}

func (h *echoHandler) handle(from Member, kind string, payload []byte) ([]byte, error) {
	h.mu.Lock()
	h.from = append(h.from, from.Name)
	h.mu.Unlock()
	if kind == "fail" {
		return nil, fmt.Errorf("%s refuses", h.name)
	}
	return []byte(h.name + ":" + string(payload)), nil
}

func (h *echoHandler) askers() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.from)
}

// startQueryCluster starts pools with echo handlers, joined through the
// first.
func startQueryCluster(t *testing.T, n int) (*cluster, []*echoHandler) {
	c := &cluster{t: t, key: mustKey(t)}
	var hs []*echoHandler
	areas := []area.Code{province, city, county, street}
	for i := range n {
		name := fmt.Sprintf("s%d", i)
		h := &echoHandler{name: name}
		hs = append(hs, h)
		cfg := testConfig(t, name, areas[i%len(areas)], c.key)
		cfg.OnQuery = h.handle
		p, _ := c.start(cfg)
		if i > 0 {
			if _, err := p.Join([]string{c.pools[0].LocalAddr()}); err != nil {
				t.Fatalf("join %s: %v", name, err)
			}
		}
	}
	c.waitAllSee(n)
	return c, hs
}

func TestQueryReachesEveryServer(t *testing.T) {
	c, hs := startQueryCluster(t, 6)
	asker := c.pools[2]
	res, err := asker.Query(context.Background(), "echo", []byte("hello"), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NoAnswer) != 0 || len(res.Answers) != 6 {
		t.Fatalf("answers %d, no answer %v; want 6 and none", len(res.Answers), res.NoAnswer)
	}
	if res.Answers[0].Server != "s2" {
		t.Errorf("first answer from %s, want the asker s2", res.Answers[0].Server)
	}
	for _, a := range res.Answers {
		if want := a.Server + ":hello"; string(a.Payload) != want || a.Err != "" {
			t.Errorf("answer of %s = %q (err %q), want %q", a.Server, a.Payload, a.Err, want)
		}
	}
	// Every server handled it exactly once, and knew who asked.
	time.Sleep(500 * time.Millisecond) // relays still in flight must not run it again
	for _, h := range hs {
		if got := h.askers(); !slices.Equal(got, []string{"s2"}) {
			t.Errorf("%s handled the query from %v, want once from s2", h.name, got)
		}
	}

	// Errors come back as answers.
	res, err = asker.Query(context.Background(), "fail", nil, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Answers {
		if a.Err != a.Server+" refuses" || a.Payload != nil {
			t.Errorf("answer of %s = %q / %q, want the handler's error", a.Server, a.Payload, a.Err)
		}
	}
}

func TestQueryDeadServerListedAsNoAnswer(t *testing.T) {
	c, _ := startQueryCluster(t, 4)
	// Stop s3's query workers' answers by shutting it down: until the pool
	// declares it dead it is still expected, and it is reported as silent.
	_ = c.pools[3].Shutdown()
	res, err := c.pools[0].Query(context.Background(), "echo", nil, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Answers) != 3 || !slices.Equal(res.NoAnswer, []string{"s3"}) {
		t.Errorf("answers %d, no answer %v; want 3 and [s3]", len(res.Answers), res.NoAnswer)
	}
}

func TestQueryArguments(t *testing.T) {
	c, _ := startQueryCluster(t, 1)
	p := c.pools[0]
	for _, tc := range []struct {
		kind    string
		payload []byte
		timeout time.Duration
		want    string
	}{
		{"", nil, time.Second, "kind"},
		{strings.Repeat("k", 33), nil, time.Second, "kind"},
		{"echo", make([]byte, 513), time.Second, "payload"},
		{"echo", nil, 0, "timeout"},
		{"echo", nil, 11 * time.Minute, "timeout"},
	} {
		_, err := p.Query(context.Background(), tc.kind, tc.payload, tc.timeout)
		if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Query(%q, %d bytes, %v) = %v, want ErrQuery naming %s", tc.kind, len(tc.payload), tc.timeout, err, tc.want)
		}
	}
	_ = p.Shutdown()
	if _, err := p.Query(context.Background(), "echo", nil, time.Second); !errors.Is(err, ErrShutdown) {
		t.Errorf("Query after Shutdown = %v, want ErrShutdown", err)
	}
}

// TestQueryMessagesRefused feeds malformed and expired messages to a pool:
// none reaches the handler.
func TestQueryMessagesRefused(t *testing.T) {
	c, hs := startQueryCluster(t, 2)
	p := c.pools[1]
	good := queryMsg{ID: strings.Repeat("ab", 16), From: "s0", Kind: "echo", Deadline: time.Now().Add(time.Minute).UnixMilli()}
	var msgs [][]byte
	for _, mod := range []func(*queryMsg){
		func(m *queryMsg) { m.ID = "short" },
		func(m *queryMsg) { m.ID = strings.Repeat("zz", 16) },
		func(m *queryMsg) { m.From = "" },
		func(m *queryMsg) { m.Kind = "" },
		func(m *queryMsg) { m.Payload = make([]byte, 600) },
		func(m *queryMsg) { m.Deadline = time.Now().Add(-time.Second).UnixMilli() },
		func(m *queryMsg) { m.Deadline = time.Now().Add(time.Hour).UnixMilli() },
		func(m *queryMsg) { m.From = "nobody" }, // not a member: not answered
	} {
		m := good
		mod(&m)
		b, _ := json.Marshal(m)
		msgs = append(msgs, append([]byte{msgQuery}, b...))
	}
	msgs = append(msgs, []byte{msgQuery, '{'}, []byte{9, 1, 2}, nil, []byte{msgAnswer, 'x'})
	for _, b := range msgs {
		p.notify(b)
	}
	time.Sleep(300 * time.Millisecond)
	if got := hs[1].askers(); len(got) != 0 {
		t.Errorf("handler ran for %v on malformed or foreign queries", got)
	}
	// The same pool still answers a good query.
	res, err := c.pools[0].Query(context.Background(), "echo", nil, 10*time.Second)
	if err != nil || len(res.Answers) != 2 {
		t.Fatalf("query after refusals: %v, %+v", err, res)
	}
}

func FuzzDecodeQuery(f *testing.F) {
	b, _ := json.Marshal(queryMsg{ID: strings.Repeat("ab", 16), From: "s0", Kind: "keyring", Deadline: 1, Payload: []byte("x")})
	f.Add(b)
	a, _ := json.Marshal(answerMsg{ID: strings.Repeat("ab", 16), From: "s1", Err: "no"})
	f.Add(a)
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := decodeQuery(b); err == nil {
			if len(m.ID) != 32 || m.From == "" || m.Kind == "" || len(m.Payload) > maxQueryPayload || m.Deadline <= 0 {
				t.Fatalf("accepted an invalid query %+v", m)
			}
		}
		if m, err := decodeAnswer(b); err == nil {
			if len(m.ID) != 32 || m.From == "" || len(m.Payload) > maxAnswerBody {
				t.Fatalf("accepted an invalid answer %+v", m)
			}
		}
	})
}

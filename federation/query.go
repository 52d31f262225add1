package federation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Queries carry one request to every server of the pool and bring their
// answers back to the server that asked: how an administrator changes every
// server's keyring with one command (the way consul's keyring operations
// ride on serf queries). A query is gossiped like memberlist's own
// messages: the asking server queues it, every server that sees it for the
// first time queues it again, each sends it RetransmitMult·ceil(log10(n+1))
// times. Each server answers once, over a reliable (TCP) message to the
// asker. Both directions are encrypted with the pool's keyring, so a query
// is authenticated as coming from a holder of the gossip key — no more:
// the handler (Config.OnQuery) decides what the asker may do, from the
// asker's metadata as this server's view holds it.
//
// Invariants: a server handles a query ID at most once; a query is not
// handled or relayed after its deadline; answers to IDs the asker is not
// waiting for are dropped.

// Message types of the pool's own user messages (the first byte).
const (
	msgQuery  byte = 1
	msgAnswer byte = 2
)

// Bounds of queries, checked on both sides.
const (
	maxQueryKind    = 32
	maxQueryPayload = 512     // a query is gossiped in UDP packets of Config.PacketSize
	maxAnswerBody   = 8 << 10 // an answer travels over TCP
	maxQueryTimeout = 10 * time.Minute
	queryWorkers    = 4   // handlers running at once on one server
	queryBacklog    = 256 // queries waiting for a handler; more are dropped
)

// ErrQuery is wrapped by the errors of Query about its arguments.
var ErrQuery = errors.New("invalid gossip query")

// QueryHandler answers a query on this server. from is the asking server as
// this server's view has it (metadata validated when it joined). The
// answer (at most 8 KiB) or the error's text goes back to the asker.
type QueryHandler func(from Member, kind string, payload []byte) ([]byte, error)

// Answer is one server's answer to a query.
type Answer struct {
	Server  string // the answering server's name
	Payload []byte // the handler's answer; nil when Err is set
	Err     string // the handler's error, or why it could not answer
}

// QueryResult gathers the answers to a query.
type QueryResult struct {
	Answers  []Answer // sorted by server name, the asker's own first
	NoAnswer []string // alive servers that did not answer before the deadline, sorted
}

// queryMsg is a query on the wire (JSON after the type byte).
type queryMsg struct {
	ID       string `json:"id"`       // 32 hex digits
	From     string `json:"from"`     // the asking server's name
	Kind     string `json:"kind"`     // what the handler should do
	Deadline int64  `json:"deadline"` // unix milliseconds; dropped after
	Payload  []byte `json:"payload"`
}

// answerMsg is an answer on the wire (JSON after the type byte).
type answerMsg struct {
	ID      string `json:"id"`
	From    string `json:"from"` // the answering server's name
	Payload []byte `json:"payload,omitempty"`
	Err     string `json:"err,omitempty"`
}

// queries is the query state of a Pool.
type queries struct {
	bq    *memberlist.TransmitLimitedQueue
	inbox chan []byte // queries handed over by NotifyMsg
	mu    sync.Mutex
	seen  map[string]time.Time    // query ID → deadline; pruned as they pass
	wait  map[string]chan *Answer // query ID → the asker's collector
}

// newQueries makes the query state; numNodes sizes the retransmissions.
func newQueries(numNodes func() int, retransmitMult int) *queries {
	return &queries{
		bq:    &memberlist.TransmitLimitedQueue{NumNodes: numNodes, RetransmitMult: retransmitMult},
		inbox: make(chan []byte, queryBacklog),
		seen:  make(map[string]time.Time),
		wait:  make(map[string]chan *Answer),
	}
}

// broadcast is a queued query.
type broadcast []byte

func (b broadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b broadcast) Message() []byte                       { return b }
func (b broadcast) Finished()                             {}

// firstSight records id until deadline and reports whether it was new.
func (q *queries) firstSight(id string, deadline, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	for k, d := range q.seen {
		if now.After(d) {
			delete(q.seen, k)
		}
	}
	if _, ok := q.seen[id]; ok {
		return false
	}
	q.seen[id] = deadline
	return true
}

// decodeQuery parses and checks a query message (without its type byte).
func decodeQuery(b []byte) (queryMsg, error) {
	var m queryMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("query: %w", err)
	}
	if err := checkIDFrom(m.ID, m.From); err != nil {
		return m, fmt.Errorf("query: %w", err)
	}
	switch {
	case m.Kind == "" || len(m.Kind) > maxQueryKind:
		return m, fmt.Errorf("query: kind must be 1 to %d bytes", maxQueryKind)
	case len(m.Payload) > maxQueryPayload:
		return m, fmt.Errorf("query: payload of %d bytes (at most %d)", len(m.Payload), maxQueryPayload)
	case m.Deadline <= 0:
		return m, fmt.Errorf("query: deadline missing")
	}
	return m, nil
}

// decodeAnswer parses and checks an answer message (without its type byte).
func decodeAnswer(b []byte) (answerMsg, error) {
	var m answerMsg
	if len(b) > maxAnswerBody+1024 {
		return m, fmt.Errorf("answer: %d bytes (at most %d)", len(b), maxAnswerBody+1024)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("answer: %w", err)
	}
	if err := checkIDFrom(m.ID, m.From); err != nil {
		return m, fmt.Errorf("answer: %w", err)
	}
	if len(m.Payload) > maxAnswerBody || len(m.Err) > maxAnswerBody {
		return m, fmt.Errorf("answer: body over %d bytes", maxAnswerBody)
	}
	return m, nil
}

// checkIDFrom checks what queries and answers share: a query ID of 32 hex
// digits and a server name of 1 to 64 bytes.
func checkIDFrom(id, from string) error {
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		return fmt.Errorf("id must be 32 hex digits")
	}
	if from == "" || len(from) > 64 {
		return fmt.Errorf("from must be a server name of 1 to 64 bytes")
	}
	return nil
}

// notify takes a user message from memberlist (which reuses the buffer, and
// must not be blocked). An answer is handed to its waiting Query at once
// (that never blocks), so the answers of a whole province never queue
// behind the backlog; a query goes to the workers, whose handler may take
// its time.
func (p *Pool) notify(b []byte) {
	switch {
	case len(b) > 0 && b[0] == msgAnswer:
		p.handleAnswer(b[1:])
		return
	case len(b) == 0 || b[0] != msgQuery:
		p.log.Debug("gossip message of unknown type dropped", "len", len(b))
		return
	}
	select {
	case p.q.inbox <- append([]byte(nil), b...):
	default:
		p.log.Warn("gossip query backlog full; message dropped", "backlog", queryBacklog)
	}
}

// queryLoop handles the inbox until the pool shuts down.
func (p *Pool) queryLoop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case b := <-p.q.inbox:
			p.handleQuery(b)
		}
	}
}

// handleQuery relays a query seen for the first time, runs the handler and
// sends the answer to the asker.
func (p *Pool) handleQuery(raw []byte) {
	m, err := decodeQuery(raw[1:])
	if err != nil {
		p.log.Warn("gossip query refused", "err", err)
		return
	}
	now := p.now()
	deadline := time.UnixMilli(m.Deadline)
	if now.After(deadline) || deadline.Sub(now) > maxQueryTimeout+time.Minute {
		p.log.Debug("gossip query outside its deadline dropped", "id", m.ID, "from", m.From)
		return
	}
	if !p.q.firstSight(m.ID, deadline, now) {
		return
	}
	p.q.bq.QueueBroadcast(broadcast(raw))
	if m.From == p.cfg.Name {
		return // the asker answers itself in Query
	}
	from, ok := p.Member(m.From)
	if !ok || !from.Status.Up() {
		p.log.Warn("gossip query from a server not alive in this view; not answered", "from", m.From, "kind", m.Kind)
		return
	}
	a := p.answer(from, m)
	body, _ := json.Marshal(answerMsg{ID: m.ID, From: p.cfg.Name, Payload: a.Payload, Err: a.Err})
	node := p.memberlistNode(m.From)
	if node == nil {
		p.log.Warn("gossip query's asker left before the answer", "from", m.From)
		return
	}
	if err := p.ml.SendReliable(node, append([]byte{msgAnswer}, body...)); err != nil {
		p.log.Warn("gossip query answer not delivered", "to", m.From, "kind", m.Kind, "err", err)
	}
}

// answer runs the handler (none: an error answer) and bounds its result.
func (p *Pool) answer(from Member, m queryMsg) Answer {
	a := Answer{Server: p.cfg.Name}
	if p.cfg.OnQuery == nil {
		a.Err = "this server answers no queries"
		return a
	}
	out, err := p.cfg.OnQuery(from, m.Kind, m.Payload)
	switch {
	case err != nil:
		a.Err = err.Error()
		if len(a.Err) > maxAnswerBody {
			a.Err = a.Err[:maxAnswerBody]
		}
	case len(out) > maxAnswerBody:
		a.Err = fmt.Sprintf("answer of %d bytes is over the limit of %d", len(out), maxAnswerBody)
	default:
		a.Payload = out
	}
	return a
}

// handleAnswer hands an answer to the Query waiting for it.
func (p *Pool) handleAnswer(b []byte) {
	m, err := decodeAnswer(b)
	if err != nil {
		p.log.Warn("gossip query answer refused", "err", err)
		return
	}
	p.q.mu.Lock()
	ch := p.q.wait[m.ID]
	p.q.mu.Unlock()
	if ch == nil {
		return // late, or not ours
	}
	select {
	case ch <- &Answer{Server: m.From, Payload: m.Payload, Err: m.Err}:
	default: // the collector holds one slot per alive server; more is a duplicate
	}
}

// memberlistNode finds memberlist's node of that name (nil: not alive).
func (p *Pool) memberlistNode(name string) *memberlist.Node {
	for _, n := range p.ml.Members() {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Query asks every alive server of the pool, this one included, to run
// Config.OnQuery on (kind, payload), and collects the answers until every
// server alive when the query started has answered, timeout passes or ctx
// ends. kind is 1 to 32 bytes; payload at most 512 bytes (it is gossiped in
// UDP packets); timeout at most 10 minutes. Servers that do not answer in
// time are listed in NoAnswer; the error is only about the arguments or a
// pool that is shut down.
func (p *Pool) Query(ctx context.Context, kind string, payload []byte, timeout time.Duration) (QueryResult, error) {
	switch {
	case p.closed.Load():
		return QueryResult{}, ErrShutdown
	case p.left.Load():
		return QueryResult{}, ErrLeft
	case kind == "" || len(kind) > maxQueryKind:
		return QueryResult{}, fmt.Errorf("%w: kind must be 1 to %d bytes", ErrQuery, maxQueryKind)
	case len(payload) > maxQueryPayload:
		return QueryResult{}, fmt.Errorf("%w: payload of %d bytes (at most %d)", ErrQuery, len(payload), maxQueryPayload)
	case timeout <= 0 || timeout > maxQueryTimeout:
		return QueryResult{}, fmt.Errorf("%w: timeout %v (want 0 < timeout ≤ %v)", ErrQuery, timeout, maxQueryTimeout)
	}
	var idb [16]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return QueryResult{}, fmt.Errorf("gossip query id: %w", err)
	}
	id := hex.EncodeToString(idb[:])
	deadline := p.now().Add(timeout)
	pending := map[string]bool{}
	for _, m := range p.Members() {
		if m.Status.Up() && m.Name != p.cfg.Name {
			pending[m.Name] = true
		}
	}
	ch := make(chan *Answer, len(pending))
	p.q.mu.Lock()
	p.q.wait[id] = ch
	p.q.seen[id] = deadline
	p.q.mu.Unlock()
	defer func() {
		p.q.mu.Lock()
		delete(p.q.wait, id)
		p.q.mu.Unlock()
	}()

	res := QueryResult{Answers: []Answer{p.answer(p.Local(), queryMsg{ID: id, From: p.cfg.Name, Kind: kind, Payload: payload})}}
	body, _ := json.Marshal(queryMsg{ID: id, From: p.cfg.Name, Kind: kind, Deadline: deadline.UnixMilli(), Payload: payload})
	p.q.bq.QueueBroadcast(broadcast(append([]byte{msgQuery}, body...)))

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var others []Answer
collect:
	for len(pending) > 0 {
		select {
		case a := <-ch:
			if pending[a.Server] {
				delete(pending, a.Server)
				others = append(others, *a)
			}
		case <-timer.C:
			break collect
		case <-ctx.Done():
			break collect
		case <-p.stop:
			break collect
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Server < others[j].Server })
	res.Answers = append(res.Answers, others...)
	for name := range pending {
		res.NoAnswer = append(res.NoAnswer, name)
	}
	sort.Strings(res.NoAnswer)
	return res, nil
}

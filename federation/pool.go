package federation

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Pool is this server's membership in the federation's gossip pool: one
// memberlist instance, its metadata, and its view of every other server.
// All methods are safe for concurrent use.
type Pool struct {
	cfg     Config // validated; Meta.Name filled in
	log     *slog.Logger
	ml      *memberlist.Memberlist
	keyring *memberlist.Keyring // the one memberlist uses; its own lock
	events  *dispatcher
	q       *queries
	now     func() time.Time

	// lifeMu serialises Leave and Shutdown: memberlist panics on a Leave
	// after Shutdown.
	lifeMu sync.Mutex
	closed atomic.Bool // Shutdown called
	left   atomic.Bool // Leave called

	stop chan struct{}  // closed by Shutdown: ends the reconnect loop and the query workers
	wg   sync.WaitGroup // the reconnect loop and the query workers

	// mu guards the fields below. It is taken inside memberlist's callbacks
	// (which hold memberlist's node lock), so it is never held while
	// calling into memberlist.
	mu           sync.Mutex
	meta         Meta
	metaBytes    []byte            // meta encoded with the current flags, served to memberlist
	leaving      bool              // flagLeaving is set in metaBytes
	view         map[string]*entry // by name, self included
	refused      map[string]string // name → reason last logged, to log each refusal once
	mergeRefusal error             // last refusal by NotifyMerge, for Join's error
}

// entry is a member in the view; hidden after ForceLeave.
type entry struct {
	m      Member
	hidden bool
}

// maxRefusalsRemembered bounds Pool.refused (it is cleared when full).
const maxRefusalsRemembered = 1024

// New validates cfg, starts memberlist (listening, not yet joined: see Join)
// and returns the pool.
func New(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Meta.Name == "" {
		cfg.Meta.Name = cfg.Name
	}
	primary, all, _ := cfg.Keyring.keys() // validated above
	kr, err := memberlist.NewKeyring(all[1:], primary)
	if err != nil {
		return nil, fmt.Errorf("gossip keyring: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	p := &Pool{
		cfg: cfg, log: logger.With("component", "gossip"), keyring: kr, now: time.Now,
		events: newDispatcher(cfg.OnEvent), meta: cfg.Meta, stop: make(chan struct{}),
		view: make(map[string]*entry), refused: make(map[string]string),
	}
	p.q = newQueries(p.upCount, cfg.Timings.RetransmitMult)
	if p.metaBytes, err = encodeMeta(cfg.Meta, 0); err != nil {
		return nil, fmt.Errorf("gossip meta: %w", err) // unreachable: validated
	}
	ml, err := memberlist.Create(cfg.memberlistConfig(&delegate{p: p}, kr, p.log))
	if err != nil {
		p.events.stop()
		return nil, fmt.Errorf("start gossip on %s:%d: %w", cfg.BindAddr, cfg.BindPort, err)
	}
	p.ml = ml
	p.wg.Add(1 + queryWorkers)
	go p.reconnectLoop()
	for range queryWorkers {
		go p.queryLoop()
	}
	return p, nil
}

// upCount is the number of up members in the view, itself included (at
// least 1): it sizes the retransmissions of queries.
func (p *Pool) upCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.view {
		if e.m.Status.Up() {
			n++
		}
	}
	return max(n, 1)
}

// LocalAddr returns the gossip address this server advertises, host:port
// (with BindPort 0, the port bound). Others Join it.
func (p *Pool) LocalAddr() string { return p.ml.LocalNode().Address() }

// Join contacts each address (host:port, or name/host:port) and exchanges
// full state with it. It returns how many answered; the error is nil when at
// least one did. When the peers cannot decrypt our messages or we theirs,
// the error wraps ErrKeyMismatch ("gossip key mismatch or missing (check the
// keyring)"); when this server or a peer is refused (ConflictChecker, bad
// metadata), it wraps the *RefusalError.
func (p *Pool) Join(addrs []string) (int, error) {
	switch {
	case p.closed.Load():
		return 0, ErrShutdown
	case p.left.Load():
		return 0, ErrLeft
	case len(addrs) == 0:
		return 0, ErrNoAddrs
	}
	p.mu.Lock()
	p.mergeRefusal = nil
	p.mu.Unlock()
	n, err := p.ml.Join(addrs)
	if err == nil {
		return n, nil
	}
	p.mu.Lock()
	refusal := p.mergeRefusal
	p.mu.Unlock()
	where := strings.Join(addrs, ", ")
	switch {
	case refusal != nil:
		return n, fmt.Errorf("join %s: %w", where, refusal)
	case isKeyError(err):
		return n, fmt.Errorf("join %s: %w: %w", where, ErrKeyMismatch, err)
	default:
		return n, fmt.Errorf("join %s: %w", where, err)
	}
}

// Leave announces that this server is leaving, then broadcasts memberlist's
// leave message, waiting up to timeout in all (≤ 0: Config.BroadcastTimeout).
// Others then report it StatusLeft rather than StatusDead. The server keeps
// answering gossip until Shutdown, which should follow. A timeout returns an
// error wrapping ErrBroadcastTimeout; the leave still spreads.
func (p *Pool) Leave(timeout time.Duration) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.closed.Load() {
		return ErrShutdown
	}
	if p.left.Swap(true) {
		return nil
	}
	if timeout <= 0 {
		timeout = p.cfg.BroadcastTimeout
	}
	deadline := p.now().Add(timeout)
	p.mu.Lock()
	p.leaving = true
	p.metaBytes, _ = encodeMeta(p.meta, flagLeaving) // p.meta is valid
	p.mu.Unlock()
	if err := p.ml.UpdateNode(timeout / 2); err != nil {
		p.log.Debug("leave intent not fully gossiped", "err", err)
	}
	rest := deadline.Sub(p.now())
	if rest < time.Millisecond {
		rest = time.Millisecond // 0 would mean "wait forever" to memberlist
	}
	if err := p.ml.Leave(rest); err != nil {
		return fmt.Errorf("leave: %w (%v)", ErrBroadcastTimeout, err)
	}
	return nil
}

// Shutdown stops gossip without a leave message (others will detect this
// server as dead; call Leave first for a graceful exit) and stops event
// delivery, dropping undelivered events. It is idempotent. It must not be
// called from Config.OnEvent.
func (p *Pool) Shutdown() error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.closed.Swap(true) {
		return nil
	}
	close(p.stop)
	p.wg.Wait()
	err := p.ml.Shutdown()
	p.events.stop()
	if err != nil {
		return fmt.Errorf("shut down gossip: %w", err)
	}
	return nil
}

// UpdateMeta replaces this server's metadata (a changed raft role, say) and
// gossips it, waiting up to Config.BroadcastTimeout. Name and area cannot
// change (ErrMetaFixed); an empty m.Name means the pool's name. An invalid m
// wraps ErrBadMeta and a *FieldError. A timeout wraps ErrBroadcastTimeout:
// the new metadata is in effect here and keeps spreading.
func (p *Pool) UpdateMeta(m Meta) error {
	switch {
	case p.closed.Load():
		return ErrShutdown
	case p.left.Load():
		return ErrLeft
	}
	if m.Name == "" {
		m.Name = p.cfg.Name
	}
	if m.Name != p.cfg.Name || m.Area != p.cfg.Meta.Area {
		return fmt.Errorf("update meta: %w (name %q, area %s)", ErrMetaFixed, p.cfg.Name, p.cfg.Meta.Area)
	}
	b, err := encodeMeta(m, 0)
	if err != nil {
		return fmt.Errorf("update meta: %w: %w", ErrBadMeta, err)
	}
	p.mu.Lock()
	p.meta, p.metaBytes = m, b
	if p.leaving {
		p.metaBytes, _ = encodeMeta(m, flagLeaving)
	}
	p.mu.Unlock()
	if err := p.ml.UpdateNode(p.cfg.BroadcastTimeout); err != nil {
		return fmt.Errorf("update meta: %w (%v)", ErrBroadcastTimeout, err)
	}
	return nil
}

// Local returns this server as a member.
func (p *Pool) Local() Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.view[p.cfg.Name]; ok {
		return e.m
	}
	return Member{Meta: p.meta, Status: StatusAlive}
}

// Members returns every server this one knows, itself included, sorted by
// name: up members, and dead or left ones for Config.ForgetAfter after their
// last change. Members cleared by ForceLeave are not listed.
func (p *Pool) Members() []Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := make([]Member, 0, len(p.view))
	for name, e := range p.view {
		if !e.m.Status.Up() && now.Sub(e.m.Since) > p.cfg.ForgetAfter {
			delete(p.view, name)
			continue
		}
		if !e.hidden {
			out = append(out, e.m)
		}
	}
	sortMembers(out)
	return out
}

// Member returns the named server as Members lists it (false: not listed).
func (p *Pool) Member(name string) (Member, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.view[name]
	if !ok || e.hidden || (!e.m.Status.Up() && p.now().Sub(e.m.Since) > p.cfg.ForgetAfter) {
		return Member{}, false
	}
	return e.m, true
}

// ForceLeave clears a failed member: a member this server reports dead is
// marked left here, stops being listed by Members, and EventLeft is
// delivered. memberlist has no force-leave, so this changes only this
// server's view: other servers keep reporting the member dead until they
// forget it (or are told to force-leave it too), and memberlist itself
// forgets it after Timings.GossipToTheDeadTime. If the server comes back it
// is listed again. An up member is refused with ErrMemberAlive; an unknown
// (or already cleared) name with ErrUnknownMember.
func (p *Pool) ForceLeave(name string) error {
	p.mu.Lock()
	e, ok := p.view[name]
	if !ok || e.hidden {
		p.mu.Unlock()
		return fmt.Errorf("force-leave %q: %w", name, ErrUnknownMember)
	}
	if e.m.Status.Up() {
		p.mu.Unlock()
		return fmt.Errorf("force-leave %q: %w", name, ErrMemberAlive)
	}
	prev := e.m.Status
	e.hidden = true
	if prev == StatusDead {
		e.m.Status, e.m.Since = StatusLeft, p.now()
	}
	m := e.m
	p.mu.Unlock()
	if prev == StatusDead {
		p.events.push(Event{Kind: EventLeft, Member: m, Prev: prev})
	}
	p.log.Info("force-left member", "member", name, "was", prev)
	return nil
}

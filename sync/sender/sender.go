package sender

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
)

// Sender replicates a node's log to its parent. Create it with New, run it
// with Run on the raft leader only, wake it with Notify after local writes.
// Its methods are safe for concurrent use.
type Sender struct {
	cfg    Config
	log    *slog.Logger
	notify chan struct{} // capacity 1: a pending wake-up
	// running is set while Run runs.
	running atomic.Bool

	// Run's goroutine only.
	marks map[area.Code]proto.Mark // the current session's Welcome (nil between sessions)
	rr    int                      // round-robin position in order

	mu      sync.Mutex // guards the fields below and the marked fields of each origin
	origins map[area.Code]*origin
	order   []*origin // origins by code
	link    linkStatus
	stats   Stats
}

// linkStatus is the state of the link to the parent, guarded by Sender.mu.
type linkStatus struct {
	connected   bool
	parent      area.Code
	peer        string
	lastSuccess time.Time
	lastError   string
	lastErrorAt time.Time
}

// New returns a Sender for cfg; zero fields take their defaults. It returns
// an error wrapping ErrConfig when cfg is invalid.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Sender{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "sender", "area", string(cfg.Area)),
		notify:  make(chan struct{}, 1),
		origins: map[area.Code]*origin{},
	}, nil
}

// Notify wakes the sender to look for new entries, after a local write or a
// batch applied from a child. It never blocks.
func (s *Sender) Notify() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Run sends until ctx ends, then returns nil: it dials the parent, streams,
// and after any failure closes the session, backs off with jitter and
// redials. It never gives up. Only one Run may be active at a time
// (ErrRunning); a Sender may be run again after Run returns, e.g. when the
// server becomes leader again. Every goroutine Run starts has stopped when
// it returns.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)
	s.refresh()
	attempt := 0
	for {
		progressed, err := s.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			attempt = 0
		}
		d := s.backoff(attempt)
		attempt++
		s.recordError("session", err)
		s.log.Warn("sync link to parent failed; will redial", "err", err, "attempt", attempt, "backoff", d)
		if !s.idle(ctx, d) {
			return nil
		}
		s.count(func(st *Stats) { st.Reconnects++ })
	}
}

// idle waits d while keeping the backlog in Status fresh; it returns false
// when ctx ended.
func (s *Sender) idle(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(s.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-s.notify:
			s.refresh()
		case <-tick.C:
			s.refresh()
			s.refreshOldest()
		}
	}
}

// backoff returns the jittered wait before retry attempt (0-based).
func (s *Sender) backoff(attempt int) time.Duration {
	d := s.cfg.BackoffMax
	if attempt < 32 && s.cfg.BackoffMin<<attempt < d && s.cfg.BackoffMin<<attempt > 0 {
		d = s.cfg.BackoffMin << attempt
	}
	return time.Duration(s.cfg.Rand() * float64(d))
}

// session runs one session: dial, welcome, stream until it fails. It
// reports whether the session made progress (an ack, or it outlived
// BackoffMax), which resets the redial backoff.
func (s *Sender) session(ctx context.Context) (bool, error) {
	s.count(func(st *Stats) { st.Dials++ })
	sess, err := s.cfg.Dialer.Dial(ctx, proto.Hello{Version: proto.Version, Sender: s.cfg.Area, Server: s.cfg.Server})
	if err != nil {
		return false, fmt.Errorf("dial parent: %w", err)
	}
	if err := s.begin(sess); err != nil {
		sess.Close()
		return false, err
	}
	start := s.cfg.Now()
	ctx, cancel := context.WithCancel(ctx)
	acks := make(chan received, s.cfg.MaxInFlight+1)
	var wg sync.WaitGroup
	wg.Go(func() { receive(ctx, sess, acks) })
	st := &stream{s: s, sess: sess, acks: acks}
	err = st.run(ctx)
	cancel()
	sess.Close()
	wg.Wait()
	s.end()
	return st.progressed || s.cfg.Now().Sub(start) > s.cfg.BackoffMax, err
}

// begin checks the Welcome and resets every origin to the parent's marks.
func (s *Sender) begin(sess proto.Session) error {
	w := sess.Welcome()
	switch {
	case w.Error != "":
		return fmt.Errorf("%w: %s", ErrWelcome, w.Error)
	case w.Receiver == s.cfg.Area || !w.Receiver.Contains(s.cfg.Area):
		return fmt.Errorf("%w: welcomed by %q, which is not above %s", ErrWelcome, w.Receiver, s.cfg.Area)
	}
	s.marks = make(map[area.Code]proto.Mark, len(w.Marks))
	for _, m := range w.Marks {
		s.marks[m.Origin] = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.order {
		m := s.marks[o.code]
		o.reset(m.Seq, m.Chain)
	}
	s.link.connected, s.link.parent, s.link.peer = true, w.Receiver, ""
	if p, ok := sess.(Peer); ok {
		s.link.peer = p.Peer()
	}
	s.stats.Sessions++
	s.log.Info("sync link to parent up", "parent", w.Receiver, "peer", s.link.peer, "marks", len(w.Marks))
	return nil
}

// end marks the link down.
func (s *Sender) end() {
	s.marks = nil
	s.mu.Lock()
	s.link.connected = false
	s.stats.InFlight = 0
	s.mu.Unlock()
}

// Peer is an optional interface of a proto.Session naming the parent
// server it is connected to (for Status).
type Peer interface {
	Peer() string
}

// received is one result of Session.Recv.
type received struct {
	ack proto.Ack
	err error
}

// receive forwards the session's acks to acks until Recv fails or ctx ends.
func receive(ctx context.Context, sess proto.Session, acks chan<- received) {
	for {
		ack, err := sess.Recv(ctx)
		if err != nil {
			err = fmt.Errorf("receive ack: %w", err)
		}
		select {
		case acks <- received{ack, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// recordError notes a failure in Status.
func (s *Sender) recordError(what string, err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.link.lastError, s.link.lastErrorAt = what+": "+err.Error(), s.cfg.Now()
}

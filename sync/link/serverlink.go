package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// lingerTimeout bounds how long a link that ends on a refusal or a protocol
// error keeps reading (and discarding) after its last frame, so that the
// child reads that frame instead of a connection reset.
const lingerTimeout = 2 * time.Second

// serverLink is the server's side of one link.
type serverLink struct {
	srv  *Server
	conn net.Conn
	log  *slog.Logger
	r    *frameReader
	w    *frameWriter // used by the handshake, then by the writer goroutine only

	sender area.Code         // from the hello; set before the reader starts
	peer   *tlsutil.Identity // the verified certificate's identity; nil on plain text

	// Idle tracking, shared by the reader and the writer goroutines.
	armed    atomic.Bool  // idle deadlines apply (after the handshake)
	inflight atomic.Int64 // batches submitted or refused, ack not yet written
	lastAct  atomic.Int64 // unix nanos of the last byte read or ack written
}

// serveConn runs one link to its end and closes conn. Links end when the
// child closes, on any error, or when ctx ends.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	l := &serverLink{srv: s, conn: conn, log: s.log.With("remote", conn.RemoteAddr().String())}
	l.r = newFrameReader(idleReader{l}, s.cfg.MaxBatchBytes)
	l.w = newFrameWriter(conn)

	ctx, err := l.secure(ctx)
	if err != nil {
		_ = l.conn.Close()
		return
	}
	err = l.handshake(ctx)
	if err == nil {
		err = l.run(ctx, cancel)
	}
	l.finish(ctx, err)
}

// finish logs how the link ended and closes it; after a refusal or a
// protocol error, whose answer was written, it lingers first.
func (l *serverLink) finish(ctx context.Context, err error) {
	var pe *ProtocolError
	switch {
	case err == nil || errors.Is(err, io.EOF) || ctx.Err() != nil:
		l.log.Debug("link closed", "err", err)
	case errors.Is(err, ErrRefused):
		l.log.Info("hello refused", "err", err)
	case errors.As(err, &pe):
		l.log.Warn("link closed on protocol violation", "rule", pe.Rule, "err", err)
	default:
		l.log.Info("link closed", "err", err)
	}
	if pe != nil || errors.Is(err, ErrRefused) {
		lingerClose(l.conn)
		return
	}
	_ = l.conn.Close()
}

// lingerClose half-closes conn where it can, discards what the peer still
// sends for up to lingerTimeout, and closes it.
func lingerClose(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.Copy(io.Discard, conn)
	_ = conn.Close()
}

// handshake reads the hello, asks the Receiver and writes the welcome, all
// within HandshakeTimeout. It returns an error wrapping ErrRefused when the
// welcome it wrote refuses the link.
func (l *serverLink) handshake(ctx context.Context) error {
	deadline := time.Now().Add(l.srv.cfg.HandshakeTimeout)
	_ = l.conn.SetDeadline(deadline)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	var h proto.Hello
	if err := l.r.readControl(FrameHello, &h); err != nil {
		var pe *ProtocolError
		if errors.As(err, &pe) {
			_ = l.w.writeControl(FrameWelcome, proto.Welcome{Version: proto.Version, Error: err.Error()})
		}
		return fmt.Errorf("read hello: %w", err)
	}
	l.log = l.log.With("sender", h.Sender, "server", h.Server)
	var w proto.Welcome
	if err := l.authorize(h); err != nil {
		w = proto.Welcome{Version: proto.Version, Error: err.Error()}
	} else {
		w = l.welcome(ctx, h)
	}
	if err := l.w.writeControl(FrameWelcome, w); err != nil {
		return fmt.Errorf("write welcome: %w", err)
	}
	if w.Error != "" {
		return fmt.Errorf("%w: %s", ErrRefused, w.Error)
	}
	l.sender = h.Sender
	_ = l.conn.SetDeadline(time.Time{})
	l.touch()
	l.armed.Store(true)
	return nil
}

// welcome returns the welcome answering h: a refusal for a version or
// sender the link cannot take, else the Receiver's answer.
func (l *serverLink) welcome(ctx context.Context, h proto.Hello) proto.Welcome {
	refuse := func(format string, args ...any) proto.Welcome {
		return proto.Welcome{Version: proto.Version, Error: fmt.Sprintf(format, args...)}
	}
	if h.Version != proto.Version {
		return refuse("%v: hello version %d, this parent speaks %d", ErrVersion, h.Version, proto.Version)
	}
	if _, err := area.Parse(string(h.Sender)); err != nil {
		return refuse("hello sender: %v", err)
	}
	w, err := l.srv.recv.Welcome(ctx, h)
	if err != nil {
		return refuse("%v", err)
	}
	if w.Version == 0 {
		w.Version = proto.Version
	}
	return w
}

func (l *serverLink) touch() { l.lastAct.Store(time.Now().UnixNano()) }

// run starts the reader and runs the writer until the link ends; it returns
// the error that ended it (io.EOF when the child closed its side cleanly and
// every ack was written).
func (l *serverLink) run(ctx context.Context, cancel context.CancelFunc) error {
	n := l.srv.cfg.MaxInFlight
	queue := make(chan func() proto.Ack, n) // never blocks: each entry holds a slot
	slots := make(chan struct{}, n)         // one per batch submitted and not acked
	readErr := make(chan error, 1)
	go func() { readErr <- l.readLoop(ctx, queue, slots) }() // joined below
	werr := l.writeLoop(queue, slots)
	if werr != nil {
		cancel() // unblocks the reader: ctx, and the conn via AfterFunc
	}
	rerr := <-readErr
	if werr != nil {
		return werr
	}
	return rerr
}

// readLoop reads batch frames and submits them in arrival order, queuing
// their wait funcs; it stops reading while MaxInFlight batches are unacked.
// A frame that breaks a rule is queued as a refusal in its place. It closes
// queue when it returns.
func (l *serverLink) readLoop(ctx context.Context, queue chan<- func() proto.Ack, slots chan struct{}) error {
	defer close(queue)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		t, p, err := l.r.readFrameOf(FrameBatch, FramePing)
		if err == nil {
			if rerr := l.revalidate(); rerr != nil {
				ack := proto.Ack{Error: rerr.Error(), Rule: tlsutil.RuleRevoked}
				l.inflight.Add(1)
				queue <- func() proto.Ack { return ack }
				return rerr
			}
		}
		if err == nil && t == FramePing {
			if len(p) != 0 {
				err = protoErr(RulePayload, t, ErrMalformed, "ping frame with a %d-byte payload", len(p))
			} else {
				if hb, ok := l.srv.recv.(proto.Heartbeater); ok {
					hb.Heartbeat(l.sender)
				}
				l.inflight.Add(1)
				queue <- func() proto.Ack { return proto.Ack{} }
				continue
			}
		}
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				ack := proto.Ack{Error: pe.Error(), Rule: pe.Rule}
				l.inflight.Add(1)
				queue <- func() proto.Ack { return ack }
			}
			return err
		}
		l.inflight.Add(1)
		queue <- l.srv.recv.Submit(ctx, l.sender, p)
	}
}

// writeLoop waits for each queued ack in order and writes it, until queue is
// closed and drained or a write fails.
func (l *serverLink) writeLoop(queue <-chan func() proto.Ack, slots <-chan struct{}) error {
	for wait := range queue {
		ack := wait()
		_ = l.conn.SetWriteDeadline(time.Now().Add(l.srv.cfg.IdleTimeout))
		if err := l.w.writeControl(FrameAck, ack); err != nil {
			return fmt.Errorf("write ack: %w", err)
		}
		l.touch()
		l.inflight.Add(-1)
		<-slots
	}
	return nil
}

// idleReader reads from the link's conn under the idle rule: once armed, a
// read fails with ErrIdle when nothing has been read or acked for
// IdleTimeout and no ack is owed. Progress inside a frame counts, so a slow
// child sending a large batch is not idle.
type idleReader struct{ l *serverLink }

func (r idleReader) Read(p []byte) (int, error) {
	l := r.l
	if !l.armed.Load() {
		return l.conn.Read(p)
	}
	idle := l.srv.cfg.IdleTimeout
	for {
		deadline := time.Unix(0, l.lastAct.Load()).Add(idle)
		if l.inflight.Load() > 0 {
			deadline = time.Now().Add(idle)
		}
		_ = l.conn.SetReadDeadline(deadline)
		n, err := l.conn.Read(p)
		if n > 0 {
			l.touch()
		}
		if n > 0 || err == nil || !isTimeout(err) {
			return n, err
		}
		if l.inflight.Load() == 0 && time.Since(time.Unix(0, l.lastAct.Load())) >= idle {
			return 0, fmt.Errorf("%w: nothing received for %v", ErrIdle, idle)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"fedsync/sync/proto"
)

// Dialer opens links to a parent; it implements proto.Dialer. The zero
// value is not usable: DialConn is required.
type Dialer struct {
	// DialConn opens the byte stream to the parent. TCPDialer returns one
	// for plain TCP; TLSDial wraps one in mutual TLS. Required.
	DialConn func(ctx context.Context) (net.Conn, error)
	// MaxBatchBytes bounds a batch Send accepts, in bytes; set it to the
	// parent's limit. Default DefaultMaxBatchBytes().
	MaxBatchBytes int64
	// HandshakeTimeout bounds dialing, writing the hello and reading the
	// welcome. Default 10s.
	HandshakeTimeout time.Duration
}

var _ proto.Dialer = (*Dialer)(nil)

// Dial opens a link and performs the handshake: it writes h (Version 0
// means proto.Version) and reads the parent's welcome. A refusing welcome is
// an error wrapping ErrRefused with the parent's reason; a welcome of
// another protocol version wraps ErrVersion. The returned Session is a
// *Session.
func (d *Dialer) Dial(ctx context.Context, h proto.Hello) (proto.Session, error) {
	if d.DialConn == nil {
		return nil, fmt.Errorf("link: dial: %w: nil DialConn", ErrConfig)
	}
	if d.MaxBatchBytes < 0 || d.HandshakeTimeout < 0 {
		return nil, fmt.Errorf("link: dial: %w: negative MaxBatchBytes or HandshakeTimeout", ErrConfig)
	}
	if h.Version == 0 {
		h.Version = proto.Version
	}
	timeout := d.HandshakeTimeout
	if timeout == 0 {
		timeout = DefaultServerConfig().HandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("link: dial: %w", err)
	}
	s := newSession(conn, d.MaxBatchBytes)
	if err := s.handshake(ctx, h); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return s, nil
}

// Session is the child's end of one link. It is safe for one goroutine
// calling Send and another calling Recv at the same time; Close and Welcome
// may be called from any goroutine. Any error from Send or Recv, other than
// a batch refused by Send's size check or a ctx already done, closes the
// session: a stream cut inside a frame cannot be resumed.
type Session struct {
	conn     net.Conn
	maxBatch int64
	welcome  proto.Welcome // set by the handshake; read-only after

	w *frameWriter // Send's only
	r *frameReader // Recv's only

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ proto.Session = (*Session)(nil)

func newSession(conn net.Conn, maxBatch int64) *Session {
	if maxBatch == 0 {
		maxBatch = DefaultMaxBatchBytes()
	}
	return &Session{
		conn:     conn,
		maxBatch: maxBatch,
		w:        newFrameWriter(conn),
		r:        newFrameReader(conn, 0), // the parent sends no batches
	}
}

func (s *Session) handshake(ctx context.Context, h proto.Hello) error {
	err := withDeadline(ctx, s.conn.SetDeadline, func() error {
		if err := s.w.writeControl(FrameHello, h); err != nil {
			return err
		}
		return s.r.readControl(FrameWelcome, &s.welcome)
	})
	if err != nil {
		return fmt.Errorf("link: handshake: %w", ctxErr(ctx, err))
	}
	if s.welcome.Error != "" {
		return fmt.Errorf("link: dial: %w: %s", ErrRefused, s.welcome.Error)
	}
	if s.welcome.Version != proto.Version {
		return fmt.Errorf("link: dial: %w: welcome version %d, this child speaks %d", ErrVersion, s.welcome.Version, proto.Version)
	}
	_ = s.conn.SetDeadline(time.Time{})
	return nil
}

// Welcome returns the parent's answer to the hello.
func (s *Session) Welcome() proto.Welcome { return s.welcome }

// Peer names the parent server that welcomed the link (sender.Peer).
func (s *Session) Peer() string { return s.welcome.Server }

// Send writes one batch frame and returns without waiting for its ack.
// A batch over MaxBatchBytes is refused with ErrFrameTooLarge before
// anything is written, and the session stays open. ctx bounds the write;
// if it ends mid-write the session is closed. Only one goroutine may Send.
func (s *Session) Send(ctx context.Context, batch []byte) error {
	if s.closed.Load() {
		return fmt.Errorf("link: send: %w", ErrClosed)
	}
	if int64(len(batch)) > s.maxBatch {
		return fmt.Errorf("link: send: %w: batch of %d bytes, limit %d", ErrFrameTooLarge, len(batch), s.maxBatch)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("link: send: %w", err)
	}
	err := withDeadline(ctx, s.conn.SetWriteDeadline, func() error {
		return s.w.writeFrame(FrameBatch, batch)
	})
	if err != nil {
		return s.fail("send", ctx, err)
	}
	return nil
}

// Ping writes a keepalive frame (proto.Pinger); the parent answers it
// with an empty Ack, in order with the batches. Same rules as Send.
func (s *Session) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return fmt.Errorf("link: ping: %w", ErrClosed)
	}
	err := withDeadline(ctx, s.conn.SetWriteDeadline, func() error {
		return s.w.writeFrame(FramePing, nil)
	})
	if err != nil {
		return s.fail("ping", ctx, err)
	}
	return nil
}

// Recv returns the next ack, in the order batches were sent. ctx bounds the
// wait; every error, ctx's included, closes the session. Only one goroutine
// may Recv.
func (s *Session) Recv(ctx context.Context) (proto.Ack, error) {
	if s.closed.Load() {
		return proto.Ack{}, fmt.Errorf("link: recv: %w", ErrClosed)
	}
	var ack proto.Ack
	err := withDeadline(ctx, s.conn.SetReadDeadline, func() error {
		return s.r.readControl(FrameAck, &ack)
	})
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("parent closed the link: %w", err)
		}
		return proto.Ack{}, s.fail("recv", ctx, err)
	}
	return ack, nil
}

// Close closes the link, unblocking Send and Recv. It is idempotent; later
// calls return the first call's result.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.closeErr = s.conn.Close()
	})
	return s.closeErr
}

// fail closes the session after a failed op and says why: ErrClosed when
// Close came first, ctx's error when it ended, else err.
func (s *Session) fail(op string, ctx context.Context, err error) error {
	wasClosed := s.closed.Load()
	_ = s.Close()
	if wasClosed {
		return fmt.Errorf("link: %s: %w", op, ErrClosed)
	}
	return fmt.Errorf("link: %s: %w", op, ctxErr(ctx, err))
}

// ctxErr prefers ctx's error to err when ctx has ended, since a deadline
// forced by ctx shows up as a timeout, possibly before ctx reports it.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	if dl, ok := ctx.Deadline(); ok && isTimeout(err) && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// past is a deadline already expired, used to interrupt blocked I/O.
var past = time.Unix(1, 0)

// withDeadline runs fn with ctx's deadline set on the conn by set, and
// interrupts it by an expired deadline if ctx ends first. When it returns,
// no interruption is pending.
func withDeadline(ctx context.Context, set func(time.Time) error, fn func() error) error {
	dl, _ := ctx.Deadline() // zero: none
	_ = set(dl)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = set(past)
		close(fired)
	})
	err := fn()
	if !stop() {
		<-fired
	}
	return err
}

// TCPDialer returns a DialConn function that dials addrs over TCP in order,
// each within timeout (0: none beyond ctx), and returns the first
// connection made; its error lists every address's failure.
func TCPDialer(addrs []string, timeout time.Duration) func(ctx context.Context) (net.Conn, error) {
	addrs = append([]string(nil), addrs...)
	return func(ctx context.Context) (net.Conn, error) {
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%w: no parent addresses", ErrConfig)
		}
		var errs []error
		for _, a := range addrs {
			d := net.Dialer{Timeout: timeout}
			conn, err := d.DialContext(ctx, "tcp", a)
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, fmt.Errorf("dial %d parent addresses: %w", len(addrs), errors.Join(errs...))
	}
}

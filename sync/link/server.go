package link

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// ServerConfig tunes a Server. A zero field means its default
// (DefaultServerConfig); negative values are invalid.
type ServerConfig struct {
	// MaxBatchBytes bounds a batch frame's payload, in bytes. Default
	// DefaultMaxBatchBytes(), the largest batch sync/wire's default limits
	// admit. A link may hold up to MaxInFlight such batches in the Receiver.
	MaxBatchBytes int64
	// HandshakeTimeout bounds reading the hello, the Receiver's Welcome and
	// writing the welcome. Default 10s.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a link that receives nothing for this long while
	// no ack is owed on it; it also bounds writing one ack to a child that
	// does not read. Default 2m.
	IdleTimeout time.Duration
	// MaxInFlight is how many batches of one link may be submitted and not
	// yet acked before the reader stops reading (backpressure). Default 64.
	MaxInFlight int
	// Logger receives link events; nil means slog.Default().
	Logger *slog.Logger
	// TLS, when set, makes every link mutual TLS (tlsutil.ServerConfig):
	// the handshake runs within HandshakeTimeout before the hello, a
	// refused certificate closes the conn, the hello's sender must be the
	// area of the peer's certificate (RuleSenderArea), and the Receiver
	// finds the peer's identity in its ctx (PeerFrom). Nil: plain text.
	TLS *tls.Config
	// OnRefuse, when set, is told of every link refused before the
	// Receiver saw it, or cut by Revalidate (for metrics); it must not
	// block.
	OnRefuse func(Refusal)
	// Revalidate, when set on a TLS server, is called with the link's
	// peer before each batch and ping is handed on: an error (a
	// certificate revoked since the handshake) answers that frame with a
	// refusal and closes the link. It must be cheap and must not block.
	Revalidate func(tlsutil.Identity) error
}

// DefaultServerConfig returns the defaults.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		MaxBatchBytes:    DefaultMaxBatchBytes(),
		HandshakeTimeout: 10 * time.Second,
		IdleTimeout:      2 * time.Minute,
		MaxInFlight:      64,
	}
}

// withDefaults returns c with zero fields replaced by defaults.
func (c ServerConfig) withDefaults() ServerConfig {
	d := DefaultServerConfig()
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = d.MaxBatchBytes
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = d.HandshakeTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = d.MaxInFlight
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks c after defaults are applied and names the first bad
// field.
func (c ServerConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.MaxBatchBytes < 0:
		return fmt.Errorf("%w: MaxBatchBytes %d is negative", ErrConfig, c.MaxBatchBytes)
	case c.HandshakeTimeout < 0:
		return fmt.Errorf("%w: HandshakeTimeout %v is negative", ErrConfig, c.HandshakeTimeout)
	case c.IdleTimeout < 0:
		return fmt.Errorf("%w: IdleTimeout %v is negative", ErrConfig, c.IdleTimeout)
	case c.MaxInFlight < 0:
		return fmt.Errorf("%w: MaxInFlight %d is negative", ErrConfig, c.MaxInFlight)
	}
	return nil
}

// Server is the parent's end of upward sync links: it accepts links on a
// listener and hands their batches to a proto.Receiver.
//
// Serve may run on several listeners at once; each call owns the links it
// accepted and closes them before it returns.
type Server struct {
	cfg  ServerConfig // defaults applied; read-only after NewServer
	recv proto.Receiver
	log  *slog.Logger
}

// NewServer returns a server that hands links to r. Invalid cfg is reported
// by Serve.
//
// r.Submit is called from one goroutine per link, in arrival order; each
// wait func it returns is called once, in the same order, from another
// goroutine of the link. Wait funcs must return once the ctx given to Submit
// is done, or Serve cannot return.
func NewServer(cfg ServerConfig, r proto.Receiver) *Server {
	cfg = cfg.withDefaults()
	return &Server{cfg: cfg, recv: r, log: cfg.Logger.With("component", "sync/link")}
}

// Serve accepts links on ln until ctx ends or ln is closed, then closes ln
// and every link it accepted, waits for all their goroutines and returns.
// Invalid config is reported here, before anything is accepted.
// It returns nil when ctx ended, and otherwise the error that stopped
// accepting (for a listener closed by someone else it wraps net.ErrClosed).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer ln.Close()
	if err := s.cfg.Validate(); err != nil {
		return fmt.Errorf("link: serve: %w", err)
	}
	if s.recv == nil {
		return fmt.Errorf("link: serve: %w: nil Receiver", ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: every link's ctx ends, its conn closes
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	err := s.acceptLoop(ctx, ln, &wg)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// acceptLoop accepts conns and starts a tracked goroutine per link. It
// retries temporary accept errors with a capped backoff.
func (s *Server) acceptLoop(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) error {
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || !temporary(err) {
				return fmt.Errorf("link: accept: %w", err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		wg.Go(func() { s.serveConn(ctx, conn) })
	}
}

func temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary() && !errors.Is(err, net.ErrClosed)
}

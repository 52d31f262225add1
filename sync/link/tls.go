package link

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// RuleSenderArea names the refusal of a hello whose sender is not the area
// of the certificate the link was opened with (ServerConfig.OnRefuse).
const RuleSenderArea = "sender-area"

// Refusal is a link the server refused before the Receiver saw it: a TLS
// handshake that failed its checks, or a hello that claims another sender
// than the peer's certificate. Peer is zero when no identity was verified.
type Refusal struct {
	Rule   string // a tlsutil.Rule* constant, or RuleSenderArea
	Remote string // the peer's address
	Peer   tlsutil.Identity
	Err    error
}

type peerKey struct{}

// PeerFrom returns the verified identity of the link ctx belongs to: the
// Receiver's Welcome and Submit get it in their ctx when the server runs
// mutual TLS. ok is false on a plain-text link.
func PeerFrom(ctx context.Context) (id tlsutil.Identity, ok bool) {
	id, ok = ctx.Value(peerKey{}).(tlsutil.Identity)
	return id, ok
}

func withPeer(ctx context.Context, id tlsutil.Identity) context.Context {
	return context.WithValue(ctx, peerKey{}, id)
}

// secure runs the server's TLS handshake on conn within HandshakeTimeout
// and returns the TLS conn and the peer's identity. On a plain-text server
// it returns conn unchanged.
func (l *serverLink) secure(ctx context.Context) (context.Context, error) {
	cfg := l.srv.cfg.TLS
	if cfg == nil {
		return ctx, nil
	}
	tc := tls.Server(l.conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, l.srv.cfg.HandshakeTimeout)
	defer cancel()
	id, err := tlsutil.Handshake(hctx, tc)
	if err != nil {
		l.srv.refused(Refusal{Rule: tlsutil.Rule(err), Remote: l.conn.RemoteAddr().String(), Err: err}, l.log)
		return ctx, fmt.Errorf("%w: tls: %w", ErrRefused, err)
	}
	l.conn, l.peer = tc, &id
	l.r = newFrameReader(idleReader{l}, l.srv.cfg.MaxBatchBytes)
	l.w = newFrameWriter(tc)
	l.log = l.log.With("peer", id.String(), "peer_area", id.Area, "peer_serial", tlsutil.FormatSerial(id.Serial))
	return withPeer(ctx, id), nil
}

// authorize checks the hello against the link's verified identity: a
// sender may only speak for the area of its own certificate.
func (l *serverLink) authorize(h proto.Hello) error {
	if l.peer == nil || h.Sender == l.peer.Area {
		return nil
	}
	err := fmt.Errorf("rule %s: %w: hello names sender %s but the certificate of %s is for area %s",
		RuleSenderArea, tlsutil.ErrWrongArea, h.Sender, l.peer, l.peer.Area)
	l.srv.refused(Refusal{Rule: RuleSenderArea, Remote: l.conn.RemoteAddr().String(), Peer: *l.peer, Err: err}, l.log)
	return err
}

// revalidate applies Revalidate to the link's peer: a link whose
// certificate was revoked after its handshake ends at its next frame.
func (l *serverLink) revalidate() error {
	if l.peer == nil || l.srv.cfg.Revalidate == nil {
		return nil
	}
	err := l.srv.cfg.Revalidate(*l.peer)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%w: %s: %w", ErrRefused, l.peer, err)
	l.srv.refused(Refusal{Rule: tlsutil.Rule(err), Remote: l.conn.RemoteAddr().String(), Peer: *l.peer, Err: err}, l.log)
	return err
}

// refused logs a refusal with everything known of the peer and reports it
// to OnRefuse.
func (s *Server) refused(r Refusal, log *slog.Logger) {
	log.Warn("sync link refused", "rule", r.Rule, "remote", r.Remote, "err", r.Err)
	if s.cfg.OnRefuse != nil {
		s.cfg.OnRefuse(r)
	}
}

// TLSDial wraps a DialConn function: each connection it opens runs a TLS
// client handshake with cfg (tlsutil.ClientConfig: this server's certificate
// and the check of the parent's), bounded by ctx, so a parent that fails the
// checks is a dial error naming the rule.
func TLSDial(dial func(ctx context.Context) (net.Conn, error), cfg *tls.Config) func(ctx context.Context) (net.Conn, error) {
	return func(ctx context.Context) (net.Conn, error) {
		conn, err := dial(ctx)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(conn, cfg)
		if _, err := tlsutil.Handshake(ctx, tc); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tls with %s (rule %s): %w", conn.RemoteAddr(), tlsutil.Rule(err), err)
		}
		return tc, nil
	}
}

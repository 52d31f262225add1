package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"fedsync/storage"
	"fedsync/sync/link"
	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// RuleJurisdiction labels ranges refused because an origin or a record
// lies outside what the verified sender may deliver (storage.ErrJurisdiction).
const RuleJurisdiction = "jurisdiction"

// parentTLS returns the TLS config of the upward link (nil with
// insecure_plaintext): this server's certificate, and a check that the
// parent's certificate serves a strict ancestor of this node's area (the
// parent, or a higher node under bypass).
func (n *Node) parentTLS() (*tls.Config, error) {
	if n.tls == nil {
		return nil, nil
	}
	cfg, err := tlsutil.ClientConfig(n.tls.options("", tlsutil.AuthorizeAncestor(n.cfg.Area)))
	if err != nil {
		return nil, fmt.Errorf("sync link tls: %w", err)
	}
	return cfg, nil
}

// secureLinks makes the link server require mutual TLS from children and
// count its refusals. Any descendant may dial; the hello's sender must be
// the area of its certificate (link) and lie below this node (Welcome).
func (n *Node) secureLinks(c *link.ServerConfig) error {
	c.OnRefuse = func(r link.Refusal) { n.metrics.refused.WithLabelValues(r.Rule).Inc() }
	if n.tls == nil {
		return nil
	}
	cfg, err := tlsutil.ServerConfig(n.tls.options("", nil))
	if err != nil {
		return fmt.Errorf("sync link tls: %w", err)
	}
	c.TLS = cfg
	c.Revalidate = n.tls.revalidate
	return nil
}

// authorizeHello applies tlsutil.AuthorizeSender to a hello on a TLS link:
// the sender is the certificate's area and lies strictly below this node.
func (n *Node) authorizeHello(ctx context.Context, h proto.Hello) error {
	peer, ok := link.PeerFrom(ctx)
	if !ok {
		return nil
	}
	if err := tlsutil.AuthorizeSender(peer, n.cfg.Area, h.Sender); err != nil {
		n.metrics.refused.WithLabelValues(tlsutil.RuleWrongArea).Inc()
		n.log.Warn("sync hello refused", "rule", tlsutil.RuleWrongArea, "peer", peer.String(), "peer_area", peer.Area, "sender", h.Sender, "err", err)
		return fmt.Errorf("rule %s: %w", tlsutil.RuleWrongArea, err)
	}
	return nil
}

// peerAttrs returns log attributes naming the link's verified peer.
func peerAttrs(ctx context.Context) []any {
	peer, ok := link.PeerFrom(ctx)
	if !ok {
		return []any{"peer", "(plain text)"}
	}
	return []any{"peer", peer.String(), "peer_area", peer.Area, "peer_serial", tlsutil.FormatSerial(peer.Serial)}
}

// countRefusedRanges logs and counts the ranges of a batch refused on
// jurisdiction: an origin outside the sender's subtree, a record outside
// its origin's area, a kind its origin's level may not own.
func (n *Node) countRefusedRanges(ctx context.Context, sender string, results []storage.RangeResult) {
	for _, r := range results {
		if r.Status == storage.RangeRefused && errors.Is(r.Err, storage.ErrJurisdiction) {
			n.metrics.refused.WithLabelValues(RuleJurisdiction).Inc()
			n.log.Warn("sync range refused", append([]any{"rule", RuleJurisdiction, "sender", sender, "origin", r.Origin, "err", r.Err}, peerAttrs(ctx)...)...)
		}
	}
}

// httpListener serves the API over HTTPS with this server's certificate
// when TLS is on.
func (n *Node) httpListener(ln net.Listener) net.Listener {
	if n.tls == nil {
		return ln
	}
	return tls.NewListener(ln, n.tls.httpServer())
}

// HTTPURL returns the API's base URL: https:// when TLS is on ("" before
// Start).
func (n *Node) HTTPURL() string {
	if n.ln == nil {
		return ""
	}
	if n.tls != nil {
		return "https://" + n.HTTPAddr()
	}
	return "http://" + n.HTTPAddr()
}

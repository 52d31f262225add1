// Package tlsutil owns the federation's PKI and its mutual-TLS policy
// (DESIGN §7): the offline federation CA, server certificates that name
// their area, the CA-signed revocation list, and the *tls.Config values
// every sync link and raft connection uses.
//
// # Identity
//
// A server certificate's identity is one URI SAN:
//
//	fedsync://area/<12-digit area code>/server/<server name>
//
// The area is the node the server belongs to (province, city, county or
// street; never a community) and the server name is the node-local raft
// server name. The CommonName "<server>.<area>" is for humans only and is
// never trusted. IdentityOf reads and validates the URI; PeerIdentity and
// Handshake return the identity of the other end of a connection.
//
// # Verification
//
// ServerConfig and ClientConfig build configs that require TLS 1.3, present
// this server's certificate, and verify the peer in VerifyConnection:
// signed directly by a trusted CA (no intermediates), valid at the
// configured clock, not revoked by the current CRL, carrying exactly one
// valid identity, and, when asked, naming an expected area. Host names are
// never checked: the identity, not the address, says who is talking.
//
// Every refusal wraps one of the sentinel errors in errors.go, so callers
// and logs can tell the rule that refused a peer.
package tlsutil

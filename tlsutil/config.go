package tlsutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"fedsync/area"
)

// Options configure one side of a mutual-TLS connection between servers.
type Options struct {
	// Roots are the trusted federation CA certificates (ca.pem): one CA, or
	// the old and the new one during a CA rotation. A peer's certificate
	// must be signed directly by one of them. Required.
	Roots []*x509.Certificate
	// Cert is this server's certificate and key (LoadServerCert). It must
	// carry a valid identity and chain to Roots. Required.
	Cert tls.Certificate
	// CRL returns the current revocation list; it is called on every
	// handshake, so the node can reload crl.pem behind it (an
	// atomic.Pointer[CRL]'s Load fits). A nil function or a nil result
	// revokes nothing: running without a CRL is for tests only.
	CRL func() *CRL
	// ExpectArea, when set, requires the peer's identity to name exactly
	// this area (ErrWrongArea): a child dialling its parent expects the
	// parent's area; raft connections expect the node's own area.
	ExpectArea area.Code
	// Authorize, when set, is called with the verified peer identity last;
	// a non-nil error refuses the handshake and is returned as is.
	Authorize func(Identity) error
	// Now is the clock for validity checks; nil means time.Now. For tests.
	Now func() time.Time
}

// Validate checks the options and returns this server's own identity. The
// own certificate must pass the checks a peer applies to it (CA, validity,
// revocation, identity, both server and client use), so a server with a
// bad certificate fails at start rather than at every handshake.
func (o Options) Validate() (Identity, error) {
	if len(o.Roots) == 0 {
		return Identity{}, fmt.Errorf("%w: no trusted CA certificates (Roots)", ErrConfig)
	}
	if o.ExpectArea != "" {
		if _, err := ValidArea(string(o.ExpectArea)); err != nil {
			return Identity{}, fmt.Errorf("%w: ExpectArea: %w", ErrConfig, err)
		}
	}
	leaf, err := o.leaf()
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if id, err = o.verifier(usage).check(leaf); err != nil {
			return Identity{}, fmt.Errorf("%w: own certificate: %w", ErrConfig, err)
		}
	}
	return id, nil
}

func (o Options) leaf() (*x509.Certificate, error) {
	if o.Cert.Leaf != nil {
		return o.Cert.Leaf, nil
	}
	if len(o.Cert.Certificate) == 0 || o.Cert.PrivateKey == nil {
		return nil, fmt.Errorf("%w: no server certificate and key (Cert)", ErrConfig)
	}
	leaf, err := x509.ParseCertificate(o.Cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("%w: own certificate: %w", ErrConfig, err)
	}
	return leaf, nil
}

// ServerConfig returns the config of a listener: TLS 1.3, this server's
// certificate, client certificates required and verified against Roots
// (by crypto/tls and again by the package's VerifyConnection, which adds
// revocation, identity and area checks).
func ServerConfig(o Options) (*tls.Config, error) {
	if _, err := o.Validate(); err != nil {
		return nil, err
	}
	v := o.verifier(x509.ExtKeyUsageClientAuth)
	return &tls.Config{
		MinVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{o.Cert},
		ClientCAs:              v.pool,
		ClientAuth:             tls.RequireAndVerifyClientCert,
		VerifyConnection:       v.verifyConnection,
		SessionTicketsDisabled: true, // every connection runs the full checks
		Time:                   o.Now,
	}, nil
}

// ClientConfig returns the config of a dialler: TLS 1.3, this server's
// certificate always presented, and the server verified by identity in
// VerifyConnection (CA, validity, revocation, identity, ExpectArea), never
// by host name.
func ClientConfig(o Options) (*tls.Config, error) {
	if _, err := o.Validate(); err != nil {
		return nil, err
	}
	v := o.verifier(x509.ExtKeyUsageServerAuth)
	cert := o.Cert
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil // always offered, so a refusal names the real reason
		},
		// Host names are not the identity: crypto/tls's host-name check is
		// replaced, not dropped. VerifyConnection verifies the chain
		// against Roots (and everything else) on every handshake.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection:   v.verifyConnection,
		Time:               o.Now,
	}, nil
}

// PeerIdentity returns the identity of the peer of a completed handshake.
// It only reads the peer's certificate: it is meaningful on connections
// made with ServerConfig or ClientConfig, whose VerifyConnection has
// verified that certificate.
func PeerIdentity(state tls.ConnectionState) (Identity, error) {
	if !state.HandshakeComplete {
		return Identity{}, fmt.Errorf("%w: TLS handshake not complete", ErrNoIdentity)
	}
	if len(state.PeerCertificates) == 0 {
		return Identity{}, fmt.Errorf("%w: peer presented no certificate", ErrNoIdentity)
	}
	return IdentityOf(state.PeerCertificates[0])
}

// Handshake runs conn's handshake, bounded by ctx, and returns the peer's
// identity. Refusals made inside crypto/tls (a listener's check of a
// client's chain) are wrapped in ErrExpired or ErrUntrusted, so every
// refusal of a verifying side matches one sentinel.
//
// In TLS 1.3 a client finishes before the server checks the client's
// certificate: a client whose certificate is refused succeeds here and sees
// the server's alert ("remote error: tls: bad certificate") on its first
// read.
func Handshake(ctx context.Context, conn *tls.Conn) (Identity, error) {
	if err := conn.HandshakeContext(ctx); err != nil {
		return Identity{}, classify(err)
	}
	return PeerIdentity(conn.ConnectionState())
}

// classify wraps a handshake error from crypto/tls's own verification in
// the matching sentinel; errors already carrying one are returned as is.
func classify(err error) error {
	for _, s := range []error{ErrNoIdentity, ErrRevoked, ErrWrongArea, ErrExpired, ErrUntrusted} {
		if errors.Is(err, s) {
			return err
		}
	}
	var cve *tls.CertificateVerificationError
	if !errors.As(err, &cve) {
		return err
	}
	name := "(none)"
	if len(cve.UnverifiedCertificates) > 0 {
		name = fmt.Sprintf("%q", cve.UnverifiedCertificates[0].Subject.CommonName)
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		return fmt.Errorf("%w: peer certificate %s: %w", ErrExpired, name, err)
	}
	return fmt.Errorf("%w: peer certificate %s: %w", ErrUntrusted, name, err)
}

// APIServerConfig returns the config of a listener that people and servers
// both call (the HTTP API): TLS 1.2 or later, this server's certificate, a
// client certificate asked for but not required. People authenticate with
// tokens and present none; a server that presents one has it verified as
// ServerConfig verifies one (CA, validity, revocation, identity,
// Authorize), and a handler may then read its identity with PeerIdentity.
// A certificate that fails the checks fails the handshake.
func APIServerConfig(o Options) (*tls.Config, error) {
	if _, err := o.Validate(); err != nil {
		return nil, err
	}
	v := o.verifier(x509.ExtKeyUsageClientAuth)
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{o.Cert},
		ClientCAs:    v.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return nil // a person with a token
			}
			return v.verifyConnection(cs)
		},
		Time: o.Now,
	}, nil
}

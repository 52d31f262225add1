package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// verifier checks peer certificates for one side of a connection.
type verifier struct {
	pool   *x509.CertPool
	usage  x509.ExtKeyUsage // what the peer's certificate is used for
	crl    func() *CRL
	expect Options
	now    func() time.Time
}

func (o Options) verifier(usage x509.ExtKeyUsage) *verifier {
	pool := x509.NewCertPool()
	for _, c := range o.Roots {
		pool.AddCert(c)
	}
	return &verifier{pool: pool, usage: usage, crl: o.CRL, expect: o, now: clock(o.Now)}
}

// verifyConnection is the tls.Config.VerifyConnection of both sides.
func (v *verifier) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("%w: peer presented no certificate", ErrNoIdentity)
	}
	id, err := v.check(cs.PeerCertificates[0])
	if err == nil {
		err = v.authorize(id)
	}
	if err != nil {
		return fmt.Errorf("refuse peer: %w", err)
	}
	return nil
}

// check applies the rules every certificate meets, own or peer's, in
// order: chain, validity, revocation, identity. It returns the
// certificate's identity.
func (v *verifier) check(leaf *x509.Certificate) (Identity, error) {
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       v.pool,
		CurrentTime: v.now(),
		KeyUsages:   []x509.ExtKeyUsage{v.usage},
	})
	if err != nil {
		return Identity{}, chainError(leaf, err)
	}
	if v.crl != nil && v.crl().IsRevoked(leaf.SerialNumber) {
		return Identity{}, fmt.Errorf("%w: certificate %q serial %s", ErrRevoked, leaf.Subject.CommonName, FormatSerial(leaf.SerialNumber))
	}
	return IdentityOf(leaf)
}

// authorize applies the peer-only rules: ExpectArea, then Authorize.
func (v *verifier) authorize(id Identity) error {
	if a := v.expect.ExpectArea; a != "" && id.Area != a {
		return fmt.Errorf("%w: peer %s is of area %s, want %s", ErrWrongArea, id, id.Area, a)
	}
	if v.expect.Authorize != nil {
		return v.expect.Authorize(id)
	}
	return nil
}

// chainError wraps an x509 verification error in ErrExpired or ErrUntrusted.
func chainError(leaf *x509.Certificate, err error) error {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		return fmt.Errorf("%w: certificate %q valid %s to %s: %w", ErrExpired, leaf.Subject.CommonName,
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), err)
	}
	return fmt.Errorf("%w: certificate %q: %w", ErrUntrusted, leaf.Subject.CommonName, err)
}

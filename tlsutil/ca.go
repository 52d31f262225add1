package tlsutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// Defaults of CAOptions and CertOptions.
const (
	// DefaultCAValidity is how long a federation CA is valid: 10 years.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultCertValidity is how long a server certificate is valid: 1 year.
	DefaultCertValidity = 365 * 24 * time.Hour
	// Backdate is how far before its creation a certificate becomes
	// valid, so that servers whose clocks lag still accept it.
	Backdate = time.Hour
)

// CAOptions describes a new federation CA.
type CAOptions struct {
	// Name tells CAs apart, e.g. "liaoning-2026": the CommonName is
	// "fedsync federation CA <Name>". Required; use a new name for each CA
	// so that a rotation's old and new CA differ by subject.
	Name string
	// Validity is how long the CA is valid. Default DefaultCAValidity.
	Validity time.Duration
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// CA is a federation CA that can sign: its certificate and private key.
// Only the machine that issues certificates holds one; servers hold the
// certificate alone.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// Now is the clock for the times written into CRLs; nil means time.Now.
	Now func() time.Time
}

// CreateCA creates a federation CA: an ECDSA P-256 key and a self-signed
// certificate for certificate and CRL signing only. It returns both as PEM.
func CreateCA(opts CAOptions) (certPEM, keyPEM []byte, err error) {
	if opts.Name == "" || len(opts.Name) > 32 {
		return nil, nil, fmt.Errorf("%w: CA name %q: want 1 to 32 characters", ErrConfig, opts.Name)
	}
	if opts.Validity < 0 {
		return nil, nil, fmt.Errorf("%w: CA validity %v is negative", ErrConfig, opts.Validity)
	}
	validity := opts.Validity
	if validity == 0 {
		validity = DefaultCAValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	now := clock(opts.Now)()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "fedsync federation CA " + opts.Name, Organization: []string{"fedsync"}},
		NotBefore:             now.Add(-Backdate),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodePEM(blockCert, der), keyPEM, nil
}

// ParseCA reads a CA from its certificate and key PEM, and checks that the
// certificate is a CA certificate for this key.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	certs, err := ParseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%w: CA certificate PEM holds %d certificates, want 1", ErrConfig, len(certs))
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	ca := &CA{Cert: certs[0], Key: key}
	if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%w: certificate %q is not a CA certificate", ErrConfig, ca.Cert.Subject.CommonName)
	}
	if !key.PublicKey.Equal(ca.Cert.PublicKey) {
		return nil, fmt.Errorf("%w: CA key does not match certificate %q", ErrConfig, ca.Cert.Subject.CommonName)
	}
	return ca, nil
}

// sign issues a certificate from tmpl for pub, signed by the CA. Every
// certificate the package makes goes through here; tests use it to make the
// malformed ones.
func (ca *CA) sign(tmpl *x509.Certificate, pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	return der, nil
}

func (ca *CA) now() time.Time { return clock(ca.Now)() }

// randomSerial returns a random positive 127-bit serial number (RFC 5280
// allows up to 20 octets). Randomness makes serials unique across CAs, so a
// CRL lookup by serial alone is sound.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("random serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

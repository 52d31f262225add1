package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"fedsync/area"
)

// CertOptions describes a server certificate.
type CertOptions struct {
	// Area is the node the server belongs to: a province, city, county or
	// street code. Required.
	Area area.Code
	// Server is the server's name (ValidServerName). Required.
	Server string
	// Hosts are DNS names and IP addresses put in the SANs, for tools that
	// check them. fedsync itself never checks host names. Optional.
	Hosts []string
	// Validity is how long the certificate is valid. Default
	// DefaultCertValidity. The certificate may not outlive its CA.
	Validity time.Duration
	// Now is the clock; nil means time.Now. For tests (a Now in the past
	// makes an expired certificate).
	Now func() time.Time
}

// CreateCert issues a server certificate for opts.Area and opts.Server,
// signed by ca: an ECDSA P-256 key, the identity URI SAN, the CommonName
// "<server>.<area>", and extended key usages for both server and client
// authentication (every server both accepts and dials). It returns the
// certificate and key as PEM.
func CreateCert(ca *CA, opts CertOptions) (certPEM, keyPEM []byte, err error) {
	tmpl, err := certTemplate(ca, opts)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate server key: %w", err)
	}
	der, err := ca.sign(tmpl, key.Public())
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodePEM(blockCert, der), keyPEM, nil
}

// certTemplate validates opts and returns the template of the certificate.
func certTemplate(ca *CA, opts CertOptions) (*x509.Certificate, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, fmt.Errorf("%w: no CA to sign with", ErrConfig)
	}
	if _, err := ValidArea(string(opts.Area)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := ValidServerName(opts.Server); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	validity := opts.Validity
	if validity == 0 {
		validity = DefaultCertValidity
	}
	if validity < 0 {
		return nil, fmt.Errorf("%w: certificate validity %v is negative", ErrConfig, validity)
	}
	now := clock(opts.Now)()
	notAfter := now.Add(validity)
	if notAfter.After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("%w: certificate would be valid until %s, after its CA expires (%s); rotate the CA first",
			ErrConfig, notAfter.Format(time.DateOnly), ca.Cert.NotAfter.Format(time.DateOnly))
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(identityURI(opts.Area, opts.Server))
	if err != nil {
		return nil, fmt.Errorf("%w: identity URI: %w", ErrConfig, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName(opts.Area, opts.Server), Organization: []string{"fedsync"}},
		NotBefore:             now.Add(-Backdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		URIs:                  []*url.URL{u},
	}
	if err := addHosts(tmpl, opts.Hosts); err != nil {
		return nil, err
	}
	return tmpl, nil
}

// addHosts puts each host in the IP or DNS SANs of tmpl.
func addHosts(tmpl *x509.Certificate, hosts []string) error {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if h == "" || len(h) > 253 || strings.ContainsAny(h, " /:@\t\r\n") {
			return fmt.Errorf("%w: host %q is neither an IP address nor a DNS name", ErrConfig, h)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	return nil
}

package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// PEM block types written and read by the package.
const (
	blockCert = "CERTIFICATE"
	blockKey  = "PRIVATE KEY" // PKCS #8
	blockEC   = "EC PRIVATE KEY"
	blockCRL  = "X509 CRL"
)

func encodePEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// ParseCerts parses every CERTIFICATE block of data (a single certificate
// or a bundle, such as ca.pem during a CA rotation). Blocks of other types
// are an error, so a key pasted into a certificate file is noticed.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != blockCert {
			return nil, fmt.Errorf("%w: block %d is %q, want %q", ErrPEM, n, b.Type, blockCert)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", ErrPEM, n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no %q block", ErrPEM, blockCert)
	}
	return certs, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return encodePEM(blockKey, der), nil
}

// parseKey reads an ECDSA P-256 private key in PKCS #8 or SEC 1 PEM.
func parseKey(data []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: no %q block", ErrPEM, blockKey)
	}
	var key any
	var err error
	switch b.Type {
	case blockKey:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case blockEC:
		key, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("%w: block is %q, want %q", ErrPEM, b.Type, blockKey)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPEM, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: key is %T, want ECDSA P-256", ErrPEM, key)
	}
	return ec, nil
}

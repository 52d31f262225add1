package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"fedsync/area"
)

// t0 is the tests' "now": every certificate and check uses a fixed clock.
var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// Areas of the tests: Shenyang, its 和平区, a street of it, another city.
var (
	shenyang = area.MustParse("210100000000")
	heping   = area.MustParse("210102000000")
	street   = area.MustParse("210102001000")
	dalian   = area.MustParse("210200000000")
)

// newCA creates a CA valid from three years before t0 for ten years.
func newCA(t testing.TB, name string) *CA {
	t.Helper()
	certPEM, keyPEM, err := CreateCA(CAOptions{Name: name, Now: at(t0.AddDate(-3, 0, 0))})
	if err != nil {
		t.Fatalf("CreateCA: %v", err)
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("ParseCA: %v", err)
	}
	ca.Now = at(t0)
	return ca
}

// issue creates a server certificate of a and server at t0 (unless opts
// says otherwise) and returns it ready for a tls.Config.
func issue(t testing.TB, ca *CA, opts CertOptions) tls.Certificate {
	t.Helper()
	if opts.Now == nil {
		opts.Now = at(t0)
	}
	certPEM, keyPEM, err := CreateCert(ca, opts)
	if err != nil {
		t.Fatalf("CreateCert: %v", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("X509KeyPair: %v", err)
	}
	return pair
}

// custom issues a certificate of area a and server name from a template
// that mutate changes first: the way to make malformed certificates.
func custom(t testing.TB, ca *CA, a area.Code, server string, mutate func(*x509.Certificate)) tls.Certificate {
	t.Helper()
	tmpl, err := certTemplate(ca, CertOptions{Area: a, Server: server, Now: at(t0)})
	if err != nil {
		t.Fatalf("certTemplate: %v", err)
	}
	mutate(tmpl)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ca.sign(tmpl, key.Public())
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// revoke returns a CRL of ca with the serials of certs revoked.
func revoke(t testing.TB, ca *CA, certs ...tls.Certificate) *CRL {
	t.Helper()
	var crl *CRL
	for _, c := range certs {
		pemBytes, err := Revoke(ca, crl, c.Leaf.SerialNumber, ReasonKeyCompromise)
		if err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if crl, err = ParseCRL(pemBytes, []*x509.Certificate{ca.Cert}); err != nil {
			t.Fatalf("ParseCRL: %v", err)
		}
	}
	return crl
}

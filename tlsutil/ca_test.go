package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"fedsync/area"
)

func TestCreateCA(t *testing.T) {
	certPEM, keyPEM, err := CreateCA(CAOptions{Name: "liaoning-2026", Now: at(t0)})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := ca.Cert
	if got, want := c.Subject.CommonName, "fedsync federation CA liaoning-2026"; got != want {
		t.Errorf("CommonName = %q, want %q", got, want)
	}
	if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("IsCA %v, KeyUsage %v; want a CA for cert and CRL signing", c.IsCA, c.KeyUsage)
	}
	if pub, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key %T, want ECDSA P-256", c.PublicKey)
	}
	if got, want := c.NotAfter, t0.Add(DefaultCAValidity).Truncate(time.Second); !got.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", got, want)
	}
	if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %v: want a large random positive number", c.SerialNumber)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if !strings.Contains(string(keyPEM), "BEGIN PRIVATE KEY") {
		t.Errorf("key PEM is not PKCS #8:\n%s", keyPEM)
	}

	c2, _, err := CreateCA(CAOptions{Name: "liaoning-2026"})
	if err != nil {
		t.Fatal(err)
	}
	if string(c2) == string(certPEM) {
		t.Error("two CAs are identical")
	}
}

func TestCreateCARefusals(t *testing.T) {
	for _, o := range []CAOptions{{}, {Name: strings.Repeat("n", 33)}, {Name: "x", Validity: -time.Hour}} {
		if _, _, err := CreateCA(o); !errors.Is(err, ErrConfig) {
			t.Errorf("CreateCA(%+v) = %v, want ErrConfig", o, err)
		}
	}
}

func TestParseCARefusals(t *testing.T) {
	caPEM, caKey, _ := CreateCA(CAOptions{Name: "a"})
	_, otherKey, _ := CreateCA(CAOptions{Name: "b"})
	ca, _ := ParseCA(caPEM, caKey)
	srvPEM, srvKey, err := CreateCert(ca, CertOptions{Area: street, Server: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		cert, key []byte
		want      error
	}{
		{"key of another CA", caPEM, otherKey, ErrConfig},
		{"server certificate", srvPEM, srvKey, ErrConfig},
		{"two certificates", append(append([]byte{}, caPEM...), caPEM...), caKey, ErrConfig},
		{"key in cert file", caKey, caKey, ErrPEM},
		{"cert in key file", caPEM, caPEM, ErrPEM},
		{"empty", nil, nil, ErrPEM},
	}
	for _, tt := range tests {
		if _, err := ParseCA(tt.cert, tt.key); !errors.Is(err, tt.want) {
			t.Errorf("%s: ParseCA error = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCreateCert(t *testing.T) {
	ca := newCA(t, "test")
	pair := issue(t, ca, CertOptions{Area: street, Server: "s1", Hosts: []string{"s1.example", "10.0.0.7", "::1"}})
	c := pair.Leaf
	if err := c.CheckSignatureFrom(ca.Cert); err != nil {
		t.Fatalf("not signed by the CA: %v", err)
	}
	if len(c.URIs) != 1 || c.URIs[0].String() != "fedsync://area/210102001000/server/s1" {
		t.Errorf("URIs = %v", c.URIs)
	}
	if c.Subject.CommonName != "s1.210102001000" {
		t.Errorf("CommonName = %q", c.Subject.CommonName)
	}
	wantEKU := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	if len(c.ExtKeyUsage) != 2 || c.ExtKeyUsage[0] != wantEKU[0] || c.ExtKeyUsage[1] != wantEKU[1] {
		t.Errorf("ExtKeyUsage = %v, want %v", c.ExtKeyUsage, wantEKU)
	}
	if c.IsCA {
		t.Error("server certificate is a CA")
	}
	if len(c.DNSNames) != 1 || c.DNSNames[0] != "s1.example" || len(c.IPAddresses) != 2 || !c.IPAddresses[0].Equal(net.ParseIP("10.0.0.7")) {
		t.Errorf("SANs: DNS %v, IP %v", c.DNSNames, c.IPAddresses)
	}
	if !c.NotBefore.Equal(t0.Add(-Backdate)) || !c.NotAfter.Equal(t0.Add(DefaultCertValidity)) {
		t.Errorf("validity %v to %v, want %v to %v", c.NotBefore, c.NotAfter, t0.Add(-Backdate), t0.Add(DefaultCertValidity))
	}
	other := issue(t, ca, CertOptions{Area: street, Server: "s1"})
	if other.Leaf.SerialNumber.Cmp(c.SerialNumber) == 0 {
		t.Error("two certificates share a serial")
	}
}

func TestCreateCertRefusals(t *testing.T) {
	ca := newCA(t, "test")
	tests := []struct {
		name string
		opts CertOptions
		want string
	}{
		{"no area", CertOptions{Server: "s1"}, "want 12 digits"},
		{"community", CertOptions{Area: area.Code("210102001001"), Server: "s1"}, "community"},
		{"malformed area", CertOptions{Area: area.Code("210100001000"), Server: "s1"}, "non-zero segment"},
		{"no server", CertOptions{Area: street}, "empty"},
		{"server with slash", CertOptions{Area: street, Server: "a/b"}, "not a letter"},
		{"server with space", CertOptions{Area: street, Server: "a b"}, "not a letter"},
		{"server too long", CertOptions{Area: street, Server: strings.Repeat("s", 65)}, "at most 64"},
		{"bad host", CertOptions{Area: street, Server: "s1", Hosts: []string{"a b"}}, "neither an IP"},
		{"negative validity", CertOptions{Area: street, Server: "s1", Validity: -time.Hour}, "negative"},
		{"outlives CA", CertOptions{Area: street, Server: "s1", Validity: 20 * DefaultCertValidity}, "after its CA expires"},
	}
	for _, tt := range tests {
		_, _, err := CreateCert(ca, tt.opts)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: CreateCert error = %v, want ErrConfig containing %q", tt.name, err, tt.want)
		}
	}
	if _, _, err := CreateCert(nil, CertOptions{Area: street, Server: "s1"}); !errors.Is(err, ErrConfig) {
		t.Errorf("CreateCert(nil CA) = %v, want ErrConfig", err)
	}
}

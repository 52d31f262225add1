package tlsutil

import (
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"
)

func TestRevoke(t *testing.T) {
	ca := newCA(t, "test")
	roots := []*x509.Certificate{ca.Cert}
	a := issue(t, ca, CertOptions{Area: street, Server: "a"})
	b := issue(t, ca, CertOptions{Area: street, Server: "b"})

	var crl *CRL
	if crl.IsRevoked(a.Leaf.SerialNumber) {
		t.Fatal("nil CRL revokes")
	}
	for i, c := range []*x509.Certificate{a.Leaf, b.Leaf} {
		ca.Now = at(t0.Add(time.Duration(i) * time.Hour))
		pemBytes, err := Revoke(ca, crl, c.SerialNumber, ReasonKeyCompromise)
		if err != nil {
			t.Fatalf("Revoke %d: %v", i, err)
		}
		if crl, err = ParseCRL(pemBytes, roots); err != nil {
			t.Fatalf("ParseCRL %d: %v", i, err)
		}
		l := crl.Lists()
		if len(l) != 1 || l[0].Number.Int64() != int64(i+1) {
			t.Fatalf("after revocation %d: %d lists, number %v; want 1 list numbered %d", i, len(l), l[0].Number, i+1)
		}
		if !l[0].ThisUpdate.Equal(ca.now()) || !crl.NextUpdate().Equal(ca.now().Add(DefaultCRLValidity)) {
			t.Errorf("ThisUpdate %v, NextUpdate %v", l[0].ThisUpdate, crl.NextUpdate())
		}
		if string(crl.PEM()) != string(pemBytes) {
			t.Error("PEM() differs from what Revoke returned")
		}
	}
	if !crl.IsRevoked(a.Leaf.SerialNumber) || !crl.IsRevoked(b.Leaf.SerialNumber) {
		t.Error("revoked serials not reported revoked")
	}
	if crl.IsRevoked(big.NewInt(12345)) {
		t.Error("an unknown serial is revoked")
	}
	if got := crl.Lists()[0].RevokedCertificateEntries[0].ReasonCode; got != int(ReasonKeyCompromise) {
		t.Errorf("reason %d, want %d", got, ReasonKeyCompromise)
	}
	if _, err := Revoke(ca, crl, a.Leaf.SerialNumber, ReasonSuperseded); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("revoking twice: %v, want ErrAlreadyRevoked", err)
	}
	if _, err := Revoke(ca, crl, big.NewInt(0), ReasonSuperseded); !errors.Is(err, ErrConfig) {
		t.Errorf("revoking serial 0: %v, want ErrConfig", err)
	}
	if _, err := Revoke(ca, crl, big.NewInt(7), Reason(99)); !errors.Is(err, ErrConfig) {
		t.Errorf("reason 99: %v, want ErrConfig", err)
	}

	renewed, err := RenewCRL(ca, crl)
	if err != nil {
		t.Fatal(err)
	}
	next, err := ParseCRL(renewed, roots)
	if err != nil {
		t.Fatal(err)
	}
	if next.Lists()[0].Number.Int64() != 3 || !next.IsRevoked(a.Leaf.SerialNumber) || !next.IsRevoked(b.Leaf.SerialNumber) {
		t.Errorf("renewed CRL: number %v, want 3 with both serials", next.Lists()[0].Number)
	}
	if err := next.Follows(crl); err != nil {
		t.Errorf("renewed.Follows(old) = %v", err)
	}
	if err := crl.Follows(next); !errors.Is(err, ErrConfig) {
		t.Errorf("old.Follows(renewed) = %v, want a rollback error", err)
	}
}

func TestCRLTwoCAs(t *testing.T) {
	oldCA, newer := newCA(t, "old"), newCA(t, "new")
	roots := []*x509.Certificate{oldCA.Cert, newer.Cert}
	a := issue(t, oldCA, CertOptions{Area: street, Server: "a"})
	b := issue(t, newer, CertOptions{Area: street, Server: "b"})

	p1, err := Revoke(oldCA, nil, a.Leaf.SerialNumber, ReasonSuperseded)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := ParseCRL(p1, roots)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Revoke(newer, c1, b.Leaf.SerialNumber, ReasonKeyCompromise)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseCRL(p2, roots)
	if err != nil {
		t.Fatal(err)
	}
	if len(c2.Lists()) != 2 || !c2.IsRevoked(a.Leaf.SerialNumber) || !c2.IsRevoked(b.Leaf.SerialNumber) {
		t.Errorf("two-CA CRL: %d lists, want 2 revoking both", len(c2.Lists()))
	}
	if err := c2.Follows(c1); err != nil {
		t.Errorf("Follows: %v", err)
	}
	if _, err := ParseCRL(p2, roots[:1]); !errors.Is(err, ErrUntrusted) {
		t.Errorf("ParseCRL with the new CA untrusted: %v, want ErrUntrusted", err)
	}
	if _, err := ParseCRL(append(append([]byte{}, p1...), p1...), roots); !errors.Is(err, ErrConfig) {
		t.Errorf("two lists of one CA: %v, want ErrConfig", err)
	}
	if err := c1.Follows(c2); !errors.Is(err, ErrConfig) {
		t.Errorf("c1.Follows(c2) = %v, want ErrConfig (the new CA's list went missing)", err)
	}

	// The end of the rotation: the old CA leaves the roots and its list
	// leaves crl.pem.
	p3, err := RenewCRL(newer, nil)
	if err != nil {
		t.Fatal(err)
	}
	c3, err := ParseCRL(p3, roots[1:])
	if err != nil {
		t.Fatal(err)
	}
	p4, err := Revoke(newer, c2, big.NewInt(77), ReasonSuperseded)
	if err != nil {
		t.Fatal(err)
	}
	c4, err := ParseCRL(p4, roots)
	if err != nil {
		t.Fatal(err)
	}
	if err := c3.Follows(c4); !errors.Is(err, ErrConfig) {
		t.Errorf("list number 1 after number 2 = %v, want a rollback error", err)
	}
	var newOnly []byte
	for _, l := range c4.Lists() {
		if l.CheckSignatureFrom(newer.Cert) == nil {
			newOnly = encodePEM(blockCRL, l.Raw)
		}
	}
	c5, err := ParseCRL(newOnly, roots[1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := c5.Follows(c4); err != nil {
		t.Errorf("dropping the list of a CA no longer trusted: %v, want nil", err)
	}
	if err := mustCRL(t, newOnly, roots).Follows(c4); !errors.Is(err, ErrConfig) {
		t.Errorf("dropping the list of a CA still trusted: %v, want ErrConfig", err)
	}
}

func TestParseCRLRefusals(t *testing.T) {
	ca := newCA(t, "test")
	certPEM := encodePEM(blockCert, ca.Cert.Raw)
	for name, data := range map[string][]byte{
		"empty":       nil,
		"certificate": certPEM,
		"garbage":     encodePEM(blockCRL, []byte("not a crl")),
	} {
		if _, err := ParseCRL(data, []*x509.Certificate{ca.Cert}); !errors.Is(err, ErrPEM) {
			t.Errorf("%s: ParseCRL = %v, want ErrPEM", name, err)
		}
	}
}

func TestReason(t *testing.T) {
	for r := ReasonUnspecified; r <= ReasonCessationOfOperation; r++ {
		got, err := ParseReason(r.String())
		if err != nil || got != r {
			t.Errorf("ParseReason(%q) = %v, %v", r.String(), got, err)
		}
	}
	if _, err := ParseReason("because"); err == nil {
		t.Error("ParseReason(because) = nil error")
	}
}

func mustCRL(t *testing.T, data []byte, roots []*x509.Certificate) *CRL {
	t.Helper()
	c, err := ParseCRL(data, roots)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

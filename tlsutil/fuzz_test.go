package tlsutil

import (
	"crypto/x509"
	"strings"
	"testing"

	"fedsync/area"
)

// FuzzParseIdentityURI checks the identity URI parser on arbitrary input:
// it never panics, and whatever it accepts is a valid identity that formats
// back to the same string.
func FuzzParseIdentityURI(f *testing.F) {
	for _, s := range []string{
		"fedsync://area/210102001000/server/s1",
		"fedsync://area/210000000000/server/prov.a-b_c~",
		"fedsync://area/210102001001/server/s1",
		"fedsync://area/210100001000/server/s1",
		"fedsync://area/210102001000/server/a/server/b",
		"fedsync://area//server/",
		"fedsync://area/210102001000/server/" + strings.Repeat("x", 65),
		"FEDSYNC://area/210102001000/server/s1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, server, err := parseIdentityURI(s)
		if err != nil {
			return
		}
		if lvl := a.Level(); lvl < area.LevelProvince || lvl > area.LevelStreet {
			t.Fatalf("accepted %q with area %q of level %v", s, a, lvl)
		}
		if ValidServerName(server) != nil {
			t.Fatalf("accepted %q with invalid server name %q", s, server)
		}
		if got := identityURI(a, server); got != s {
			t.Fatalf("accepted %q, which formats back as %q", s, got)
		}
	})
}

// FuzzIdentityOf feeds arbitrary DER to the certificate parser and
// IdentityOf: no panic, and an accepted identity is valid.
func FuzzIdentityOf(f *testing.F) {
	ca := newCA(f, "fuzz")
	f.Add(issue(f, ca, CertOptions{Area: street, Server: "s1"}).Leaf.Raw)
	f.Add(ca.Cert.Raw)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		id, err := IdentityOf(c)
		if err != nil {
			return
		}
		if _, err := ValidArea(string(id.Area)); err != nil || ValidServerName(id.Server) != nil {
			t.Fatalf("IdentityOf accepted %+v", id)
		}
	})
}

// FuzzParseCRL feeds arbitrary bytes to the parser of crl.pem, which a
// node reloads whenever the file changes: no panic; an accepted CRL is
// signed by the root and its PEM parses back to the same lists.
func FuzzParseCRL(f *testing.F) {
	ca := newCA(f, "fuzz")
	roots := []*x509.Certificate{ca.Cert}
	empty, err := RenewCRL(ca, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(empty)
	f.Add(revoke(f, ca, issue(f, ca, CertOptions{Area: street, Server: "s1"})).PEM())
	f.Add([]byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCRL(data, roots)
		if err != nil {
			return
		}
		again, err := ParseCRL(c.PEM(), roots)
		if err != nil || len(again.Lists()) != len(c.Lists()) {
			t.Fatalf("accepted CRL does not round-trip: %v", err)
		}
		if err := again.Follows(c); err != nil {
			t.Fatalf("a CRL does not follow itself: %v", err)
		}
	})
}

// FuzzParseCerts feeds arbitrary bytes to the PEM certificate parser of
// ca.pem and `fedsync tls cert inspect`: no panic, and every accepted
// certificate re-encodes to the DER it came from.
func FuzzParseCerts(f *testing.F) {
	ca := newCA(f, "fuzz")
	f.Add(encodePEM(blockCert, ca.Cert.Raw))
	f.Add(append(encodePEM(blockCert, ca.Cert.Raw), encodePEM(blockCert, issue(f, ca, CertOptions{Area: street, Server: "s1"}).Leaf.Raw)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCerts(data)
		if err != nil {
			return
		}
		if len(certs) == 0 {
			t.Fatal("ParseCerts accepted input with no certificate")
		}
		for _, c := range certs {
			if _, err := x509.ParseCertificate(c.Raw); err != nil {
				t.Fatalf("accepted certificate does not re-parse: %v", err)
			}
		}
	})
}

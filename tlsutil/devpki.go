package tlsutil

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"fedsync/area"
)

// DevPKI is a throwaway federation PKI in one directory, for the demo,
// benchmarks and tests: a CA whose key stays in the directory, an empty
// CRL, and a certificate per server issued on demand. A real federation
// keeps the CA key offline (README "Procedures").
type DevPKI struct {
	Dir     string
	CA      *CA
	CAFile  string // ca.pem
	CRLFile string // crl.pem
}

// ServerFiles are one server's files in a DevPKI.
type ServerFiles struct {
	CertFile, KeyFile string
}

// NewDevPKI creates dir (if needed) and a CA named name in it, writing
// ca.pem, ca-key.pem and an empty crl.pem; it refuses a directory that
// already holds them.
func NewDevPKI(dir, name string) (*DevPKI, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("pki dir: %w", err)
	}
	certPEM, keyPEM, err := CreateCA(CAOptions{Name: name})
	if err != nil {
		return nil, err
	}
	p := &DevPKI{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), CRLFile: filepath.Join(dir, "crl.pem")}
	if err := WriteKeyPair(p.CAFile, filepath.Join(dir, "ca-key.pem"), certPEM, keyPEM); err != nil {
		return nil, err
	}
	if p.CA, err = ParseCA(certPEM, keyPEM); err != nil {
		return nil, err
	}
	crl, err := RenewCRL(p.CA, nil)
	if err != nil {
		return nil, err
	}
	if err := WriteNewFile(p.CRLFile, crl, CertFileMode); err != nil {
		return nil, err
	}
	return p, nil
}

// Issue writes a certificate and key for server of area a, valid for hosts
// (DNS names or IPs, for HTTPS clients), as <area>-<server>.pem and
// <area>-<server>-key.pem.
func (p *DevPKI) Issue(a area.Code, server string, hosts ...string) (ServerFiles, error) {
	certPEM, keyPEM, err := CreateCert(p.CA, CertOptions{Area: a, Server: server, Hosts: hosts})
	if err != nil {
		return ServerFiles{}, err
	}
	base := filepath.Join(p.Dir, string(a)+"-"+server)
	f := ServerFiles{CertFile: base + ".pem", KeyFile: base + "-key.pem"}
	return f, WriteKeyPair(f.CertFile, f.KeyFile, certPEM, keyPEM)
}

// Revoke adds serial to the CRL file (replaced atomically).
func (p *DevPKI) Revoke(serial string) error {
	n, err := ParseSerial(serial)
	if err != nil {
		return err
	}
	roots := []*x509.Certificate{p.CA.Cert}
	prev, err := LoadCRL(p.CRLFile, roots)
	if err != nil {
		return err
	}
	next, err := Revoke(p.CA, prev, n, ReasonKeyCompromise)
	if err != nil {
		return err
	}
	return ReplaceFile(p.CRLFile, next, CertFileMode)
}

package bench

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"path/filepath"

	"fedsync/node"
	"fedsync/tlsutil"
)

// clusterPKI is a benchmark cluster's throwaway CA: every node runs mutual
// TLS as in production, so the figures include its cost.
type clusterPKI struct {
	pki *tlsutil.DevPKI
	hc  *http.Client // trusts the CA, for the nodes' https APIs
}

func newClusterPKI(dir string) (*clusterPKI, error) {
	p, err := tlsutil.NewDevPKI(filepath.Join(dir, "pki"), "bench")
	if err != nil {
		return nil, fmt.Errorf("bench pki: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(p.CA.Cert)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return &clusterPKI{pki: p, hc: hc}, nil
}

// secure gives m's config its certificate, issued on its first start.
func (c *clusterPKI) secure(m *member) error {
	if m.cfg.TLS.CertFile != "" {
		return nil
	}
	f, err := c.pki.Issue(m.code, m.cfg.Name, "127.0.0.1")
	if err != nil {
		return fmt.Errorf("certificate of %s: %w", m.code, err)
	}
	m.cfg.TLS = node.TLSConfig{CAFile: c.pki.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, CRLFile: c.pki.CRLFile}
	return nil
}

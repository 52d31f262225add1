package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// EnvCAFile is the environment variable that gives the federation CA file
// (ca.pem) the client trusts; with it, addresses without a scheme are
// reached over https.
const EnvCAFile = "FEDSYNC_CA_FILE"

// DefaultCAFile returns EnvCAFile's value, or "" (plain http).
func DefaultCAFile() string { return strings.TrimSpace(os.Getenv(EnvCAFile)) }

// WithCAFile makes the client reach the agent over HTTPS and trust the
// certificates of the CA in path (the federation's ca.pem): the agent's
// certificate must be signed by it and name the host the client dials (its
// --ip/--dns when it was issued). An address without a scheme then means
// https. An empty path changes nothing.
func WithCAFile(path string) Option {
	return func(c *Client) {
		if path == "" {
			return
		}
		pool, err := caPool(path)
		if err != nil {
			c.err = err
			return
		}
		c.https = true
		c.setTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
}

// caPool reads the PEM certificates of path into a pool.
func caPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// setTLS gives the client's transport cfg, keeping its other settings.
func (c *Client) setTLS(cfg *tls.Config) {
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok || tr == nil {
		tr = http.DefaultTransport.(*http.Transport)
	}
	tr = tr.Clone()
	tr.TLSClientConfig = cfg
	hc := *c.hc
	hc.Transport = tr
	c.hc = &hc
}

// tlsHint says what to do about a TLS failure talking to the agent, or "".
func tlsHint(err error) string {
	var uae x509.UnknownAuthorityError
	var hve x509.HostnameError
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &uae):
		return "the agent's certificate is not signed by the CA of --ca-file ($" + EnvCAFile + ")"
	case errors.As(err, &hve):
		return "the agent's certificate does not name this host; address it by a name or IP its certificate carries (fedsync tls cert inspect), or reissue it with --ip/--dns"
	case errors.As(err, &rhe):
		return "the agent does not speak TLS; drop --ca-file and use an http:// address"
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the agent serves plain http (insecure_plaintext); drop --ca-file"
	case strings.Contains(err.Error(), "certificate signed by unknown authority"):
		return "the agent serves https: give the federation CA with --ca-file or $" + EnvCAFile
	}
	return ""
}

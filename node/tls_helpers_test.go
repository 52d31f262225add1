package node

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"github.com/hashicorp/raft"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fedsync/tlsutil"
)

// The test binary's federation CA, created once: every node test runs with
// mutual TLS and certificates of this CA.
var (
	testCAOnce sync.Once
	testCA     *tlsutil.CA
	testCAPEM  []byte
)

func theTestCA() *tlsutil.CA {
	testCAOnce.Do(func() {
		certPEM, keyPEM, err := tlsutil.CreateCA(tlsutil.CAOptions{Name: "node-tests"})
		if err != nil {
			panic(err)
		}
		if testCA, err = tlsutil.ParseCA(certPEM, keyPEM); err != nil {
			panic(err)
		}
		testCAPEM = certPEM
	})
	return testCA
}

// provisionTLS points cfg's [tls] at files in the directory DATA_DIR.tls
// for cfg's current area and name, creating the CA copy and the
// certificate when missing. A config with insecure_plaintext, or whose
// certificate a test placed elsewhere, is left alone.
func provisionTLS(cfg *Config) {
	if cfg.TLS.InsecurePlaintext {
		return
	}
	dir := filepath.Clean(cfg.DataDir) + ".tls" // beside the data dir, not in it
	if cfg.TLS.CertFile != "" && !strings.HasSuffix(filepath.Dir(cfg.TLS.CertFile), ".tls") {
		return // the test's own files, not provisioned here
	}
	base := filepath.Join(dir, string(cfg.Area)+"-"+cfg.Name)
	cfg.TLS.CAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile = filepath.Join(dir, "ca.pem"), base+".pem", base+"-key.pem"
	if err := os.MkdirAll(dir, 0o750); err != nil {
		panic(err)
	}
	ca := theTestCA()
	if err := tlsutil.WriteNewFile(cfg.TLS.CAFile, testCAPEM, tlsutil.CertFileMode); err != nil && !errors.Is(err, fs.ErrExist) {
		panic(err)
	}
	if _, err := os.Stat(cfg.TLS.CertFile); err == nil {
		return
	}
	certPEM, keyPEM, err := tlsutil.CreateCert(ca, tlsutil.CertOptions{Area: cfg.Area, Server: cfg.Name, Hosts: []string{"127.0.0.1"}})
	if err != nil {
		panic(err)
	}
	if err := tlsutil.WriteKeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile, certPEM, keyPEM); err != nil {
		panic(err)
	}
}

// testHTTPClient returns an HTTP client that trusts the test CA, for the
// API of a node started with provisionTLS (HTTPURL is https://).
func testHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(theTestCA().Cert)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func raftAddress(a net.Addr) raft.ServerAddress { return raft.ServerAddress(a.String()) }

// lockedBuilder is a strings.Builder safe for concurrent use.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestLogger returns a debug-level text logger and a function that
// returns what it logged so far.
func newTestLogger() (*slog.Logger, func() string) {
	b := &lockedBuilder{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b.String
}

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fedsync/client"
	"fedsync/node"
)

// The run's federation PKI, made once by TestMain with the binary's own
// `fedsync tls ca create`: every agent runs mutual TLS with a certificate
// of this CA, and every CLI call and HTTP request of the tests trusts it.
var (
	pkiDir string // ca.pem, ca-key.pem, crl.pem
	caFile string
)

// setupPKI creates the CA in dir/pki, points the CLI at it through
// $FEDSYNC_CA_FILE (inherited by every process the tests start) and makes
// the tests' HTTP clients trust it.
func setupPKI(dir string) error {
	pkiDir = filepath.Join(dir, "pki")
	if out, err := exec.Command(fedsyncBin, "tls", "ca", "create", "--dir", pkiDir, "--name", "e2e").CombinedOutput(); err != nil {
		return fmt.Errorf("fedsync tls ca create: %w\n%s", err, out)
	}
	caFile = filepath.Join(pkiDir, "ca.pem")
	if err := os.Setenv(client.EnvCAFile, caFile); err != nil {
		return err
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(data)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	httpClient.Transport, writerClient.Transport = tr, tr
	return nil
}

// apiURL is the base URL of the API at addr: agents serve https.
func apiURL(addr string) string { return "https://" + addr }

// issueCert runs `fedsync tls cert create` for a server of area named
// name into a fresh directory and returns the [tls] section using it.
func issueCert(t testing.TB, area, name string) node.TLSConfig {
	t.Helper()
	out := t.TempDir()
	r := runCLI(t, "tls", "cert", "create", "--dir", pkiDir, "--out", out, "--area", area, "--name", name, "--ip", "127.0.0.1")
	if r.code != 0 {
		t.Fatalf("fedsync tls cert create:\n%s", r)
	}
	base := filepath.Join(out, area+"-"+name)
	return node.TLSConfig{CAFile: caFile, CertFile: base + ".pem", KeyFile: base + "-key.pem", CRLFile: filepath.Join(pkiDir, "crl.pem")}
}

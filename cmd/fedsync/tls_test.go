package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fedsync/node"
	"fedsync/tlsutil"
)

// TestTLSCommands walks an operator's PKI: create the CA, issue, inspect
// and revoke a certificate, and the refusals on the way.
func TestTLSCommands(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "", "tls", "ca", "create", "--dir", dir, "--name", "test-2026")
	if r.code != 0 || !strings.Contains(r.stdout, "fedsync tls cert create") {
		t.Fatalf("ca create:\n%s", r)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ca-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ca-key.pem: %v mode %v, want 0600", err, fi.Mode())
	}
	if r := runCLI(t, "", "tls", "ca", "create", "--dir", dir); r.code != exitError || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("ca create again:\n%s", r)
	}
	for _, tt := range []struct{ area, want string }{
		{"210102001002", "is a community"},
		{"219999000000", "not in the division data"},
		{"2101", "12 digits"},
	} {
		r := runCLI(t, "", "tls", "cert", "create", "--dir", dir, "--area", tt.area, "--name", "s1")
		if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("cert create --area %s: want exit 1 and %q:\n%s", tt.area, tt.want, r)
		}
	}
	if r := runCLI(t, "", "tls", "cert", "create", "--dir", dir, "--area", string(testStreet), "--name", "s1", "--ip", "hunhewan.example"); r.code != exitError || !strings.Contains(r.stderr, "use --dns") {
		t.Errorf("cert create --ip with a host name:\n%s", r)
	}
	r = runCLI(t, "", "tls", "cert", "create", "--dir", dir, "--area", string(testStreet), "--name", "s1", "--ip", "127.0.0.1", "--dns", "hunhewan.example", "--days", "30")
	if r.code != 0 || !strings.Contains(r.stdout, "fedsync://area/210102001000/server/s1") {
		t.Fatalf("cert create:\n%s", r)
	}
	cert := filepath.Join(dir, string(testStreet)+"-s1.pem")
	r = runCLI(t, "", "tls", "cert", "inspect", cert, "-o", "json")
	var info certInfo
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || r.code != 0 {
		t.Fatalf("inspect -o json: %v\n%s", err, r)
	}
	if info.Area != testStreet || info.Server != "s1" || info.Expired || len(info.Hosts) != 2 ||
		time.Until(info.NotAfter) > 31*24*time.Hour || info.Serial == "" {
		t.Errorf("inspect: %+v", info)
	}
	if r := runCLI(t, "", "tls", "cert", "inspect", cert); !strings.Contains(r.stdout, "浑河湾街道") {
		t.Errorf("inspect table:\n%s", r)
	}
	r = runCLI(t, "", "tls", "cert", "revoke", "--dir", dir, cert)
	if r.code != 0 || !strings.Contains(r.stdout, info.Serial) {
		t.Fatalf("revoke:\n%s", r)
	}
	ca, err := tlsutil.ReadRoots(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	crl, err := tlsutil.LoadCRL(filepath.Join(dir, "crl.pem"), ca)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := tlsutil.ParseSerial(info.Serial)
	if !crl.IsRevoked(serial) {
		t.Errorf("crl.pem does not revoke serial %s", info.Serial)
	}
	if r := runCLI(t, "", "tls", "cert", "revoke", "--dir", dir, "--serial", info.Serial); r.code != exitError || !strings.Contains(r.stderr, "already revoked") {
		t.Errorf("revoke twice:\n%s", r)
	}
	if r := runCLI(t, "", "tls", "cert", "revoke", "--dir", dir); r.code != exitError || !strings.Contains(r.stderr, "--serial") {
		t.Errorf("revoke without a certificate:\n%s", r)
	}
}

// TestInitRequiresTLSOrPlaintext: init without certificates and without
// the development switch refuses, saying how to make certificates.
func TestInitRequiresTLSOrPlaintext(t *testing.T) {
	r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", t.TempDir())
	if r.code != exitError || !strings.Contains(r.stderr, "fedsync tls ca create") || !strings.Contains(r.stderr, "--insecure-plaintext") {
		t.Errorf("init without TLS:\n%s", r)
	}
}

// TestAgentWithTLS initialises a server with certificates made by the CLI,
// runs it, and talks to its API over https with --ca-file; without the CA
// the client refuses the server, with a hint.
func TestAgentWithTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real node")
	}
	pki := t.TempDir()
	if r := runCLI(t, "", "tls", "ca", "create", "--dir", pki); r.code != 0 {
		t.Fatal(r)
	}
	if r := runCLI(t, "", "tls", "cert", "create", "--dir", pki, "--area", string(testStreet), "--name", "hunhewan-1", "--ip", "127.0.0.1"); r.code != 0 {
		t.Fatal(r)
	}
	dir := filepath.Join(t.TempDir(), "data")
	base := filepath.Join(pki, string(testStreet)+"-hunhewan-1")
	r := runCLI(t, "", "init", "--area", string(testStreet), "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--raft-addr", "127.0.0.1:0",
		"--tls-ca", filepath.Join(pki, "ca.pem"), "--tls-cert", base+".pem", "--tls-key", base+"-key.pem", "--tls-crl", filepath.Join(pki, "crl.pem"))
	if r.code != 0 {
		t.Fatalf("init with TLS:\n%s", r)
	}
	cfgPath := filepath.Join(dir, node.ConfigFileName)
	cfg, err := node.LoadConfig(cfgPath)
	if err != nil || cfg.Name != "hunhewan-1" || cfg.TLS.CertFile != base+".pem" {
		t.Fatalf("config: name %q tls %+v, %v; want the certificate's name", cfg.Name, cfg.TLS, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"agent", "-config", cfgPath}, strings.NewReader(""), &out, &errb) }()
	addr := waitFor(t, &out, regexp.MustCompile(`serving the API at (https://\S+)`))
	if r := runCLI(t, "", "acl", "bootstrap", "--http-addr", addr, "--ca-file", filepath.Join(pki, "ca.pem")); r.code != 0 {
		t.Errorf("acl bootstrap over https:\n%s", r)
	}
	if r := runCLI(t, "", "status", "--http-addr", addr); r.code != exitError || !strings.Contains(r.stderr, "--ca-file") {
		t.Errorf("status over https without the CA:\n%s", r)
	}
	cancel()
	<-done
	if !strings.Contains(errb.String(), "mutual TLS on") {
		t.Errorf("agent log does not say TLS is on:\n%s", errb.String())
	}
}

// testPKI returns a throwaway PKI for the test's nodes (demoConfig).
func testPKI(t *testing.T) *tlsutil.DevPKI {
	t.Helper()
	p, err := tlsutil.NewDevPKI(filepath.Join(t.TempDir(), "pki"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// withCA prepends --ca-file of pki to a command line.
func withCA(pki *tlsutil.DevPKI, args ...string) []string {
	return append([]string{"--ca-file", pki.CAFile}, args...)
}

package tlsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestPKIFiles(t *testing.T) {
	dir := t.TempDir()
	caCert, caKey := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	certPEM, keyPEM, err := CreateCA(CAOptions{Name: "files"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(caCert, caKey, certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, caKey); got != KeyFileMode {
		t.Errorf("key mode %v, want %v", got, KeyFileMode)
	}
	if got := mode(t, caCert); got&0o077 != CertFileMode&0o077 || got&0o600 != 0o600 {
		t.Errorf("cert mode %v, want %v (less umask)", got, CertFileMode)
	}
	if err := WriteKeyPair(caCert, filepath.Join(dir, "other-key.pem"), certPEM, keyPEM); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteKeyPair over an existing cert = %v, want fs.ErrExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other-key.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a refused WriteKeyPair wrote the key anyway")
	}
	if err := WriteNewFile(caKey, []byte("x"), KeyFileMode); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNewFile over an existing key = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(caKey); string(b) != string(keyPEM) {
		t.Error("a refused write changed the key file")
	}

	ca, err := ReadCA(caCert, caKey)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := ReadRoots(caCert)
	if err != nil || len(roots) != 1 || !roots[0].Equal(ca.Cert) {
		t.Fatalf("ReadRoots = %v, %v", roots, err)
	}

	srvCert, srvKey := filepath.Join(dir, "s1.pem"), filepath.Join(dir, "s1-key.pem")
	certPEM, keyPEM, err = CreateCert(ca, CertOptions{Area: street, Server: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(srvCert, srvKey, certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	pair, id, err := LoadServerCert(srvCert, srvKey)
	if err != nil || pair.Leaf == nil || id.Area != street || id.Server != "s1" {
		t.Fatalf("LoadServerCert = %+v, %v", id, err)
	}
	if _, err := ReadRoots(srvCert); !errors.Is(err, ErrConfig) {
		t.Errorf("ReadRoots(server cert) = %v, want ErrConfig", err)
	}

	crlPath := filepath.Join(dir, "crl.pem")
	for i := 0; i < 2; i++ {
		var prev *CRL
		if i > 0 {
			if prev, err = LoadCRL(crlPath, roots); err != nil {
				t.Fatal(err)
			}
		}
		pemBytes, err := RenewCRL(ca, prev)
		if err != nil {
			t.Fatal(err)
		}
		if err := ReplaceFile(crlPath, pemBytes, CertFileMode); err != nil {
			t.Fatal(err)
		}
	}
	crl, err := LoadCRL(crlPath, roots)
	if err != nil || crl.Lists()[0].Number.Int64() != 2 {
		t.Fatalf("LoadCRL after two renewals = %v, %v; want number 2", crl.Lists(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 5 {
		t.Errorf("dir holds %d files, want 5 (no temporary files left)", len(entries))
	}
}

package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File modes of the PKI files: keys are readable by their owner only.
const (
	KeyFileMode  fs.FileMode = 0o600
	CertFileMode fs.FileMode = 0o644
)

// WriteNewFile writes data to a new file at path with mode perm. It refuses
// to overwrite: if path exists the error wraps fs.ErrExist and the file is
// left as it was. The data is synced before the file is closed.
func WriteNewFile(path string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("refusing to overwrite %s: %w", path, err)
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// WriteKeyPair writes a certificate (mode 0644) and its key (mode 0600) to
// two new files. It refuses if either exists, before writing anything.
func WriteKeyPair(certPath, keyPath string, certPEM, keyPEM []byte) error {
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("refusing to overwrite %s: %w", p, fs.ErrExist)
		}
	}
	if err := WriteNewFile(keyPath, keyPEM, KeyFileMode); err != nil {
		return err
	}
	if err := WriteNewFile(certPath, certPEM, CertFileMode); err != nil {
		_ = os.Remove(keyPath)
		return err
	}
	return nil
}

// ReplaceFile atomically replaces path with data (a temporary file in the
// same directory, synced, then renamed over path). It is for files that
// change in place, such as crl.pem after a revocation.
func ReplaceFile(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if werr == nil {
		werr = f.Chmod(perm)
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", path, werr)
	}
	return nil
}

// ReadCA reads a signing CA from its certificate and key files.
func ReadCA(certPath, keyPath string) (*CA, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	ca, err := ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	return ca, nil
}

// ReadRoots reads the trusted CA certificates (ca.pem: one CA, or the old
// and the new one during a rotation). Every certificate must be a CA.
func ReadRoots(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA certificates: %w", err)
	}
	certs, err := ParseCerts(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range certs {
		if !c.IsCA {
			return nil, fmt.Errorf("%w: %s: %q is not a CA certificate", ErrConfig, path, c.Subject.CommonName)
		}
	}
	return certs, nil
}

// LoadServerCert reads a server's certificate and key files and returns
// them as a tls.Certificate (Leaf set) with the identity they carry.
func LoadServerCert(certPath, keyPath string) (tls.Certificate, Identity, error) {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, Identity{}, fmt.Errorf("load server certificate: %w", err)
	}
	id, err := IdentityOf(pair.Leaf)
	if err != nil {
		return tls.Certificate{}, Identity{}, fmt.Errorf("%s: %w", certPath, err)
	}
	return pair, id, nil
}

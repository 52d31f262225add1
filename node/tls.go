package node

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"fedsync/area"
	"fedsync/tlsutil"
)

// TLSConfig is the [tls] section: the files of this server's place in the
// federation's PKI (tlsutil/README.md), or the explicit development switch
// that turns mutual TLS off. Exactly one of the two must be given.
//
// With TLS, every server-to-server connection (sync links, raft) is mutual
// TLS with certificates of the federation CA, and the HTTP API is served
// over HTTPS with the same certificate. Relative paths are relative to the
// config file's directory.
type TLSConfig struct {
	// CAFile is the federation CA certificate(s), ca.pem.
	CAFile string `toml:"ca_file,omitempty"`
	// CertFile and KeyFile are this server's certificate and key, made by
	// `fedsync tls cert create --area AREA --name NAME`: the certificate's
	// area must be the node's area and its name the server's name.
	CertFile string `toml:"cert_file,omitempty"`
	KeyFile  string `toml:"key_file,omitempty"`
	// CRLFile is the federation's revocation list, crl.pem. Optional. The
	// file is checked for changes at every handshake and reloaded, so a
	// revocation applies to the next connection without a restart; a list
	// older than the loaded one (a rollback) is refused and the loaded one
	// kept.
	CRLFile string `toml:"crl_file,omitempty"`
	// InsecurePlaintext turns TLS off: links, raft and the API speak plain
	// text, anyone who can reach the ports can send as any area. For
	// development only; the server logs a warning at start.
	InsecurePlaintext bool `toml:"insecure_plaintext,omitempty"`
}

// TLSHelp tells an operator how to give a server its TLS files or turn TLS
// off; configuration errors about [tls] end with it. One line, as config
// problems are listed one per line.
const TLSHelp = "create the federation CA once with `fedsync tls ca create` and this server's certificate with " +
	"`fedsync tls cert create --area AREA --name NAME`, then set ca_file, cert_file, key_file (and crl_file) in the [tls] section " +
	"(fedsync init --tls-ca, --tls-cert, --tls-key, --tls-crl); or, for development only, set insecure_plaintext = true in [tls] " +
	"(fedsync init --insecure-plaintext)"

// resolve makes relative paths relative to dir (the config file's).
func (t *TLSConfig) resolve(dir string) {
	for _, p := range []*string{&t.CAFile, &t.CertFile, &t.KeyFile, &t.CRLFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// validate checks the section for a server name of area a: either the
// files, which must load and name a and name, or the development switch.
func (t TLSConfig) validate(a area.Code, name string) error {
	files := t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.CRLFile != ""
	switch {
	case t.InsecurePlaintext && files:
		return fmt.Errorf("tls: insecure_plaintext is set together with TLS files; remove one or the other")
	case t.InsecurePlaintext:
		return nil
	case !files:
		return fmt.Errorf("tls: no certificates configured and insecure_plaintext is not set; %s", TLSHelp)
	}
	var missing []string
	for _, f := range []struct{ key, path string }{{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
		if f.path == "" {
			missing = append(missing, f.key)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("tls: %v required; %s", missing, TLSHelp)
	}
	m, err := loadTLS(t, nil)
	if err != nil {
		return err
	}
	return m.check(a, name)
}

// tlsMaterial is a server's loaded PKI files: the roots, its certificate
// and identity, and the current CRL, reloaded when its file changes.
type tlsMaterial struct {
	opts    tlsutil.Options // Roots and Cert; CRL is currentCRL
	id      tlsutil.Identity
	crlPath string
	log     *slog.Logger

	peer *http.Transport // https to the node's other servers' APIs (peerTransport)

	crl    atomic.Pointer[tlsutil.CRL]
	mu     sync.Mutex  // guards crlStat and serialises reloads
	crlFI  os.FileInfo // of the loaded crl file
	warned atomic.Bool // a reload error was logged for the current file
}

// loadTLS reads the files of t. log may be nil (validation).
func loadTLS(t TLSConfig, log *slog.Logger) (*tlsMaterial, error) {
	roots, err := tlsutil.ReadRoots(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls: ca_file: %w", err)
	}
	cert, id, err := tlsutil.LoadServerCert(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: cert_file/key_file: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &tlsMaterial{opts: tlsutil.Options{Roots: roots, Cert: cert}, id: id, crlPath: t.CRLFile, log: log}
	m.opts.CRL = m.currentCRL
	if t.CRLFile != "" {
		fi, err := os.Stat(t.CRLFile)
		if err != nil {
			return nil, fmt.Errorf("tls: crl_file: %w", err)
		}
		crl, err := tlsutil.LoadCRL(t.CRLFile, roots)
		if err != nil {
			return nil, fmt.Errorf("tls: crl_file: %w", err)
		}
		m.crl.Store(crl)
		m.crlFI = fi
	}
	if _, err := m.opts.Validate(); err != nil {
		return nil, fmt.Errorf("tls: cert_file %s: %w", t.CertFile, err)
	}
	return m, nil
}

// check requires the certificate to name the node's area and the server's
// name: the area is the identity peers check; the name is the raft server
// ID the node's other servers know it by.
func (m *tlsMaterial) check(a area.Code, name string) error {
	if m.id.Area != a {
		return fmt.Errorf("tls: cert_file is the certificate of %s for area %s, but this node serves %s; issue one with `fedsync tls cert create --area %s --name %s`",
			m.id, m.id.Area, a, a, nameOr(name))
	}
	if name != "" && m.id.Server != name {
		return fmt.Errorf("tls: cert_file names server %q, but this server's name is %q; set name = %q (the name is the server's identity in raft and in its certificate) or issue a certificate with --name %s",
			m.id.Server, name, m.id.Server, name)
	}
	return nil
}

func nameOr(name string) string {
	if name == "" {
		return "NAME"
	}
	return name
}

// currentCRL returns the CRL to check a handshake against, reloading the
// file first when it changed since it was loaded. A file that fails to
// load or rolls the list back is logged once and the loaded list kept.
func (m *tlsMaterial) currentCRL() *tlsutil.CRL {
	if m.crlPath == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	fi, err := os.Stat(m.crlPath)
	if err == nil && m.crlFI != nil && os.SameFile(fi, m.crlFI) && fi.ModTime().Equal(m.crlFI.ModTime()) && fi.Size() == m.crlFI.Size() {
		return m.crl.Load()
	}
	if err == nil {
		err = m.reload(fi)
	}
	if err != nil && !m.warned.Swap(true) {
		m.log.Error("crl_file not reloaded; the loaded revocation list stays in force", "file", m.crlPath, "err", err)
	}
	return m.crl.Load()
}

// reload loads the changed CRL file described by fi.
func (m *tlsMaterial) reload(fi os.FileInfo) error {
	crl, err := tlsutil.LoadCRL(m.crlPath, m.opts.Roots)
	if err == nil {
		err = crl.Follows(m.crl.Load())
	}
	if err != nil {
		m.crlFI = fi // do not retry the same bad file at every handshake
		return err
	}
	m.crl.Store(crl)
	m.crlFI = fi
	m.warned.Store(false)
	m.log.Info("revocation list reloaded", "file", m.crlPath, "revoked", revokedCount(crl))
	return nil
}

func revokedCount(c *tlsutil.CRL) int {
	n := 0
	for _, l := range c.Lists() {
		n += len(l.RevokedCertificateEntries)
	}
	return n
}

// revalidate refuses a peer whose certificate the current CRL revokes:
// links opened before a revocation end at their next batch or ping.
func (m *tlsMaterial) revalidate(peer tlsutil.Identity) error {
	if m.currentCRL().IsRevoked(peer.Serial) {
		return fmt.Errorf("%w: certificate %s serial %s was revoked after the link opened", tlsutil.ErrRevoked, peer, tlsutil.FormatSerial(peer.Serial))
	}
	return nil
}

// options returns the tlsutil options of one kind of connection.
func (m *tlsMaterial) options(expect area.Code, authorize func(tlsutil.Identity) error) tlsutil.Options {
	o := m.opts
	o.ExpectArea, o.Authorize = expect, authorize
	return o
}

// httpServer returns the API's TLS config: this server's certificate;
// callers need not present one (tokens authenticate people), and a server
// that does (a federation keyring change pushed to this one) has it fully
// verified, revocation included.
func (m *tlsMaterial) httpServer() *tls.Config {
	cfg, err := tlsutil.APIServerConfig(m.options("", nil))
	if err != nil { // unreachable: the options were validated at load
		m.log.Error("api tls config", "err", err)
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{m.opts.Cert}}
	}
	return cfg
}

// warnExpiry logs a warning when the certificate or the CRL needs renewing
// within 30 days.
func (m *tlsMaterial) warnExpiry(now time.Time) {
	soon := now.Add(30 * 24 * time.Hour)
	if m.id.NotAfter.Before(soon) {
		m.log.Warn("this server's certificate expires soon; issue a new one with `fedsync tls cert create`", "not_after", m.id.NotAfter)
	}
	if nu := m.crl.Load().NextUpdate(); !nu.IsZero() && nu.Before(soon) {
		m.log.Warn("the revocation list is due for renewal; connections are still checked against it", "next_update", nu)
	}
}

// setupTLS loads the node's TLS files, or warns that it runs in plain text.
func (n *Node) setupTLS() error {
	if n.cfg.TLS.InsecurePlaintext {
		n.log.Warn("WARNING: TLS is off (insecure_plaintext = true): sync links, raft and the API are plain text and unauthenticated; anyone who reaches the ports can send data as any area. For development only.")
		return nil
	}
	m, err := loadTLS(n.cfg.TLS, n.log.With("component", "tls"))
	if err != nil {
		return err
	}
	if err := m.check(n.cfg.Area, n.cfg.Name); err != nil {
		return err
	}
	m.warnExpiry(time.Now())
	if err := m.setupPeer(n.cfg.Area); err != nil {
		return err
	}
	n.tls = m
	n.log.Info("mutual TLS on", "identity", m.id.URI(), "serial", tlsutil.FormatSerial(m.id.Serial), "not_after", m.id.NotAfter, "crl", m.crlPath != "")
	return nil
}

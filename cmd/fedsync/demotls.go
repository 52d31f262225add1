package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"fedsync/area"
	"fedsync/client"
	"fedsync/node"
	"fedsync/tlsutil"
)

// demoPKI returns the demo's throwaway PKI in dir/pki: created on the first
// run, reused when a kept demo directory already holds one.
func demoPKI(dir string) (*tlsutil.DevPKI, error) {
	pdir := filepath.Join(dir, "pki")
	p := &tlsutil.DevPKI{Dir: pdir, CAFile: filepath.Join(pdir, "ca.pem"), CRLFile: filepath.Join(pdir, "crl.pem")}
	if _, err := os.Stat(p.CAFile); errors.Is(err, fs.ErrNotExist) {
		p, err := tlsutil.NewDevPKI(pdir, "demo")
		if err != nil {
			return nil, fmt.Errorf("demo pki: %w", err)
		}
		return p, nil
	}
	ca, err := tlsutil.ReadCA(p.CAFile, filepath.Join(pdir, "ca-key.pem"))
	if err != nil {
		return nil, fmt.Errorf("demo pki: %w", err)
	}
	p.CA = ca
	return p, nil
}

// demoTLS returns the [tls] section of a demo server of code, issuing its
// certificate (for 127.0.0.1 and localhost) unless an earlier run did.
func demoTLS(p *tlsutil.DevPKI, code area.Code, name string) (node.TLSConfig, error) {
	base := filepath.Join(p.Dir, string(code)+"-"+name)
	files := tlsutil.ServerFiles{CertFile: base + ".pem", KeyFile: base + "-key.pem"}
	if _, err := os.Stat(files.CertFile); errors.Is(err, fs.ErrNotExist) {
		if files, err = p.Issue(code, name, "127.0.0.1", "localhost"); err != nil {
			return node.TLSConfig{}, fmt.Errorf("demo certificate of %s: %w", code, err)
		}
	}
	return node.TLSConfig{CAFile: p.CAFile, CertFile: files.CertFile, KeyFile: files.KeyFile, CRLFile: p.CRLFile}, nil
}

// demoCA is the client option that trusts the demo's CA (the nodes' APIs
// serve https).
func demoCA(p *tlsutil.DevPKI) client.Option { return client.WithCAFile(p.CAFile) }

// tlsNote says that the demo runs with mutual TLS and where its PKI is.
func (a *app) tlsNote(p *tlsutil.DevPKI) {
	fmt.Fprintf(a.stdout, "Mutual TLS is on: a throwaway CA and one certificate per server in %s;\n"+
		"every sync link and raft connection is mutual TLS, and the APIs serve https.\n", p.Dir)
}

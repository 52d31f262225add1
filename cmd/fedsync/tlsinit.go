package main

import (
	"path/filepath"

	"github.com/spf13/pflag"

	"fedsync/node"
)

// addInitTLSFlags adds init's [tls] flags.
func addInitTLSFlags(fl *pflag.FlagSet, t *node.TLSConfig) {
	fl.StringVar(&t.CAFile, "tls-ca", "", "federation CA certificate `FILE` (ca.pem)")
	fl.StringVar(&t.CertFile, "tls-cert", "", "this server's certificate `FILE` (fedsync tls cert create); its name becomes the server's name")
	fl.StringVar(&t.KeyFile, "tls-key", "", "this server's key `FILE`")
	fl.StringVar(&t.CRLFile, "tls-crl", "", "revocation list `FILE` (crl.pem), reloaded when it changes")
	fl.BoolVar(&t.InsecurePlaintext, "insecure-plaintext", false, "no TLS: plain-text links, raft and API (development only)")
}

// initTLS makes the [tls] paths absolute and, when no --name was given,
// takes the server's name from its certificate (they must agree).
func initTLS(f *initFlags) error {
	for _, p := range []*string{&f.tls.CAFile, &f.tls.CertFile, &f.tls.KeyFile, &f.tls.CRLFile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return usagef("tls file %s: %v", *p, err)
		}
		*p = abs
	}
	if f.name == "" && f.tls.CertFile != "" {
		if id, _, err := inspectFile(f.tls.CertFile); err == nil {
			f.name = id.Server
		}
	}
	return nil
}

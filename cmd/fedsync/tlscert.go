package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/tlsutil"
)

func newTLSCertRevokeCmd(a *app) *cobra.Command {
	var dir, serial, reason string
	cmd := &cobra.Command{
		Use:   "revoke FILE | --serial HEX",
		Short: "Revoke a certificate: add it to the CA's crl.pem",
		Long: `Revoke a server's certificate, given as its file or its serial (as
` + "`fedsync tls cert inspect`" + ` prints it), by adding it to DIR/crl.pem, signed
by the CA in DIR under the next list number. Then copy crl.pem to every
server: each reloads it at its next handshake and refuses the certificate from
then on (first to the revoked server's parent and its own node). Servers
refuse a crl.pem older than the one they hold.

Reasons: ` + strings.Join([]string{"unspecified", "key-compromise", "ca-compromise", "affiliation-changed", "superseded", "cessation-of-operation"}, ", ") + `.`,
		Example: `  fedsync tls cert revoke --dir /etc/fedsync/pki 210102001000-hunhewan-1.pem
  fedsync tls cert revoke --dir /etc/fedsync/pki --serial 3f1c0a... --reason superseded`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			n, err := revokeSerial(files, serial)
			if err != nil {
				return err
			}
			r, err := tlsutil.ParseReason(reason)
			if err != nil {
				return usagef("--reason: %v", err)
			}
			p := pkiPaths{dir}
			ca, err := tlsutil.ReadCA(p.ca(), p.caKey())
			if err != nil {
				return err
			}
			prev, err := tlsutil.LoadCRL(p.crl(), []*x509.Certificate{ca.Cert})
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			next, err := tlsutil.Revoke(ca, prev, n, r)
			if err != nil {
				return err
			}
			if err := tlsutil.ReplaceFile(p.crl(), next, tlsutil.CertFileMode); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Revoked serial %s (%s) in %s.\nNext: copy %s to every server; each applies it at its next connection.\n",
				tlsutil.FormatSerial(n), r, p.crl(), p.crl())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", ".", "`DIR` of the CA (ca.pem, ca-key.pem, crl.pem)")
	fl.StringVar(&serial, "serial", "", "serial number in `HEX` of the certificate to revoke")
	fl.StringVar(&reason, "reason", "key-compromise", "revocation `REASON`")
	return cmd
}

// revokeSerial returns the serial to revoke: the certificate file's or
// --serial, exactly one of them.
func revokeSerial(files []string, serial string) (*big.Int, error) {
	switch {
	case len(files) == 1 && serial != "":
		return nil, usagef("give the certificate FILE or --serial, not both")
	case len(files) == 1:
		id, _, err := inspectFile(files[0])
		if err != nil {
			return nil, err
		}
		return id.Serial, nil
	case serial != "":
		n, err := tlsutil.ParseSerial(serial)
		if err != nil {
			return nil, usagef("--serial: %v", err)
		}
		return n, nil
	}
	return nil, usagef("give the certificate FILE to revoke, or --serial HEX")
}

// certInfo is what `tls cert inspect` shows.
type certInfo struct {
	Identity  string    `json:"identity"`
	Area      area.Code `json:"area"`
	AreaName  string    `json:"area_name"`
	Level     string    `json:"level"`
	Server    string    `json:"server"`
	Serial    string    `json:"serial"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Expired   bool      `json:"expired"`
	Hosts     []string  `json:"hosts,omitempty"`
}

// inspectFile reads the first certificate of a PEM file and its identity.
func inspectFile(path string) (tlsutil.Identity, *x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return tlsutil.Identity{}, nil, err
	}
	certs, err := tlsutil.ParseCerts(data)
	if err != nil {
		return tlsutil.Identity{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	id, err := tlsutil.IdentityOf(certs[0])
	if err != nil {
		return tlsutil.Identity{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	return id, certs[0], nil
}

func newTLSCertInspectCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show a certificate's area, server name, serial and validity",
		Long: `Show what a server certificate says: its identity (area and server name),
serial (for revoke --serial), issuer, validity and the host names and IP
addresses HTTPS clients may reach it at.`,
		Example: "  fedsync tls cert inspect /etc/fedsync/pki/210102001000-hunhewan-1.pem\n  fedsync tls cert inspect server.pem -o json",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, files []string) error {
			id, cert, err := inspectFile(files[0])
			if err != nil {
				return err
			}
			info := certInfo{Identity: id.URI(), Area: id.Area, AreaName: area.Name(id.Area), Level: id.Area.Level().String(),
				Server: id.Server, Serial: tlsutil.FormatSerial(id.Serial), Issuer: cert.Issuer.CommonName,
				NotBefore: cert.NotBefore.UTC(), NotAfter: cert.NotAfter.UTC(), Expired: time.Now().After(cert.NotAfter)}
			info.Hosts = append(info.Hosts, cert.DNSNames...)
			for _, ip := range cert.IPAddresses {
				info.Hosts = append(info.Hosts, ip.String())
			}
			if a.json() {
				return printJSON(a.stdout, info)
			}
			t := newTable("FIELD", "VALUE")
			t.add("identity", info.Identity)
			t.add("area", fmt.Sprintf("%s %s (%s)", info.Area, info.AreaName, info.Level))
			t.add("server", info.Server)
			t.add("serial", info.Serial)
			t.add("issuer", info.Issuer)
			t.add("valid", fmt.Sprintf("%s to %s", info.NotBefore.Format(time.RFC3339), info.NotAfter.Format(time.RFC3339)))
			if info.Expired {
				t.add("status", "EXPIRED")
			}
			t.add("hosts", strings.Join(info.Hosts, ", "))
			return t.write(a.stdout)
		},
	}
}

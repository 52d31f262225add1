package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"fedsync/area"
	"fedsync/tlsutil"
)

const tlsLong = `Manage the federation's PKI: the CA, the servers' certificates and the
revocation list (crl.pem). Every server talks to other servers (sync links,
raft) over mutual TLS with a certificate of the federation CA; the area
written into a certificate is the server's identity, and a receiver accepts
entries only for origins inside the sender's certificate's area.

All of this runs on the CA machine, which keeps ca-key.pem (offline). Copy
ca.pem and crl.pem to every server, and each server's certificate and key to
that server only; then set the [tls] section of its config (fedsync init
--tls-ca/--tls-cert/--tls-key). A revocation takes effect when the new
crl.pem reaches the servers: they reload it without a restart.`

const tlsExample = `  fedsync tls ca create --dir /etc/fedsync/pki --name liaoning-2026    # once: ca.pem, ca-key.pem, crl.pem
  # a certificate per server: the county 和平区 and one of its streets
  fedsync tls cert create --dir /etc/fedsync/pki --area 210102000000 --name heping-1 --ip 10.0.3.7
  fedsync tls cert create --dir /etc/fedsync/pki --area 210102001000 --name hunhewan-1 --dns hunhewan.example.gov
  fedsync tls cert inspect /etc/fedsync/pki/210102001000-hunhewan-1.pem
  fedsync tls cert revoke --dir /etc/fedsync/pki /etc/fedsync/pki/210102001000-hunhewan-1.pem`

// newTLSCmd builds `fedsync tls`.
func newTLSCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "tls",
		Short:   "Create the federation CA, issue, inspect and revoke server certificates",
		GroupID: "server",
		Long:    tlsLong,
		Example: tlsExample,
		Args:    args(cobra.NoArgs),
	}
	ca := &cobra.Command{
		Use:     "ca",
		Short:   "The federation CA",
		Example: "  fedsync tls ca create --dir /etc/fedsync/pki --name liaoning-2026",
		Args:    args(cobra.NoArgs),
	}
	ca.AddCommand(newTLSCACreateCmd(a))
	cert := &cobra.Command{
		Use:     "cert",
		Short:   "Server certificates",
		Example: "  fedsync tls cert create --area 210102001000 --name hunhewan-1\n  fedsync tls cert inspect 210102001000-hunhewan-1.pem",
		Args:    args(cobra.NoArgs),
	}
	cert.AddCommand(newTLSCertCreateCmd(a), newTLSCertRevokeCmd(a), newTLSCertInspectCmd(a))
	cmd.AddCommand(ca, cert)
	return cmd
}

// pkiPaths are the CA machine's files in --dir.
type pkiPaths struct{ dir string }

func (p pkiPaths) ca() string    { return filepath.Join(p.dir, "ca.pem") }
func (p pkiPaths) caKey() string { return filepath.Join(p.dir, "ca-key.pem") }
func (p pkiPaths) crl() string   { return filepath.Join(p.dir, "crl.pem") }

func newTLSCACreateCmd(a *app) *cobra.Command {
	var dir, name string
	var days int
	cmd := &cobra.Command{
		Use:   "create [--dir DIR] [--name NAME]",
		Short: "Create the federation CA: ca.pem, ca-key.pem (0600) and an empty crl.pem",
		Long: `Create the federation CA in DIR: its certificate ca.pem (copy it to every
server), its private key ca-key.pem (mode 0600: keep it on this machine,
offline, and back it up), and crl.pem, the first, empty revocation list
(copy it to every server). Existing files are never overwritten.

The name tells CAs apart in a rotation: use a new one for each CA.`,
		Example: "  fedsync tls ca create --dir /etc/fedsync/pki --name liaoning-2026",
		Args:    args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := pkiPaths{dir}
			certPEM, keyPEM, err := tlsutil.CreateCA(tlsutil.CAOptions{Name: name, Validity: time.Duration(days) * 24 * time.Hour})
			if err != nil {
				return usagef("%v", err)
			}
			ca, err := tlsutil.ParseCA(certPEM, keyPEM)
			if err != nil {
				return err
			}
			crl, err := tlsutil.RenewCRL(ca, nil)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return fmt.Errorf("--dir: %w", err)
			}
			if err := tlsutil.WriteKeyPair(p.ca(), p.caKey(), certPEM, keyPEM); errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w; a CA exists there already: use another --dir", err)
			} else if err != nil {
				return err
			}
			if err := tlsutil.WriteNewFile(p.crl(), crl, tlsutil.CertFileMode); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Created the federation CA %q, valid until %s:\n  %s\n  %s (private: keep it offline)\n  %s (revocation list)\n",
				ca.Cert.Subject.CommonName, ca.Cert.NotAfter.Format(time.DateOnly), p.ca(), p.caKey(), p.crl())
			fmt.Fprintf(a.stdout, "\nNext: a certificate per server:\n  fedsync tls cert create --dir %s --area AREA --name NAME\n", dir)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dir, "dir", ".", "`DIR` to write ca.pem, ca-key.pem and crl.pem into")
	fl.StringVar(&name, "name", "federation", "CA `NAME`, 1 to 32 characters; a new one for each CA")
	fl.IntVar(&days, "days", 3650, "validity in `DAYS`")
	return cmd
}

func newTLSCertCreateCmd(a *app) *cobra.Command {
	var f struct {
		dir, outDir, area, name string
		days                    int
		ips, dns                []string
	}
	cmd := &cobra.Command{
		Use:   "create --area CODE --name SERVER [--ip IP]... [--dns NAME]...",
		Short: "Issue a server's certificate for an area",
		Long: `Issue the certificate and key of one server, signed by the CA in --dir.
The area (a street, county, city or the province; not a community) and the
server name are written into the certificate: they are the server's identity,
and must equal the area and name in the server's config.

--ip and --dns add the addresses HTTPS clients (the CLI with --ca-file,
curl --cacert) use to reach the server's API; servers never check them on
each other. Writes OUT/AREA-SERVER.pem and OUT/AREA-SERVER-key.pem (0600);
copy both to the server only, then delete the key here.`,
		Example: `  fedsync tls cert create --dir /etc/fedsync/pki --area 210102001000 --name hunhewan-1 --ip 10.0.5.20
  fedsync tls cert create --area 210102000000 --name heping-2 --dns heping-2.example.gov --days 180`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			code, err := nodeArea(f.area)
			if err != nil {
				return usagef("--area: %v", err)
			}
			if err := tlsutil.ValidServerName(f.name); err != nil {
				return usagef("--name: %v", err)
			}
			for _, ip := range f.ips {
				if net.ParseIP(ip) == nil {
					return usagef("--ip %q is not an IP address (use --dns for a host name)", ip)
				}
			}
			p := pkiPaths{f.dir}
			ca, err := tlsutil.ReadCA(p.ca(), p.caKey())
			if err != nil {
				return fmt.Errorf("%w\n(create the CA first: fedsync tls ca create --dir %s)", err, f.dir)
			}
			certPEM, keyPEM, err := tlsutil.CreateCert(ca, tlsutil.CertOptions{Area: code, Server: f.name,
				Hosts: append(append([]string(nil), f.ips...), f.dns...), Validity: time.Duration(f.days) * 24 * time.Hour})
			if err != nil {
				return usagef("%v", err)
			}
			out := f.outDir
			if out == "" {
				out = f.dir
			}
			if err := os.MkdirAll(out, 0o700); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			base := filepath.Join(out, string(code)+"-"+f.name)
			if err := tlsutil.WriteKeyPair(base+".pem", base+"-key.pem", certPEM, keyPEM); err != nil {
				return err
			}
			id, _, err := inspectFile(base + ".pem")
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Issued %s for %s (%s), serial %s, valid until %s:\n  %s\n  %s (private: copy to the server, then delete here)\n",
				id.URI(), area.Name(code), code, tlsutil.FormatSerial(id.Serial), id.NotAfter.Format(time.DateOnly), base+".pem", base+"-key.pem")
			fmt.Fprintf(a.stdout, "\nOn the server, in its config's [tls] section (or fedsync init --tls-ca/--tls-cert/--tls-key):\n  name = %q\n  [tls]\n  ca_file = \"ca.pem\"\n  cert_file = %q\n  key_file = %q\n  crl_file = \"crl.pem\"\n",
				f.name, filepath.Base(base+".pem"), filepath.Base(base+"-key.pem"))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", ".", "`DIR` of the CA (ca.pem, ca-key.pem)")
	fl.StringVar(&f.outDir, "out", "", "`DIR` to write the certificate and key into (default --dir)")
	fl.StringVar(&f.area, "area", "", "12-digit `CODE` of the server's node")
	fl.StringVar(&f.name, "name", "", "the server's `NAME` (its config's name)")
	fl.IntVar(&f.days, "days", 365, "validity in `DAYS`")
	fl.StringArrayVar(&f.ips, "ip", nil, "`IP` address clients reach the API at; repeat")
	fl.StringArrayVar(&f.dns, "dns", nil, "DNS `NAME` clients reach the API at; repeat")
	_ = cmd.MarkFlagRequired("area")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

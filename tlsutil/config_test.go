package tlsutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fedsync/area"
)

// side is what one end of a test handshake saw.
type side struct {
	id  Identity
	err error
}

// handshake connects a client with cliCfg to a server with srvCfg over
// loopback TCP and returns what each side saw. The server writes one byte
// after its handshake; the client reads it, so a refusal by the server
// reaches the client too.
func handshake(t *testing.T, srvCfg, cliCfg *tls.Config) (srv, cli side) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan side, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- side{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(conn, srvCfg)
		id, err := Handshake(ctx, tc)
		if err == nil {
			_, err = tc.Write([]byte{1})
			_, _ = io.Copy(io.Discard, tc) // until the client closes
		}
		done <- side{id: id, err: err}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(conn, cliCfg)
	cli.id, cli.err = Handshake(ctx, tc)
	if cli.err == nil {
		_, cli.err = io.ReadFull(tc, make([]byte, 1))
	}
	conn.Close()
	return <-done, cli
}

// fixture is a CA, a parent server and a child server.
type fixture struct {
	ca         *CA
	parent     tls.Certificate // heping/p1
	child      tls.Certificate // street/c1
	crl        atomic.Pointer[CRL]
	srvO, cliO Options
	// rawSrv and rawCli make that side present its certificate with a bare
	// config, skipping the start-up check of its own certificate, so that
	// the peer's rules are what refuse it.
	rawSrv, rawCli bool
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{ca: newCA(t, "test")}
	f.parent = issue(t, f.ca, CertOptions{Area: heping, Server: "p1"})
	f.child = issue(t, f.ca, CertOptions{Area: street, Server: "c1"})
	roots := []*x509.Certificate{f.ca.Cert}
	f.srvO = Options{Roots: roots, Cert: f.parent, CRL: f.crl.Load, Now: at(t0)}
	f.cliO = Options{Roots: roots, Cert: f.child, CRL: f.crl.Load, ExpectArea: heping, Now: at(t0)}
	return f
}

func (f *fixture) run(t *testing.T) (srv, cli side) {
	t.Helper()
	return handshake(t, f.serverConfig(t), f.clientConfig(t))
}

func TestHandshake(t *testing.T) {
	f := newFixture(t)
	srv, cli := f.run(t)
	if srv.err != nil || cli.err != nil {
		t.Fatalf("handshake: server %v, client %v", srv.err, cli.err)
	}
	if srv.id.Area != street || srv.id.Server != "c1" || srv.id.Serial.Cmp(f.child.Leaf.SerialNumber) != 0 {
		t.Errorf("server sees %+v, want c1 of %s", srv.id, street)
	}
	if cli.id.Area != heping || cli.id.Server != "p1" {
		t.Errorf("client sees %+v, want p1 of %s", cli.id, heping)
	}
	if err := AuthorizeSender(srv.id, heping, street); err != nil {
		t.Errorf("AuthorizeSender after handshake: %v", err)
	}
}

// TestHandshakeRefusals runs one handshake per rule. The side that applies
// the rule must fail with its sentinel (and the sentinel's words in the
// message); the other side must fail too.
func TestHandshakeRefusals(t *testing.T) {
	other := newCA(t, "other")
	tests := []struct {
		name    string
		setup   func(t *testing.T, f *fixture)
		refuser string // "server" or "client"
		want    error
	}{
		{"client cert from another CA", func(t *testing.T, f *fixture) {
			f.cliO.Cert = issue(t, other, CertOptions{Area: street, Server: "c1"})
			f.rawCli = true
		}, "server", ErrUntrusted},
		{"server cert from another CA", func(t *testing.T, f *fixture) {
			f.srvO.Cert = issue(t, other, CertOptions{Area: heping, Server: "p1"})
			f.rawSrv = true
		}, "client", ErrUntrusted},
		{"client cert expired", func(t *testing.T, f *fixture) {
			f.cliO.Cert = issue(t, f.ca, CertOptions{Area: street, Server: "c1", Now: at(t0.AddDate(-1, 0, -1))})
			f.rawCli = true
		}, "server", ErrExpired},
		{"server cert expired", func(t *testing.T, f *fixture) {
			f.srvO.Cert = issue(t, f.ca, CertOptions{Area: heping, Server: "p1", Validity: time.Hour, Now: at(t0.Add(-2 * time.Hour))})
			f.rawSrv = true
		}, "client", ErrExpired},
		{"client cert not yet valid", func(t *testing.T, f *fixture) {
			f.cliO.Cert = issue(t, f.ca, CertOptions{Area: street, Server: "c1", Now: at(t0.Add(2 * Backdate))})
			f.rawCli = true
		}, "server", ErrExpired},
		{"client cert revoked", func(t *testing.T, f *fixture) {
			f.crl.Store(revoke(t, f.ca, f.child))
			f.rawCli = true
		}, "server", ErrRevoked},
		{"server cert revoked", func(t *testing.T, f *fixture) {
			f.crl.Store(revoke(t, f.ca, f.parent))
			f.rawSrv = true
		}, "client", ErrRevoked},
		{"client cert without URI SAN", func(t *testing.T, f *fixture) {
			f.cliO.Cert = custom(t, f.ca, street, "c1", func(c *x509.Certificate) { c.URIs = nil })
			f.rawCli = true
		}, "server", ErrNoIdentity},
		{"server cert without URI SAN", func(t *testing.T, f *fixture) {
			f.srvO.Cert = custom(t, f.ca, heping, "p1", func(c *x509.Certificate) { c.URIs = nil })
			f.rawSrv = true
		}, "client", ErrNoIdentity},
		{"client cert with two URI SANs", func(t *testing.T, f *fixture) {
			f.cliO.Cert = custom(t, f.ca, street, "c1", func(c *x509.Certificate) { c.URIs = append(c.URIs, c.URIs[0]) })
			f.rawCli = true
		}, "server", ErrNoIdentity},
		{"client cert with a malformed area", func(t *testing.T, f *fixture) {
			f.cliO.Cert = custom(t, f.ca, street, "c1", func(c *x509.Certificate) {
				c.URIs[0] = mustURL(t, "fedsync://area/2101020010xx/server/c1")
			})
			f.rawCli = true
		}, "server", ErrNoIdentity},
		{"server cert of a community", func(t *testing.T, f *fixture) {
			f.srvO.Cert = custom(t, f.ca, heping, "p1", func(c *x509.Certificate) {
				c.URIs[0] = mustURL(t, "fedsync://area/210102001001/server/p1")
			})
			f.rawSrv = true
		}, "client", ErrNoIdentity},
		{"server of the wrong area", func(t *testing.T, f *fixture) {
			f.cliO.ExpectArea = dalian
		}, "client", ErrWrongArea},
		{"client of the wrong area", func(t *testing.T, f *fixture) {
			f.srvO.ExpectArea = heping // a raft listener of heping
		}, "server", ErrWrongArea},
		{"client refused by Authorize", func(t *testing.T, f *fixture) {
			f.srvO.Authorize = func(id Identity) error { return AuthorizeSender(id, dalian, id.Area) }
		}, "server", ErrWrongArea},
		{"client cert for server use only", func(t *testing.T, f *fixture) {
			f.cliO.Cert = custom(t, f.ca, street, "c1", func(c *x509.Certificate) {
				c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			})
			f.rawCli = true
		}, "server", ErrUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(t, f)
			srv, cli := handshake(t, f.serverConfig(t), f.clientConfig(t))
			refuser, victim := srv, cli
			if tt.refuser == "client" {
				refuser, victim = cli, srv
			}
			if !errors.Is(refuser.err, tt.want) || !strings.Contains(refuser.err.Error(), tt.want.Error()) {
				t.Errorf("%s error = %v, want %v", tt.refuser, refuser.err, tt.want)
			}
			t.Logf("%s: %v", tt.refuser, refuser.err)
			if victim.err == nil {
				t.Errorf("the other side succeeded (identity %+v), want it to fail", victim.id)
			}
		})
	}
}

// serverConfig builds the server's config, a bare one when rawSrv is set.
func (f *fixture) serverConfig(t *testing.T) *tls.Config {
	t.Helper()
	if f.rawSrv {
		return &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{f.srvO.Cert},
			ClientAuth:   tls.RequireAnyClientCert,
		}
	}
	cfg, err := ServerConfig(f.srvO)
	if err != nil {
		t.Fatalf("ServerConfig: %v", err)
	}
	return cfg
}

// clientConfig builds the client's config, a bare one when rawCli is set.
func (f *fixture) clientConfig(t *testing.T) *tls.Config {
	t.Helper()
	if f.rawCli {
		cert := f.cliO.Cert
		return &tls.Config{
			MinVersion:           tls.VersionTLS13,
			InsecureSkipVerify:   true, //nolint:gosec // a test peer presenting a bad certificate
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
		}
	}
	cfg, err := ClientConfig(f.cliO)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return cfg
}

func TestCRLReload(t *testing.T) {
	f := newFixture(t)
	if srv, cli := f.run(t); srv.err != nil || cli.err != nil {
		t.Fatalf("before revocation: server %v, client %v", srv.err, cli.err)
	}
	f.crl.Store(revoke(t, f.ca, f.child))
	f.rawCli = true // the revoked client cannot build its own config any more
	srv, _ := f.run(t)
	if !errors.Is(srv.err, ErrRevoked) {
		t.Errorf("after the CRL source changed: server %v, want ErrRevoked", srv.err)
	}
}

func TestHandshakeRefusesTLS12(t *testing.T) {
	f := newFixture(t)
	srvCfg := f.serverConfig(t)
	cliCfg := f.clientConfig(t)
	cliCfg.MinVersion, cliCfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	srv, cli := handshake(t, srvCfg, cliCfg)
	if srv.err == nil || cli.err == nil || !strings.Contains(srv.err.Error(), "version") {
		t.Errorf("TLS 1.2 client: server %v, client %v; want both to fail on the version", srv.err, cli.err)
	}
}

func TestConfigShape(t *testing.T) {
	f := newFixture(t)
	srv, err := ServerConfig(f.srvO)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ClientConfig(f.cliO)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*tls.Config{"server": srv, "client": cli} {
		if c.MinVersion != tls.VersionTLS13 || c.VerifyConnection == nil {
			t.Errorf("%s: MinVersion %x, VerifyConnection set %v", name, c.MinVersion, c.VerifyConnection != nil)
		}
	}
	if srv.ClientAuth != tls.RequireAndVerifyClientCert || srv.ClientCAs == nil || len(srv.Certificates) != 1 {
		t.Errorf("server: ClientAuth %v, ClientCAs %v, %d certificates", srv.ClientAuth, srv.ClientCAs != nil, len(srv.Certificates))
	}
	if cli.GetClientCertificate == nil {
		t.Error("client: no certificate")
	}
}

func TestValidate(t *testing.T) {
	other := newCA(t, "other")
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		want  []error
	}{
		{"no roots", func(t *testing.T, f *fixture) { f.srvO.Roots = nil }, []error{ErrConfig}},
		{"no cert", func(t *testing.T, f *fixture) { f.srvO.Cert = tls.Certificate{} }, []error{ErrConfig}},
		{"bad ExpectArea", func(t *testing.T, f *fixture) { f.srvO.ExpectArea = area.Code("210102001001") }, []error{ErrConfig}},
		{"own cert of another CA", func(t *testing.T, f *fixture) {
			f.srvO.Cert = issue(t, other, CertOptions{Area: heping, Server: "p1"})
		}, []error{ErrConfig, ErrUntrusted}},
		{"own cert expired", func(t *testing.T, f *fixture) { f.srvO.Now = at(t0.AddDate(2, 0, 0)) }, []error{ErrConfig, ErrExpired}},
		{"own cert revoked", func(t *testing.T, f *fixture) { f.crl.Store(revoke(t, f.ca, f.parent)) }, []error{ErrConfig, ErrRevoked}},
		{"own cert without identity", func(t *testing.T, f *fixture) {
			f.srvO.Cert = custom(t, f.ca, heping, "p1", func(c *x509.Certificate) { c.URIs = nil })
		}, []error{ErrConfig, ErrNoIdentity}},
		{"own cert for client use only", func(t *testing.T, f *fixture) {
			f.srvO.Cert = custom(t, f.ca, heping, "p1", func(c *x509.Certificate) {
				c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			})
		}, []error{ErrConfig, ErrUntrusted}},
	}
	for _, tt := range tests {
		f := newFixture(t)
		tt.setup(t, f)
		_, err := ServerConfig(f.srvO)
		for _, w := range tt.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: ServerConfig error = %v, want %v", tt.name, err, w)
			}
		}
	}
	f := newFixture(t)
	id, err := f.cliO.Validate()
	if err != nil || id.Area != street || id.Server != "c1" {
		t.Errorf("Validate = %+v, %v; want the own identity c1 of %s (ExpectArea is for the peer)", id, err, street)
	}
}

func TestPeerIdentityBeforeHandshake(t *testing.T) {
	if _, err := PeerIdentity(tls.ConnectionState{}); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("PeerIdentity(incomplete) = %v, want ErrNoIdentity", err)
	}
	if _, err := PeerIdentity(tls.ConnectionState{HandshakeComplete: true}); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("PeerIdentity(no certificate) = %v, want ErrNoIdentity", err)
	}
}

func TestClassify(t *testing.T) {
	plain := errors.New("boom")
	if got := classify(plain); got != plain {
		t.Errorf("classify(plain) = %v", got)
	}
	ours := fmt.Errorf("x: %w", ErrRevoked)
	if got := classify(ours); got != ours {
		t.Errorf("classify(ours) = %v, want it unchanged", got)
	}
	exp := &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}
	if got := classify(exp); !errors.Is(got, ErrExpired) {
		t.Errorf("classify(expired) = %v", got)
	}
	unk := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	if got := classify(unk); !errors.Is(got, ErrUntrusted) {
		t.Errorf("classify(unknown authority) = %v", got)
	}
}

package link

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
	"time"

	"fedsync/area"
	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// peerReceiver records the peer identity each Welcome and Submit saw.
type peerReceiver struct {
	fakeReceiver
	mu    sync.Mutex
	peers []string
}

func (p *peerReceiver) note(ctx context.Context) {
	id, ok := PeerFrom(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		p.peers = append(p.peers, id.URI())
	} else {
		p.peers = append(p.peers, "(none)")
	}
}

func (p *peerReceiver) Welcome(ctx context.Context, h proto.Hello) (proto.Welcome, error) {
	p.note(ctx)
	return p.fakeReceiver.Welcome(ctx, h)
}

func (p *peerReceiver) Submit(ctx context.Context, s area.Code, b []byte) func() proto.Ack {
	p.note(ctx)
	return p.fakeReceiver.Submit(ctx, s, b)
}

// testPKI is a CA with a certificate for the parent and one per child
// area asked for.
type testPKI struct {
	ca    *tlsutil.CA
	roots []*x509.Certificate
}

func newTestPKI(t testing.TB) *testPKI {
	certPEM, keyPEM, err := tlsutil.CreateCA(tlsutil.CAOptions{Name: "link-test"})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tlsutil.ParseCA(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{ca: ca, roots: []*x509.Certificate{ca.Cert}}
}

func (p *testPKI) cert(t testing.TB, a area.Code, server string) tls.Certificate {
	certPEM, keyPEM, err := tlsutil.CreateCert(p.ca, tlsutil.CertOptions{Area: a, Server: server})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// TestTLSLink: over mutual TLS a child's batches reach the Receiver with
// the verified peer in their ctx; a hello naming another sender than the
// certificate, a client without a certificate and a plain-text client are
// refused before the Receiver sees anything, each reported to OnRefuse
// with its rule.
func TestTLSLink(t *testing.T) {
	noLeaks(t)
	pki := newTestPKI(t)
	parent := area.Code("210102000000")
	srvCfg, err := tlsutil.ServerConfig(tlsutil.Options{Roots: pki.roots, Cert: pki.cert(t, parent, "county")})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rules []string
	recv := &peerReceiver{}
	ts := startServer(t, ServerConfig{TLS: srvCfg, OnRefuse: func(r Refusal) {
		mu.Lock()
		rules = append(rules, r.Rule)
		mu.Unlock()
	}}, recv)
	childCfg := func(cert *tls.Certificate) *tls.Config {
		c, err := tlsutil.ClientConfig(tlsutil.Options{Roots: pki.roots, Cert: *cert, Authorize: tlsutil.AuthorizeAncestor(testSender)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tlsDialer := func(cfg *tls.Config) *Dialer {
		return &Dialer{DialConn: TLSDial(TCPDialer([]string{ts.addr}, time.Second), cfg), HandshakeTimeout: 5 * time.Second}
	}
	own := pki.cert(t, testSender, "s1")
	s := dial(t, tlsDialer(childCfg(&own)))
	if err := s.Send(context.Background(), testBatch(1, 64)); err != nil {
		t.Fatal(err)
	}
	if ack, err := s.Recv(context.Background()); err != nil || ack.Ranges[0].Watermark != 1 {
		t.Fatalf("ack over TLS: %+v %v", ack, err)
	}
	_ = s.Close()
	want := "fedsync://area/" + string(testSender) + "/server/s1"
	recv.mu.Lock()
	if len(recv.peers) != 2 || recv.peers[0] != want || recv.peers[1] != want {
		t.Errorf("peers seen by Welcome and Submit: %v, want %s twice", recv.peers, want)
	}
	recv.mu.Unlock()

	// The hello names the sibling street.
	_, err = tlsDialer(childCfg(&own)).Dial(context.Background(), proto.Hello{Sender: "210102002000", Server: "s1"})
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("hello for another sender: %v, want ErrRefused", err)
	}
	// No client certificate.
	bare := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true} //nolint:gosec // the refused client
	if _, err := tlsDialer(bare).Dial(context.Background(), proto.Hello{Sender: testSender}); err == nil {
		t.Fatal("link without a client certificate opened")
	}
	// Plain text to a TLS server.
	if _, err := testDialer(ts.addr).Dial(context.Background(), proto.Hello{Sender: testSender}); err == nil {
		t.Fatal("plain-text link to a TLS server opened")
	}
	// The child refuses a parent that does not serve an ancestor.
	sibling := pki.cert(t, "210102002000", "x")
	sibCfg, _ := tlsutil.ServerConfig(tlsutil.Options{Roots: pki.roots, Cert: sibling})
	ts2 := startServer(t, ServerConfig{TLS: sibCfg}, &fakeReceiver{})
	d2 := &Dialer{DialConn: TLSDial(TCPDialer([]string{ts2.addr}, time.Second), childCfg(&own)), HandshakeTimeout: 5 * time.Second}
	if _, err := d2.Dial(context.Background(), proto.Hello{Sender: testSender}); !errors.Is(err, tlsutil.ErrWrongArea) {
		t.Fatalf("dial a parent that is not an ancestor: %v, want ErrWrongArea", err)
	}

	waitFor(t, 5*time.Second, "three refusals", func() bool { mu.Lock(); defer mu.Unlock(); return len(rules) >= 3 })
	mu.Lock()
	got := append([]string(nil), rules...)
	mu.Unlock()
	for _, r := range []string{RuleSenderArea, tlsutil.RuleNoCert, tlsutil.RuleNotTLS} {
		found := false
		for _, g := range got {
			found = found || g == r
		}
		if !found {
			t.Errorf("refusal rules %v lack %s", got, r)
		}
	}
	if sub, _ := recv.stats(); sub != 1 {
		t.Errorf("receiver got %d batches, want only the legitimate one", sub)
	}
}

// tlsPair returns the TLS configs of a county's link server and of a
// street of it dialling in.
func tlsPair(t testing.TB) (srv, cli *tls.Config) {
	pki := newTestPKI(t)
	srv, err := tlsutil.ServerConfig(tlsutil.Options{Roots: pki.roots, Cert: pki.cert(t, "210102000000", "county")})
	if err != nil {
		t.Fatal(err)
	}
	cli, err = tlsutil.ClientConfig(tlsutil.Options{Roots: pki.roots, Cert: pki.cert(t, testSender, "s1"), Authorize: tlsutil.AuthorizeAncestor(testSender)})
	if err != nil {
		t.Fatal(err)
	}
	return srv, cli
}

package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fedsync/api"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
	"fedsync/sync/link"
	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// Areas of the refusal tests.
var (
	otherStreet = area.MustParse("210102002000") // 新华街道, a sibling of testStreet
	otherCounty = area.MustParse("210103000000") // 沈河区
	testCity    = area.MustParse("210100000000")
)

// snapshot is everything a receiver's store says about its replicas: the
// watermarks and the counters of its whole area. A refused link must leave
// it exactly as it was.
type snapshot struct {
	marks    []storage.Watermark
	counters map[string]int64
}

func snap(t *testing.T, n *Node) snapshot {
	t.Helper()
	wms, err := n.store.Watermarks()
	if err != nil {
		t.Fatal(err)
	}
	for i := range wms {
		wms[i].HeardFrom = 0 // a refused hello may still count as news
	}
	c, err := n.store.AreaCounters(n.cfg.Area)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{marks: wms, counters: c}
}

func (s snapshot) equal(o snapshot) bool {
	return slices.Equal(s.marks, o.marks) && maps.Equal(s.counters, o.counters)
}

func assertUnchanged(t *testing.T, n *Node, before snapshot) {
	t.Helper()
	if after := snap(t, n); !before.equal(after) {
		t.Fatalf("%s's store changed:\nbefore %+v\nafter  %+v", n.cfg.Name, before, after)
	}
}

// refusals returns the node's fedsync_sync_refused_total (or, with raft,
// fedsync_raft_refused_total) of rule.
func refusals(t *testing.T, n *Node, raft bool, rule string) float64 {
	t.Helper()
	vec := n.metrics.refused
	if raft {
		vec = n.metrics.raftRefused
	}
	var m dto.Metric
	if err := vec.WithLabelValues(rule).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// waitRefusal waits until the counter of rule reaches want: the server
// side counts after the client has already seen the refusal.
func waitRefusal(t *testing.T, n *Node, raft bool, rule string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for refusals(t, n, raft, rule) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: refusals of rule %s = %v, want %v", n.cfg.Name, rule, refusals(t, n, raft, rule), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// attacker is a client that presents an arbitrary certificate (or none)
// and does not check the server: what a stolen or forged key could do.
func attacker(cert *tls.Certificate) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true} //nolint:gosec // the attacker's side
	c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil // offered whatever CAs the server asks for
	}
	return c
}

// certOf issues a certificate of the test CA for a and server.
func certOf(t *testing.T, a area.Code, server string, opts tlsutil.CertOptions) tls.Certificate {
	t.Helper()
	opts.Area, opts.Server = a, server
	certPEM, keyPEM, err := tlsutil.CreateCert(theTestCA(), opts)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// dialLink opens a sync link to n with the client TLS config and hello.
func dialLink(n *Node, cfg *tls.Config, h proto.Hello) (*link.Session, error) {
	d := &link.Dialer{DialConn: link.TLSDial(link.TCPDialer([]string{n.SyncAddr()}, time.Second), cfg), HandshakeTimeout: 5 * time.Second}
	s, err := d.Dial(context.Background(), h)
	if err != nil {
		return nil, err
	}
	return s.(*link.Session), nil
}

// entriesOf builds a chained log of records of origin from seq 1.
func entriesOf(t *testing.T, origin area.Code, recs ...registry.Record) []storage.Entry {
	t.Helper()
	var out []storage.Entry
	var prev [32]byte
	red, err := registry.NewRedactor(registry.DefaultPolicy(), make([]byte, registry.HashKeySize))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		body, err := red.Redact(r) // as it leaves an origin
		if err != nil {
			t.Fatal(err)
		}
		e := storage.Entry{Origin: origin, Seq: uint64(i + 1), Time: time.Now().UnixNano(), Kind: r.Kind(), ID: r.RecordID(), Op: storage.OpPut, Body: body}
		e.Chain = storage.ChainNext(prev, e)
		prev = e.Chain
		out = append(out, e)
	}
	return out
}

func testOrg(id string, community area.Code) registry.Org {
	return registry.Org{ID: id, Community: community, Name: "读书会" + id, Category: registry.CatCulture,
		Tier: registry.TierGuided, Founded: "2021-04-01", Members: 20, Status: registry.StatusActive}
}

func testRegistration(id string, county, street area.Code) registry.Registration {
	return registry.Registration{ID: id, AreaCode: county, OrgOrigin: street, Org: "org-1",
		CreditCode: "52210102MJ0000000X", Registered: "2021-09-30", Rating: registry.Rating3A}
}

// sendBatch sends one batch on s and returns its ack.
func sendBatch(t *testing.T, s *link.Session, batch []byte) proto.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ack, err := s.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

// TestStreetCertCannotSendForAnotherStreet: a street's certificate can
// neither open a link claiming another street nor, on a link of its own,
// deliver another street's origin.
func TestStreetCertCannotSendForAnotherStreet(t *testing.T) {
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = testCounty, "county"
	county := startNode(t, ccfg)
	before := snap(t, county)
	cert := certOf(t, testStreet, "street-a", tlsutil.CertOptions{})
	cfg, err := tlsutil.ClientConfig(tlsutil.Options{Roots: []*x509.Certificate{theTestCA().Cert}, Cert: cert, ExpectArea: testCounty})
	if err != nil {
		t.Fatal(err)
	}

	// The hello claims the sibling street.
	_, err = dialLink(county, cfg, proto.Hello{Sender: otherStreet, Server: "street-a"})
	if !errors.Is(err, link.ErrRefused) || !strings.Contains(err.Error(), link.RuleSenderArea) {
		t.Fatalf("hello for another street: %v, want refused by rule %s", err, link.RuleSenderArea)
	}
	waitRefusal(t, county, false, link.RuleSenderArea, 1)

	// Its own street in the hello, the sibling's entries in the batch.
	s, err := dialLink(county, cfg, proto.Hello{Sender: testStreet, Server: "street-a"})
	if err != nil {
		t.Fatalf("own link: %v", err)
	}
	defer s.Close()
	foreign := entriesOf(t, otherStreet, testOrg("org-x", area.Children(otherStreet)[0].Code))
	ack := sendBatch(t, s, encodeRange(t, testStreet, foreign, [32]byte{}))
	if len(ack.Ranges) != 1 || ack.Ranges[0].Status != proto.StatusRefused || !strings.Contains(ack.Ranges[0].Error, "outside") {
		t.Fatalf("batch of another street's origin: %+v, want its range refused", ack)
	}
	// Its own origin, but a record in the sibling street.
	mine := entriesOf(t, testStreet, testOrg("org-y", area.Children(otherStreet)[0].Code))
	ack = sendBatch(t, s, encodeRange(t, testStreet, mine, [32]byte{}))
	if len(ack.Ranges) != 1 || ack.Ranges[0].Status != proto.StatusRefused {
		t.Fatalf("own origin with a record of another street: %+v, want refused", ack)
	}
	if got := refusals(t, county, false, RuleJurisdiction); got != 2 {
		t.Errorf("jurisdiction refusals = %v, want 2", got)
	}
	assertUnchanged(t, county, before)
}

// TestCountyCertCannotSendAnotherCountysRecords: a county's certificate
// cannot deliver county-owned records (registrations) of another county,
// under that county's origin or its own.
func TestCountyCertCannotSendAnotherCountysRecords(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Area, cfg.Name = testCity, "city"
	city := startNode(t, cfg)
	before := snap(t, city)
	cert := certOf(t, testCounty, "county-a", tlsutil.CertOptions{})
	ccfg, err := tlsutil.ClientConfig(tlsutil.Options{Roots: []*x509.Certificate{theTestCA().Cert}, Cert: cert, Authorize: tlsutil.AuthorizeAncestor(testCounty)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialLink(city, ccfg, proto.Hello{Sender: otherCounty, Server: "county-a"}); !errors.Is(err, link.ErrRefused) {
		t.Fatalf("hello for another county: %v, want refused", err)
	}
	s, err := dialLink(city, ccfg, proto.Hello{Sender: testCounty, Server: "county-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	otherStreetOfOther := area.Children(otherCounty)[0].Code
	for _, es := range [][]storage.Entry{
		entriesOf(t, otherCounty, testRegistration("reg-1", otherCounty, otherStreetOfOther)),
		entriesOf(t, testCounty, testRegistration("reg-2", otherCounty, otherStreetOfOther)),
	} {
		ack := sendBatch(t, s, encodeRange(t, testCounty, es, [32]byte{}))
		if len(ack.Ranges) != 1 || ack.Ranges[0].Status != proto.StatusRefused || !strings.Contains(ack.Ranges[0].Error, "jurisdiction") {
			t.Fatalf("registration of %s from origin %s: %+v, want refused on jurisdiction", otherCounty, es[0].Origin, ack)
		}
	}
	assertUnchanged(t, city, before)
}

// TestLinkRefusesBadCertificates: a server without a certificate, with an
// expired one, with one of another CA, and a plain-text client are refused
// at the handshake, each counted by its rule; the store is unchanged.
func TestLinkRefusesBadCertificates(t *testing.T) {
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name = testCounty, "county"
	county := startNode(t, ccfg)
	before := snap(t, county)
	expired := certOf(t, testStreet, "old", tlsutil.CertOptions{Now: func() time.Time { return time.Now().AddDate(0, 0, -3) }, Validity: 24 * time.Hour})
	foreignPEM, foreignKey, err := tlsutil.CreateCA(tlsutil.CAOptions{Name: "rogue"})
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := tlsutil.ParseCA(foreignPEM, foreignKey)
	if err != nil {
		t.Fatal(err)
	}
	rPEM, rKey, err := tlsutil.CreateCert(rogue, tlsutil.CertOptions{Area: testStreet, Server: "rogue"})
	if err != nil {
		t.Fatal(err)
	}
	rogueCert, _ := tls.X509KeyPair(rPEM, rKey)
	for _, tt := range []struct {
		name string
		cert *tls.Certificate
		rule string
	}{
		{"no certificate", nil, tlsutil.RuleNoCert},
		{"expired", &expired, tlsutil.RuleExpired},
		{"another CA", &rogueCert, tlsutil.RuleUntrusted},
	} {
		_, err := dialLink(county, attacker(tt.cert), proto.Hello{Sender: testStreet, Server: "x"})
		if err == nil {
			t.Fatalf("%s: link opened", tt.name)
		}
		waitRefusal(t, county, false, tt.rule, 1)
	}
	conn, err := net.Dial("tcp", county.SyncAddr())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write(append([]byte{1, 27}, `{"version":1,"sender":"x"}`...)) // a plain-text hello frame
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("plain-text client: %v, want the connection closed", err)
	}
	conn.Close()
	waitRefusal(t, county, false, tlsutil.RuleNotTLS, 1)
	assertUnchanged(t, county, before)
}

// TestRevokedCertificateRefusedOnNextConnection: a street's link is up
// under mTLS; its certificate is revoked in crl.pem; the county reloads the
// file without a restart, refuses the open link's next batch (cutting it)
// and the street's next connection, and nothing the street writes
// afterwards reaches the county.
func TestRevokedCertificateRefusedOnNextConnection(t *testing.T) {
	pki, err := tlsutil.NewDevPKI(filepath.Join(t.TempDir(), "pki"), "revoke-test")
	if err != nil {
		t.Fatal(err)
	}
	tlsFor := func(a area.Code, name string) TLSConfig {
		f, err := pki.Issue(a, name, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		return TLSConfig{CAFile: pki.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, CRLFile: pki.CRLFile}
	}
	ccfg := testConfig(t.TempDir())
	ccfg.Area, ccfg.Name, ccfg.TLS = testCounty, "county", tlsFor(testCounty, "county")
	county := startNode(t, ccfg)
	scfg := testConfig(t.TempDir())
	scfg.Name, scfg.TLS, scfg.Parent = "street", tlsFor(testStreet, "street"), []string{county.SyncAddr()}
	scfg.TLS.CRLFile = "" // the street never learns of its own revocation
	street := startNode(t, scfg)
	if _, err := street.Write(context.Background(), []storage.Mutation{orgMut(t, 1, area.Children(testStreet)[0].Code)}); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, county, street)

	_, id, err := tlsutil.LoadServerCert(scfg.TLS.CertFile, scfg.TLS.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	before := snap(t, county)
	if err := pki.Revoke(tlsutil.FormatSerial(id.Serial)); err != nil {
		t.Fatal(err)
	}
	// The link is up: its next batch is refused and the link cut.
	if _, err := street.Write(context.Background(), []storage.Mutation{orgMut(t, 2, area.Children(testStreet)[0].Code)}); err != nil {
		t.Fatal(err)
	}
	waitRefusal(t, county, false, tlsutil.RuleRevoked, 1)
	// The street's next connection: its node restarts and dials again.
	if err := street.Stop(); err != nil {
		t.Fatal(err)
	}
	street = startNode(t, scfg)
	waitRefusal(t, county, false, tlsutil.RuleRevoked, 2)
	if st := street.SyncStatus(); st.Connected {
		t.Fatalf("revoked street connected: %+v", st)
	}
	assertUnchanged(t, county, before)
}

// waitConverged waits until parent holds the child's own origin up to its
// head.
func waitConverged(t *testing.T, parent, child *Node) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		want, _ := child.store.AreaCounters(child.cfg.Area)
		got, _ := parent.store.AreaCounters(child.cfg.Area)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not converge with %s: %+v", parent.cfg.Name, child.cfg.Name, child.SyncStatus())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRaftRefusesPeerOfAnotherArea: a server with a certificate of
// another area (or none) cannot open a raft connection to the node, and
// the node refuses to dial one; the node's store and raft membership are
// unchanged.
func TestRaftRefusesPeerOfAnotherArea(t *testing.T) {
	n := startNode(t, testConfig(t.TempDir()))
	addr, _ := n.raft.LeaderWithID()
	before := snap(t, n)
	other := certOf(t, otherStreet, "intruder", tlsutil.CertOptions{})
	for _, cert := range []*tls.Certificate{&other, nil} {
		conn, err := tls.Dial("tcp", string(addr), attacker(cert))
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = conn.Write([]byte{0, 1, 2, 3}) // the start of a raft RPC
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("raft connection with certificate %v: read %v, want the handshake refused", cert != nil, err)
		}
	}
	waitRefusal(t, n, true, tlsutil.RuleWrongArea, 1)
	waitRefusal(t, n, true, tlsutil.RuleNoCert, 1)

	// Dialling out: the layer refuses a listener of another area.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{other}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	layer, err := n.raftLayer(mustListen(t))
	if err != nil {
		t.Fatal(err)
	}
	defer layer.Close()
	if _, err := layer.Dial(raftAddress(ln.Addr()), 5*time.Second); !errors.Is(err, tlsutil.ErrWrongArea) {
		t.Fatalf("dial a raft peer of another area: %v, want ErrWrongArea", err)
	}
	assertUnchanged(t, n, before)
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil || len(f.Configuration().Servers) != 1 {
		t.Fatalf("raft configuration %+v, %v: want this server alone", f.Configuration(), err)
	}
}

func mustListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestTLSConfigValidation: the [tls] section needs the files or the
// development switch, and the certificate must be the node's.
func TestTLSConfigValidation(t *testing.T) {
	cfg := testConfig(t.TempDir())
	good := cfg.TLS
	tests := []struct {
		name string
		tls  TLSConfig
		area area.Code
		want string
	}{
		{"neither", TLSConfig{}, testStreet, "fedsync tls ca create"},
		{"both", TLSConfig{CAFile: good.CAFile, InsecurePlaintext: true}, testStreet, "remove one or the other"},
		{"no key", TLSConfig{CAFile: good.CAFile, CertFile: good.CertFile}, testStreet, "key_file"},
		{"missing file", TLSConfig{CAFile: good.CAFile + ".gone", CertFile: good.CertFile, KeyFile: good.KeyFile}, testStreet, "no such file"},
		{"other area", good, otherStreet, "for area 210102001000, but this node serves 210102002000"},
	}
	for _, tt := range tests {
		c := cfg
		c.TLS, c.Area = tt.tls, tt.area
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	c := cfg
	c.Name = "another-name"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `set name = "210102001000-test"`) {
		t.Errorf("other name: %v", err)
	}
	c = cfg
	c.TLS = TLSConfig{InsecurePlaintext: true}
	if err := c.Validate(); err != nil {
		t.Errorf("insecure_plaintext: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("good: %v", err)
	}
}

// TestConfigTLSPathsRelative: relative [tls] paths are relative to the
// config file.
func TestConfigTLSPathsRelative(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fedsync.toml")
	data := fmt.Sprintf("area = %q\ndata_dir = \"data\"\n[tls]\nca_file = \"pki/ca.pem\"\ncert_file = \"pki/s.pem\"\nkey_file = \"/abs/s-key.pem\"\n", testStreet)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.CAFile != filepath.Join(dir, "pki/ca.pem") || c.TLS.KeyFile != "/abs/s-key.pem" {
		t.Errorf("tls paths %+v", c.TLS)
	}
}

// TestPlaintextWarns: a node with insecure_plaintext says so at start.
func TestPlaintextWarns(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.TLS = TLSConfig{InsecurePlaintext: true}
	logger, logs := newTestLogger()
	n, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if out := logs(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "insecure_plaintext") {
		t.Errorf("start log of a plain-text node lacks the warning:\n%s", out)
	}
	if !strings.HasPrefix(n.HTTPURL(), "http://") {
		t.Errorf("HTTPURL %s, want http://", n.HTTPURL())
	}
}

// TestCRLReloadRefusesRollback: crl.pem is reloaded when it changes; a
// file older than the loaded list (a rollback) or unreadable garbage is
// refused and the loaded list stays in force.
func TestCRLReloadRefusesRollback(t *testing.T) {
	pki, err := tlsutil.NewDevPKI(filepath.Join(t.TempDir(), "pki"), "crl-test")
	if err != nil {
		t.Fatal(err)
	}
	files, err := pki.Issue(testStreet, "s1")
	if err != nil {
		t.Fatal(err)
	}
	_, victim, err := tlsutil.LoadServerCert(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Issue(testStreet, "s2")
	if err != nil {
		t.Fatal(err)
	}
	m, err := loadTLS(TLSConfig{CAFile: pki.CAFile, CertFile: other.CertFile, KeyFile: other.KeyFile, CRLFile: pki.CRLFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(pki.CRLFile)
	if err != nil {
		t.Fatal(err)
	}
	if m.currentCRL().IsRevoked(victim.Serial) {
		t.Fatal("revoked before the revocation")
	}
	if err := pki.Revoke(tlsutil.FormatSerial(victim.Serial)); err != nil {
		t.Fatal(err)
	}
	if !m.currentCRL().IsRevoked(victim.Serial) {
		t.Fatal("the changed crl.pem was not reloaded")
	}
	for name, data := range map[string][]byte{"the older list": old, "garbage": []byte("not a CRL")} {
		if err := tlsutil.ReplaceFile(pki.CRLFile, data, tlsutil.CertFileMode); err != nil {
			t.Fatal(err)
		}
		if !m.currentCRL().IsRevoked(victim.Serial) {
			t.Fatalf("after replacing crl.pem by %s, the revocation was lost", name)
		}
	}
	if err := m.revalidate(victim); !errors.Is(err, tlsutil.ErrRevoked) {
		t.Fatalf("revalidate a revoked peer: %v, want ErrRevoked", err)
	}
}

// TestRevokedRaftPeerCutOff: a follower of a county of three whose
// certificate is revoked is cut off its group within a revalidation
// period, on connections already open: the other two keep committing, and
// the revoked server applies nothing more.
func TestRevokedRaftPeerCutOff(t *testing.T) {
	pki, err := tlsutil.NewDevPKI(filepath.Join(t.TempDir(), "pki"), "raft-revoke-test")
	if err != nil {
		t.Fatal(err)
	}
	var group []*Node
	for i, name := range []string{"county-a", "county-b", "county-c"} {
		f, err := pki.Issue(testCounty, name, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t.TempDir())
		cfg.Area, cfg.Name, cfg.Bootstrap = testCounty, name, i == 0
		cfg.RaftTimeout = Duration{500 * time.Millisecond}
		cfg.TLS = TLSConfig{CAFile: pki.CAFile, CertFile: f.CertFile, KeyFile: f.KeyFile, CRLFile: pki.CRLFile}
		n := startNode(t, cfg)
		if i > 0 {
			self := n.selfAddrs()
			addVoter(t, append(group, n), api.AddVoterRequest{Name: name, Raft: self.Raft, HTTP: self.HTTP, Sync: self.Sync})
		}
		group = append(group, n)
	}
	comm := area.Children(testStreet)[0].Code
	write := func(i int) {
		t.Helper()
		if err := retryUnavailable(func() error {
			_, err := waitLeaderOf(t, group).Write(context.Background(), []storage.Mutation{orgMut(t, i, comm)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	write(1)
	leader := waitLeaderOf(t, group)
	var victim *Node
	for _, n := range group {
		if n != leader {
			victim = n
			break
		}
	}
	waitFor(t, victim.cfg.Name+" to apply the first write", func() (bool, string) {
		return victim.raft.AppliedIndex() >= leader.raft.AppliedIndex(), fmt.Sprintf("%d of %d", victim.raft.AppliedIndex(), leader.raft.AppliedIndex())
	})

	_, id, err := tlsutil.LoadServerCert(victim.cfg.TLS.CertFile, victim.cfg.TLS.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.Revoke(tlsutil.FormatSerial(id.Serial)); err != nil {
		t.Fatal(err)
	}
	waitRefusal(t, leader, true, tlsutil.RuleRevoked, 1)
	cut := victim.raft.AppliedIndex()
	for i := 2; i <= 6; i++ {
		write(i)
	}
	leader = waitLeaderOf(t, group)
	if leader == victim {
		t.Fatal("the revoked server leads the group")
	}
	time.Sleep(2 * time.Second) // several heartbeats: nothing may reach the victim
	if got := victim.raft.AppliedIndex(); got > cut {
		t.Fatalf("revoked %s applied up to %d after the cut at %d (leader at %d)", victim.cfg.Name, got, cut, leader.raft.AppliedIndex())
	}
	for _, n := range group {
		if n == victim {
			continue
		}
		if n.raft.AppliedIndex() < cut+5 {
			waitFor(t, n.cfg.Name+" to apply the writes after the cut", func() (bool, string) {
				return n.raft.AppliedIndex() >= cut+5, fmt.Sprintf("%d", n.raft.AppliedIndex())
			})
		}
	}
}

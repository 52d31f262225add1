package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/node"
	"fedsync/storage"
	"fedsync/sync/link"
	"fedsync/sync/proto"
	"fedsync/tlsutil"
)

// TestMutualTLSRefusals runs a street → county link as real processes
// under mutual TLS with certificates made by `fedsync tls`, then shows that
// the county refuses, changing nothing it stores: a client without a
// certificate, a street certificate speaking for another street, a street
// of another county, and the street itself once its certificate is revoked
// (without restarting the county).
func TestMutualTLSRefusals(t *testing.T) {
	street1, street2 := fedHepingStreets[0], fedHepingStreets[1]
	county := newServer(t, fedHeping)
	editConfig(t, county.config, func(c *node.Config) { c.ACL.Enabled = false })
	county.start()

	street := newServer(t, street1)
	ownCRL := filepath.Join(t.TempDir(), "crl.pem") // the street's copy: it never learns of its own revocation
	copyFile(t, filepath.Join(pkiDir, "crl.pem"), ownCRL)
	editConfig(t, street.config, func(c *node.Config) {
		c.Parent, c.ACL.Enabled, c.TLS.CRLFile = []string{county.syncAddr}, false, ownCRL
	})
	street.start()
	dir := t.TempDir()
	if r := street.cli("import", writeStreetCSV(t, dir, street1, 50), "--kind", "org", "--quiet"); r.code != 0 {
		t.Fatalf("import at the street:\n%s", r)
	}
	waitSeq(t, county, street, area.Code(street1))
	t.Logf("street → county converged under mutual TLS")
	before := countyMarks(t, county)

	// No certificate at all, and a plain-text client.
	if _, err := dialAs(county, nil, street1); err == nil {
		t.Fatal("a link without a client certificate was opened")
	}
	// A certificate of street 2 whose hello speaks for street 1.
	other := loadPair(t, issueCert(t, street2, "intruder"))
	if _, err := dialAs(county, &other, street1); !errors.Is(err, link.ErrRefused) || !strings.Contains(err.Error(), link.RuleSenderArea) {
		t.Fatalf("street 2's certificate speaking for street 1: %v, want refused (%s)", err, link.RuleSenderArea)
	}
	// A street of another county, honest about its area.
	foreign := area.Children(area.Code(fedShenhe))[0].Code
	fc := loadPair(t, issueCert(t, string(foreign), "foreign"))
	if _, err := dialAs(county, &fc, string(foreign)); !errors.Is(err, link.ErrRefused) || !strings.Contains(err.Error(), "wrong area") {
		t.Fatalf("a street of another county: %v, want refused on its area", err)
	}

	// Revoke the street's certificate; its next connection is refused.
	street.kill()
	cert := readConfig(t, street.config).TLS.CertFile
	if r := runCLI(t, "tls", "cert", "revoke", "--dir", pkiDir, cert); r.code != 0 {
		t.Fatalf("revoke:\n%s", r)
	}
	street.start()
	if r := street.cli("import", lateCSV(t, street1, 20), "--kind", "org", "--quiet"); r.code != 0 {
		t.Fatalf("import at the street after revocation:\n%s", r)
	}
	waitLog(t, county, `rule=revoked`)
	if after := countyMarks(t, county); !slices.Equal(before, after) {
		t.Fatalf("the county's watermarks changed:\nbefore %+v\nafter  %+v", before, after)
	}
	for _, want := range []string{"rule=no-certificate", "rule=" + link.RuleSenderArea, "rule=wrong-area"} {
		waitLog(t, county, want)
	}
}

// dialAs opens a sync link to s presenting cert (nil: none), as a child
// that checks nothing about the server: an attacker's client.
func dialAs(s *server, cert *tls.Certificate, sender string) (proto.Session, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true} //nolint:gosec // the attacker's side
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil
	}
	d := &link.Dialer{DialConn: link.TLSDial(link.TCPDialer([]string{s.syncAddr}, 2*time.Second), cfg), HandshakeTimeout: 5 * time.Second}
	sess, err := d.Dial(context.Background(), proto.Hello{Sender: area.Code(sender), Server: "attacker"})
	if err == nil {
		sess.Close()
	}
	return sess, err
}

func loadPair(t *testing.T, c node.TLSConfig) tls.Certificate {
	t.Helper()
	pair, _, err := tlsutil.LoadServerCert(c.CertFile, c.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func readConfig(t *testing.T, path string) node.Config {
	t.Helper()
	c, err := node.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// countyMarks returns s's watermarks without the "heard from" times.
func countyMarks(t *testing.T, s *server) []storage.Watermark {
	t.Helper()
	var st api.Status
	decodeCLI(t, s.cli("status", "-o", "json"), &st)
	for i := range st.Watermarks {
		st.Watermarks[i].HeardFrom = 0
	}
	return st.Watermarks
}

// waitSeq waits until parent holds child's origin up to child's seq.
func waitSeq(t *testing.T, parent, child *server, origin area.Code) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var cs, ps api.Status
		decodeCLI(t, child.cli("status", "-o", "json"), &cs)
		decodeCLI(t, parent.cli("status", "-o", "json"), &ps)
		want, got := markOf(cs.Watermarks, origin), markOf(ps.Watermarks, origin)
		if want > 0 && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("parent holds seq %d of %s, the child %d", got, origin, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func markOf(ws []storage.Watermark, o area.Code) uint64 {
	for _, w := range ws {
		if w.Origin == o {
			return w.Seq
		}
	}
	return 0
}

// waitLog waits until s's agent log contains want.
func waitLog(t *testing.T, s *server, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(s.logPath)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent log of %s lacks %q", s.area, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lateCSV writes n orgs of street with ids no seed roster uses.
func lateCSV(t *testing.T, street string, n int) string {
	t.Helper()
	comms := area.Children(area.Code(street))
	rows := [][]string{orgHeader}
	for i := range n {
		row := orgRow(i, comms)
		row[0] = fmt.Sprintf("late-%s-%06d", street, i)
		rows = append(rows, row)
	}
	return writeCSV(t, filepath.Join(t.TempDir(), "late.csv"), rows)
}

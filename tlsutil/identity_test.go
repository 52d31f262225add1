package tlsutil

import (
	"crypto/x509"
	"errors"
	"math/big"
	"net/url"
	"strings"
	"testing"

	"fedsync/area"
)

func TestParseIdentityURI(t *testing.T) {
	tests := []struct {
		uri        string
		wantArea   area.Code
		wantServer string
		wantErr    string // substring; "" means valid
	}{
		{uri: "fedsync://area/210102001000/server/s1", wantArea: street, wantServer: "s1"},
		{uri: "fedsync://area/210000000000/server/prov-a.b_c~1", wantArea: "210000000000", wantServer: "prov-a.b_c~1"},
		{uri: "fedsync://area/210102001000/server/" + strings.Repeat("x", 64), wantArea: street, wantServer: strings.Repeat("x", 64)},
		{uri: "fedsync://area/210102001000/server/" + strings.Repeat("x", 65), wantErr: "at most 64"},
		{uri: "fedsync://area/210102001000/server/", wantErr: "empty"},
		{uri: "fedsync://area/210102001000/server/a/b", wantErr: "not a letter"},
		{uri: "fedsync://area/210102001000/server/a%20b", wantErr: "not a letter"},
		{uri: "fedsync://area/210102001000/server/s1?x=1", wantErr: "not a letter"},
		{uri: "fedsync://area/210102001000/server/s1#f", wantErr: "not a letter"},
		{uri: "fedsync://area/210102001001/server/s1", wantErr: "community"},
		{uri: "fedsync://area/2101020010ab/server/s1", wantErr: "not a digit"},
		{uri: "fedsync://area/210100001000/server/s1", wantErr: "non-zero segment"},
		{uri: "fedsync://area/21010200100/server/s1", wantErr: "want 12 digits"},
		{uri: "fedsync://area/210102001000/srv/s1", wantErr: "want fedsync://area/"},
		{uri: "fedsync://AREA/210102001000/server/s1", wantErr: "does not start with"},
		{uri: "https://area/210102001000/server/s1", wantErr: "does not start with"},
		{uri: "fedsync://area:1/210102001000/server/s1", wantErr: "does not start with"},
		{uri: "", wantErr: "does not start with"},
	}
	for _, tt := range tests {
		a, server, err := parseIdentityURI(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseIdentityURI(%q) error = %v, want one containing %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil || a != tt.wantArea || server != tt.wantServer {
			t.Errorf("parseIdentityURI(%q) = %q, %q, %v; want %q, %q", tt.uri, a, server, err, tt.wantArea, tt.wantServer)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestIdentityOf(t *testing.T) {
	ca := newCA(t, "test")
	good := issue(t, ca, CertOptions{Area: street, Server: "s1"})
	id, err := IdentityOf(good.Leaf)
	if err != nil {
		t.Fatalf("IdentityOf(good): %v", err)
	}
	if id.Area != street || id.Server != "s1" || id.Serial.Cmp(good.Leaf.SerialNumber) != 0 || !id.NotAfter.Equal(good.Leaf.NotAfter) {
		t.Errorf("IdentityOf(good) = %+v", id)
	}
	if got, want := id.URI(), "fedsync://area/210102001000/server/s1"; got != want {
		t.Errorf("URI() = %q, want %q", got, want)
	}
	if got, want := id.String(), "s1.210102001000"; got != want || good.Leaf.Subject.CommonName != want {
		t.Errorf("String() = %q, CommonName %q, want %q", got, good.Leaf.Subject.CommonName, want)
	}

	tests := []struct {
		name    string
		uris    []string
		wantErr string
	}{
		{"no URI SAN", nil, "no fedsync:// URI SAN"},
		{"only other schemes", []string{"spiffe://x/y"}, "no fedsync:// URI SAN"},
		{"two URI SANs", []string{"fedsync://area/210102001000/server/s1", "fedsync://area/210102002000/server/s1"}, "2 fedsync:// URI SANs"},
		{"same URI twice", []string{"fedsync://area/210102001000/server/s1", "fedsync://area/210102001000/server/s1"}, "2 fedsync:// URI SANs"},
		{"malformed area", []string{"fedsync://area/210100001000/server/s1"}, "non-zero segment"},
		{"community area", []string{"fedsync://area/210102001001/server/s1"}, "community"},
		{"bad server name", []string{"fedsync://area/210102001000/server/a%2Fb"}, "not a letter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := custom(t, ca, street, "s1", func(c *x509.Certificate) {
				c.URIs = nil
				for _, u := range tt.uris {
					c.URIs = append(c.URIs, mustURL(t, u))
				}
			})
			_, err := IdentityOf(c.Leaf)
			if !errors.Is(err, ErrNoIdentity) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("IdentityOf error = %v, want ErrNoIdentity containing %q", err, tt.wantErr)
			}
		})
	}

	other := custom(t, ca, street, "s1", func(c *x509.Certificate) {
		c.URIs = append(c.URIs, mustURL(t, "spiffe://example/other"))
	})
	if id, err := IdentityOf(other.Leaf); err != nil || id.Area != street {
		t.Errorf("IdentityOf(with a non-fedsync URI too) = %+v, %v; want the fedsync identity", id, err)
	}
}

func TestAuthorizeSender(t *testing.T) {
	peer := Identity{Area: street, Server: "s1"}
	tests := []struct {
		name             string
		receiver, sender area.Code
		wantErr          bool
	}{
		{"child to parent", heping, street, false},
		{"bypass to grandparent", shenyang, street, false},
		{"hello lies about sender", heping, "210102002000", true},
		{"sender is the receiver", street, street, true},
		{"receiver in another subtree", dalian, street, true},
		{"receiver below sender", "210102001000", street, true},
	}
	for _, tt := range tests {
		err := AuthorizeSender(peer, tt.receiver, tt.sender)
		if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrWrongArea)) {
			t.Errorf("%s: AuthorizeSender(peer %s, receiver %s, sender %s) = %v, want error %v", tt.name, peer.Area, tt.receiver, tt.sender, err, tt.wantErr)
		}
	}
}

func TestSerialRoundTrip(t *testing.T) {
	n, _ := new(big.Int).SetString("1f2e3d4c5b6a79880123456789abcdef", 16)
	for _, s := range []string{FormatSerial(n), "0x" + FormatSerial(n), "1F:2E:3D:4C:5B:6A:79:88:01:23:45:67:89:AB:CD:EF"} {
		got, err := ParseSerial(s)
		if err != nil || got.Cmp(n) != 0 {
			t.Errorf("ParseSerial(%q) = %v, %v; want %v", s, got, err, n)
		}
	}
	for _, s := range []string{"", "0", "-1", "xyz", "0x"} {
		if _, err := ParseSerial(s); err == nil {
			t.Errorf("ParseSerial(%q) = nil error, want one", s)
		}
	}
}

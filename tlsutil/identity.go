package tlsutil

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"time"

	"fedsync/area"
)

// URIScheme is the scheme of the identity URI SAN.
const URIScheme = "fedsync"

// uriPrefix and uriServer frame the identity URI:
// fedsync://area/<12 digits>/server/<name>.
const (
	uriPrefix = URIScheme + "://area/"
	uriServer = "/server/"
)

// MaxServerNameLen is the longest server name an identity may carry.
const MaxServerNameLen = 64

// Identity is who a certificate says its holder is: a server of the node of
// Area. Serial and NotAfter come from the certificate, for logs and for
// revocation.
type Identity struct {
	Area     area.Code
	Server   string
	Serial   *big.Int
	NotAfter time.Time
}

// URI returns the identity's URI SAN, fedsync://area/<area>/server/<name>.
func (id Identity) URI() string { return identityURI(id.Area, id.Server) }

// String returns "<server>.<area>", the certificate's CommonName.
func (id Identity) String() string { return commonName(id.Area, id.Server) }

func identityURI(a area.Code, server string) string {
	return uriPrefix + string(a) + uriServer + server
}

func commonName(a area.Code, server string) string { return server + "." + string(a) }

// IdentityOf returns the identity cert carries. It requires exactly one URI
// SAN with the fedsync scheme (other schemes are ignored), parsed strictly
// by the rules of ValidServerName and ValidArea. It does not verify the
// certificate: ServerConfig and ClientConfig do that before calling it.
func IdentityOf(cert *x509.Certificate) (Identity, error) {
	var found []string
	for _, u := range cert.URIs {
		if u.Scheme == URIScheme {
			found = append(found, u.String())
		}
	}
	switch len(found) {
	case 0:
		return Identity{}, fmt.Errorf("%w: certificate %q has no %s:// URI SAN", ErrNoIdentity, cert.Subject.CommonName, URIScheme)
	case 1:
	default:
		return Identity{}, fmt.Errorf("%w: certificate %q has %d %s:// URI SANs, want exactly one", ErrNoIdentity, cert.Subject.CommonName, len(found), URIScheme)
	}
	a, server, err := parseIdentityURI(found[0])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: certificate %q: %w", ErrNoIdentity, cert.Subject.CommonName, err)
	}
	return Identity{Area: a, Server: server, Serial: cert.SerialNumber, NotAfter: cert.NotAfter}, nil
}

// parseIdentityURI parses fedsync://area/<12 digits>/server/<name> exactly:
// no query, fragment, port, user or escapes, a valid non-community area and
// a valid server name.
func parseIdentityURI(s string) (area.Code, string, error) {
	rest, ok := strings.CutPrefix(s, uriPrefix)
	if !ok {
		return "", "", fmt.Errorf("identity URI %q does not start with %q", s, uriPrefix)
	}
	code, name, ok := strings.Cut(rest, uriServer)
	if !ok {
		return "", "", fmt.Errorf("identity URI %q: want %s<area>%s<name>", s, uriPrefix, uriServer)
	}
	a, err := ValidArea(code)
	if err != nil {
		return "", "", fmt.Errorf("identity URI %q: %w", s, err)
	}
	if err := ValidServerName(name); err != nil {
		return "", "", fmt.Errorf("identity URI %q: %w", s, err)
	}
	return a, name, nil
}

// ValidArea parses s as the area of a node that may hold a certificate: a
// valid code of a province, city, county or street (communities run no
// node).
func ValidArea(s string) (area.Code, error) {
	a, err := area.Parse(s)
	if err != nil {
		return "", err
	}
	if a.Level() == area.LevelCommunity {
		return "", fmt.Errorf("area %s is a community; communities run no node", a)
	}
	return a, nil
}

// ValidServerName reports whether name may be a server's name in an
// identity: 1 to MaxServerNameLen characters among ASCII letters, digits
// and "-._~" (the URI characters that need no escaping), so that the URI
// and the CommonName are unambiguous.
func ValidServerName(name string) error {
	if name == "" {
		return fmt.Errorf("server name is empty")
	}
	if len(name) > MaxServerNameLen {
		return fmt.Errorf("server name %.20q... is %d bytes, at most %d", name, len(name), MaxServerNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("server name %q: byte %d (%q) is not a letter, digit or one of -._~", name, i+1, name[i])
		}
	}
	return nil
}

func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~'
}

// AuthorizeSender applies DESIGN §7 to an upward sync link: the sender a
// Hello claims must be the peer's own area, and must lie strictly inside the
// receiver's subtree. (Each origin in a batch must further lie in the
// sender's subtree; the receiver checks that per batch.)
func AuthorizeSender(peer Identity, receiver, sender area.Code) error {
	if sender != peer.Area {
		return fmt.Errorf("%w: hello names sender %s but the certificate of %s is for area %s", ErrWrongArea, sender, peer, peer.Area)
	}
	if sender == receiver || !receiver.Contains(sender) {
		return fmt.Errorf("%w: sender %s (%s) is not below receiver %s", ErrWrongArea, sender, peer, receiver)
	}
	return nil
}

// FormatSerial writes a serial number as lowercase hex, the form the CLI
// prints and ParseSerial reads.
func FormatSerial(serial *big.Int) string {
	if serial == nil {
		return ""
	}
	return serial.Text(16)
}

// ParseSerial parses a certificate serial written in hex, with an optional
// "0x" prefix and optional ":" separators (as openssl prints them).
func ParseSerial(s string) (*big.Int, error) {
	h := strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x"), ":", "")
	n, ok := new(big.Int).SetString(h, 16)
	if !ok || h == "" || n.Sign() <= 0 {
		return nil, fmt.Errorf("serial %q: want a positive hex number", s)
	}
	return n, nil
}

// AuthorizeAncestor returns an Options.Authorize for a child dialling its
// parent: the peer must serve a strict ancestor of own (the parent, or a
// higher node when the parent is bypassed).
func AuthorizeAncestor(own area.Code) func(Identity) error {
	return func(peer Identity) error {
		if peer.Area == own || !peer.Area.Contains(own) {
			return fmt.Errorf("%w: %s serves area %s, which is not above this node's area %s", ErrWrongArea, peer, peer.Area, own)
		}
		return nil
	}
}

package tlsutil

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"
)

// DefaultCRLValidity is the span from a CRL's ThisUpdate to its
// NextUpdate. Connections are not refused when a CRL is past NextUpdate
// (an offline CA late with a renewal must not cut the federation apart);
// nodes should warn instead (CRL.NextUpdate).
const DefaultCRLValidity = 365 * 24 * time.Hour

// Reason is an RFC 5280 CRL reason code.
type Reason int

// Reason codes used by the federation.
const (
	ReasonUnspecified          Reason = 0
	ReasonKeyCompromise        Reason = 1
	ReasonCACompromise         Reason = 2
	ReasonAffiliationChanged   Reason = 3
	ReasonSuperseded           Reason = 4
	ReasonCessationOfOperation Reason = 5
)

var reasonNames = [...]string{"unspecified", "key-compromise", "ca-compromise", "affiliation-changed", "superseded", "cessation-of-operation"}

// String returns the name ParseReason reads ("key-compromise").
func (r Reason) String() string {
	if r < 0 || int(r) >= len(reasonNames) {
		return fmt.Sprintf("reason(%d)", int(r))
	}
	return reasonNames[r]
}

// ParseReason parses a reason name as written by Reason.String.
func ParseReason(s string) (Reason, error) {
	for i, n := range reasonNames {
		if n == s {
			return Reason(i), nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q (want one of %s)", s, strings.Join(reasonNames[:], ", "))
}

// CRL is the federation's verified revocation state: one CA-signed
// revocation list per trusted CA (one CA, or two during a CA rotation), as
// held in crl.pem. A nil *CRL revokes nothing. A CRL is immutable; Revoke
// returns the PEM of its successor.
type CRL struct {
	lists []crlList
	roots []*x509.Certificate // the CAs trusted when it was parsed
}

type crlList struct {
	ca      *x509.Certificate
	list    *x509.RevocationList
	revoked map[string]bool // FormatSerial of each revoked serial
}

// ParseCRL parses every X509 CRL block of data and verifies each against
// one of the trusted CA certificates. A list signed by no trusted CA is
// ErrUntrusted; two lists of the same CA are ErrConfig.
func ParseCRL(data []byte, roots []*x509.Certificate) (*CRL, error) {
	c := &CRL{roots: roots}
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != blockCRL {
			return nil, fmt.Errorf("%w: block %d is %q, want %q", ErrPEM, n, b.Type, blockCRL)
		}
		l, err := parseCRLList(b.Bytes, roots)
		if err != nil {
			return nil, fmt.Errorf("CRL block %d: %w", n, err)
		}
		if c.find(l.ca) >= 0 {
			return nil, fmt.Errorf("%w: CRL block %d: a second list of CA %q", ErrConfig, n, l.ca.Subject.CommonName)
		}
		c.lists = append(c.lists, l)
	}
	if len(c.lists) == 0 {
		return nil, fmt.Errorf("%w: no %q block", ErrPEM, blockCRL)
	}
	return c, nil
}

func parseCRLList(der []byte, roots []*x509.Certificate) (crlList, error) {
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		return crlList{}, fmt.Errorf("%w: %w", ErrPEM, err)
	}
	for _, ca := range roots {
		if list.CheckSignatureFrom(ca) != nil {
			continue
		}
		l := crlList{ca: ca, list: list, revoked: make(map[string]bool, len(list.RevokedCertificateEntries))}
		for _, e := range list.RevokedCertificateEntries {
			l.revoked[FormatSerial(e.SerialNumber)] = true
		}
		return l, nil
	}
	return crlList{}, fmt.Errorf("%w: CRL of %q is not signed by a trusted CA", ErrUntrusted, list.Issuer.CommonName)
}

// LoadCRL reads and verifies a CRL file (crl.pem).
func LoadCRL(path string, roots []*x509.Certificate) (*CRL, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CRL: %w", err)
	}
	c, err := ParseCRL(data, roots)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// find returns the index of ca's list, or -1.
func (c *CRL) find(ca *x509.Certificate) int {
	if c == nil {
		return -1
	}
	for i, l := range c.lists {
		if l.ca.Equal(ca) {
			return i
		}
	}
	return -1
}

// IsRevoked reports whether serial is on any of the lists. Serials are
// random 127-bit numbers, so a serial names one certificate whatever CA
// issued it.
func (c *CRL) IsRevoked(serial *big.Int) bool {
	if c == nil || serial == nil {
		return false
	}
	s := FormatSerial(serial)
	for _, l := range c.lists {
		if l.revoked[s] {
			return true
		}
	}
	return false
}

// Lists returns the verified revocation lists, in file order (for
// inspection: Number, ThisUpdate, NextUpdate, RevokedCertificateEntries).
func (c *CRL) Lists() []*x509.RevocationList {
	if c == nil {
		return nil
	}
	out := make([]*x509.RevocationList, len(c.lists))
	for i, l := range c.lists {
		out[i] = l.list
	}
	return out
}

// NextUpdate returns the earliest NextUpdate of the lists: by then the CA
// should have issued a newer CRL (RenewCRL). Zero for a nil CRL.
func (c *CRL) NextUpdate() time.Time {
	var t time.Time
	for _, l := range c.Lists() {
		if t.IsZero() || l.NextUpdate.Before(t) {
			t = l.NextUpdate
		}
	}
	return t
}

// PEM returns the CRL as it is stored in crl.pem.
func (c *CRL) PEM() []byte {
	var out []byte
	for _, l := range c.Lists() {
		out = append(out, encodePEM(blockCRL, l.Raw)...)
	}
	return out
}

// Follows returns an error when replacing prev by c would roll revocation
// back: the list of a CA that c still trusts is missing from c, or has a
// lower Number there than in prev. (A CA dropped from the roots at the end
// of a rotation may drop its list.) A node reloading crl.pem should keep
// prev when Follows fails.
func (c *CRL) Follows(prev *CRL) error {
	for _, old := range prevLists(prev) {
		if !c.trusts(old.ca) {
			continue
		}
		i := c.find(old.ca)
		if i < 0 {
			return fmt.Errorf("%w: new CRL has no list of CA %q", ErrConfig, old.ca.Subject.CommonName)
		}
		if c.lists[i].list.Number.Cmp(old.list.Number) < 0 {
			return fmt.Errorf("%w: CRL number %v of CA %q is older than the loaded %v",
				ErrConfig, c.lists[i].list.Number, old.ca.Subject.CommonName, old.list.Number)
		}
	}
	return nil
}

func (c *CRL) trusts(ca *x509.Certificate) bool {
	for _, r := range c.roots {
		if r.Equal(ca) {
			return true
		}
	}
	return false
}

func prevLists(c *CRL) []crlList {
	if c == nil {
		return nil
	}
	return c.lists
}

// Revoke returns the PEM of the CRL that follows prev (nil when the CA has
// no CRL yet) with serial added to ca's list: the list's Number is one more
// than before and it is signed by ca. Lists of other CAs in prev are kept
// unchanged. Revoking a serial twice is ErrAlreadyRevoked.
func Revoke(ca *CA, prev *CRL, serial *big.Int, reason Reason) ([]byte, error) {
	if serial == nil || serial.Sign() <= 0 {
		return nil, fmt.Errorf("%w: serial must be positive", ErrConfig)
	}
	if reason < 0 || int(reason) >= len(reasonNames) {
		return nil, fmt.Errorf("%w: unknown revocation reason %d", ErrConfig, int(reason))
	}
	if prev.IsRevoked(serial) {
		return nil, fmt.Errorf("%w: %s", ErrAlreadyRevoked, FormatSerial(serial))
	}
	e := x509.RevocationListEntry{SerialNumber: serial, RevocationTime: ca.now().UTC(), ReasonCode: int(reason)}
	return signCRL(ca, prev, &e)
}

// RenewCRL returns the PEM of the CRL that follows prev with ca's list
// re-signed under a new Number and NextUpdate and the same entries. With a
// nil prev it makes the CA's first, empty CRL.
func RenewCRL(ca *CA, prev *CRL) ([]byte, error) {
	return signCRL(ca, prev, nil)
}

// signCRL signs ca's next list (prev's entries plus add, if not nil) and
// returns the whole CRL as PEM, ca's list in place of its old one.
func signCRL(ca *CA, prev *CRL, add *x509.RevocationListEntry) ([]byte, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, fmt.Errorf("%w: no CA to sign with", ErrConfig)
	}
	number, entries := big.NewInt(1), []x509.RevocationListEntry(nil)
	i := prev.find(ca.Cert)
	if i >= 0 {
		old := prev.lists[i].list
		number.Add(old.Number, number)
		entries = append(entries, old.RevokedCertificateEntries...)
	}
	if add != nil {
		entries = append(entries, *add)
	}
	now := ca.now().UTC()
	tmpl := &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                now,
		NextUpdate:                now.Add(DefaultCRLValidity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign CRL: %w", err)
	}
	var out []byte
	for j, l := range prevLists(prev) {
		if j != i {
			out = append(out, encodePEM(blockCRL, l.list.Raw)...)
		} else {
			out = append(out, encodePEM(blockCRL, der)...)
		}
	}
	if i < 0 {
		out = append(out, encodePEM(blockCRL, der)...)
	}
	return out, nil
}

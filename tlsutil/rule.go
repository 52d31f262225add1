package tlsutil

import (
	"errors"
	"strings"
)

// Rule names of refused handshakes and hellos, as Rule returns them: stable
// identifiers to log and to count in metrics (a label value).
const (
	RuleUntrusted  = "untrusted"   // ErrUntrusted: not signed by a trusted CA, or the wrong key usage
	RuleExpired    = "expired"     // ErrExpired
	RuleRevoked    = "revoked"     // ErrRevoked
	RuleNoIdentity = "no-identity" // ErrNoIdentity
	RuleWrongArea  = "wrong-area"  // ErrWrongArea
	RuleNoCert     = "no-certificate"
	RuleNotTLS     = "not-tls"   // the peer does not speak TLS (plain text)
	RuleHandshake  = "handshake" // any other handshake failure (timeout, reset, protocol)
)

// Rule returns the rule a handshake error broke, for logs and metrics: one
// of the Rule* constants. The error of a handshake refused by the other
// side's check carries only the alert crypto/tls received; it is mapped by
// that alert where it is specific, else RuleHandshake.
func Rule(err error) string {
	for _, r := range []struct {
		err  error
		rule string
	}{{ErrRevoked, RuleRevoked}, {ErrWrongArea, RuleWrongArea}, {ErrExpired, RuleExpired},
		{ErrNoIdentity, RuleNoIdentity}, {ErrUntrusted, RuleUntrusted}} {
		if errors.Is(err, r.err) {
			return r.rule
		}
	}
	if err == nil {
		return ""
	}
	// crypto/tls reports these as plain errors, without a type to match.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "didn't provide a certificate"), strings.Contains(msg, "certificate required"):
		return RuleNoCert
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return RuleNotTLS
	case strings.Contains(msg, "expired certificate"):
		return RuleExpired
	case strings.Contains(msg, "revoked certificate"):
		return RuleRevoked
	case strings.Contains(msg, "unknown certificate authority"):
		return RuleUntrusted
	}
	return RuleHandshake
}

package tlsutil

import "errors"

// Sentinel errors of the tlsutil package. Compare with errors.Is; the error
// text after the sentinel says which certificate and which detail.
var (
	// ErrNoIdentity is returned when a certificate carries no valid fedsync
	// identity: no fedsync URI SAN, more than one, or one whose area code or
	// server name is malformed (or whose area is a community).
	ErrNoIdentity = errors.New("no valid fedsync identity")
	// ErrRevoked is returned when the peer's certificate serial is on the
	// current revocation list.
	ErrRevoked = errors.New("certificate revoked")
	// ErrWrongArea is returned when the peer's identity names an area other
	// than the one the connection requires (Options.ExpectArea), or a sender
	// outside the receiver's subtree (AuthorizeSender).
	ErrWrongArea = errors.New("peer belongs to the wrong area")
	// ErrExpired is returned when a certificate is used outside its
	// validity period (expired, or not yet valid at the configured clock).
	ErrExpired = errors.New("certificate expired or not yet valid")
	// ErrUntrusted is returned when a certificate does not chain directly to
	// a trusted federation CA, is not valid for the role it is used in
	// (server or client authentication), or a CRL is not signed by a
	// trusted CA.
	ErrUntrusted = errors.New("certificate not trusted")
	// ErrAlreadyRevoked is returned by Revoke when the serial is already on
	// the CA's revocation list.
	ErrAlreadyRevoked = errors.New("serial already revoked")
	// ErrConfig is returned when CAOptions, CertOptions or Options are
	// invalid, or a CA's certificate and key do not belong together.
	ErrConfig = errors.New("invalid tls configuration")
	// ErrPEM is returned when PEM input holds no block of the expected
	// type, or a block does not parse.
	ErrPEM = errors.New("invalid PEM input")
)

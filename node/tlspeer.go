package node

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"fedsync/area"
	"fedsync/tlsutil"
)

// setupPeer builds the https transport to the APIs of the node's other
// servers (forwarded writes, address-book upkeep): this server's
// certificate is offered, and the peer's must be of the node's own area.
func (m *tlsMaterial) setupPeer(own area.Code) error {
	cfg, err := tlsutil.ClientConfig(m.options(own, nil))
	if err != nil {
		return fmt.Errorf("peer api tls: %w", err)
	}
	t := peerHTTP.Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	t.TLSClientConfig = cfg
	m.peer = t
	return nil
}

// peerScheme is the scheme of the node's other servers' APIs.
func (n *Node) peerScheme() string {
	if n.tls != nil {
		return "https"
	}
	return "http"
}

// peerTransport is the transport to the node's other servers' APIs.
func (n *Node) peerTransport() *http.Transport {
	if n.tls != nil {
		return n.tls.peer
	}
	return peerHTTP
}

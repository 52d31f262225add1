package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/api"
	"fedsync/storage"
)

// viaForwarded marks, in the Via header, a write a follower forwarded to
// its leader ("Via: 1.1 <server> (fedsync-forward)"). A request that
// already carries it is never forwarded again (one hop at most): if it
// reaches a server that is not the leader, that server answers 503 "not
// leader" and the client retries. (X-Fedsync-* headers are the server's
// own and refused from clients, so the mark uses the standard header.)
const viaForwarded = "(fedsync-forward)"

// forwarded reports whether r was forwarded by a follower.
func forwarded(r *http.Request) bool {
	for _, v := range r.Header.Values("Via") {
		if strings.Contains(v, viaForwarded) {
			return true
		}
	}
	return false
}

var _ api.Forwarder = (*Node)(nil)

// peerHTTP is the client of the node's other servers' APIs (forwarded
// writes, the address-book upkeep, list-peers' and remove-peer's
// questions) with insecure_plaintext (with TLS, peerTransport's https
// transport).
var peerHTTP = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	ResponseHeaderTimeout: 5 * time.Minute, // a forwarded import batch waits for its raft apply
	IdleConnTimeout:       time.Minute,
	MaxIdleConnsPerHost:   8,
}

// ForwardWrite implements api.Forwarder: on a follower that knows its
// leader's API address, the request is proxied to the leader unchanged
// (method, path, query, body and every header, Authorization included),
// with X-Forwarded-For (and -Host, -Proto) set and a Via entry naming
// this server. The leader's answer, status and body, is the answer.
func (n *Node) ForwardWrite(w http.ResponseWriter, r *http.Request) bool {
	if n.raft == nil || n.raft.State() == raft.Leader || forwarded(r) {
		return false
	}
	la, ok := n.leaderAddrs()
	if !ok || la.HTTP == "" || la.Name == n.cfg.Name {
		return false
	}
	target := &url.URL{Scheme: n.peerScheme(), Host: la.HTTP}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Add("Via", "1.1 "+n.cfg.Name+" "+viaForwarded)
		},
		Transport: n.peerTransport(),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			n.log.Warn("forwarding a write to the leader failed", "leader", la.Name, "http", la.HTTP, "err", err)
			writeUnavailable(w, r, fmt.Sprintf("this server is a follower and could not reach the leader %s at %s to forward the write: %v; retry", la.Name, la.HTTP, err))
		},
	}
	proxy.ServeHTTP(w, r)
	return true
}

// writeUnavailable answers 503 problem+json with Retry-After, as the API
// answers a write it cannot apply now.
func writeUnavailable(w http.ResponseWriter, r *http.Request, detail string) {
	body, _ := json.Marshal(api.Problem{Type: "about:blank", Title: "write unavailable", Status: http.StatusServiceUnavailable, Detail: detail, Instance: r.URL.Path})
	w.Header().Set("Content-Type", api.ProblemContentType)
	w.Header().Set("Retry-After", "2")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(append(body, '\n'))
}

// keepListed makes sure, on a follower, that the address book lists this
// server's current addresses (a static group's followers are never added
// by add-voter): it asks the leader to record them, every few seconds
// until the book agrees.
func (n *Node) keepListed(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n.raft.State() != raft.Follower {
			continue
		}
		self := n.selfAddrs()
		if cur, ok := n.lookupAddrs(self.Name); ok && cur.Raft == self.Raft && cur.HTTP == self.HTTP && cur.Sync == self.Sync {
			continue
		}
		if la, ok := n.leaderAddrs(); ok && la.HTTP != "" {
			if err := n.peerCall(ctx, http.MethodPut, la.HTTP, "/v1/operator/raft/addresses", self, nil); err != nil {
				n.log.Debug("asking the leader to list this server's addresses", "leader", la.Name, "err", err)
			}
		}
	}
}

// peerCall sends one JSON request to another server's API, with the
// node's server secret as token, over the node's TLS when configured, and
// decodes a 2xx answer into out (when not nil).
func (n *Node) peerCall(ctx context.Context, method, host, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return callAPI(ctx, n.peerTransport(), method, n.peerScheme()+"://"+host+path, n.serverSecret(), in, out)
}

// callAPI sends one JSON request (in, when not nil) to url through rt, with
// bearer as token when not empty, and decodes a 2xx answer into out (when
// not nil). Another status is an error naming the method, the path, the
// status and the problem's detail (or the body).
func callAPI(ctx context.Context, rt http.RoundTripper, method, url, bearer string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(data, &p) == nil && p.Detail != "" {
			data = []byte(p.Detail)
		}
		return fmt.Errorf("%s %s: %s: %s", method, req.URL.Path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// ListAddresses implements api.OperatorBackend: a member of the group
// records its own addresses (leader only; followers forward).
func (n *Node) ListAddresses(_ context.Context, a storage.ServerAddrs) error {
	if err := checkAddrs(a.Name, a.Raft, a.HTTP, a.Sync); err != nil {
		return err
	}
	if _, ok := n.member(a.Name); !ok {
		return fmt.Errorf("%w: %s", api.ErrUnknownPeer, a.Name)
	}
	return n.putAddrs(a)
}

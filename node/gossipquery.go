package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/federation"
	"fedsync/tlsutil"
)

// Federation-wide keyring operations. The administrator's token is checked
// once, by the server the CLI talks to (the asking server); the rest is
// server to server:
//
//   - list travels as a gossip query (federation.Pool.Query): every alive
//     server answers with its key fingerprints, never keys.
//   - install, use and remove are pushed by the asking server to the API of
//     every alive server of its own area and below, over mutual TLS
//     (POST /v1/federation/keyring/apply/{op}): the key never travels
//     through gossip, so a rotation also locks out whoever holds the old
//     key. The asking server checks that the receiver's certificate names
//     the member's area; the receiver, that the asker's certificate names
//     an area containing its own (the province's servers can rotate every
//     key, a street's only its own). Without TLS (insecure_plaintext)
//     there is no such channel and the change is refused: use --local on
//     each server.

// Kinds of the node's gossip queries.
const (
	queryKindKeyring    = "keyring"     // list the keyring (fingerprints)
	queryKindForceLeave = "force-leave" // clear a dead member from the view
)

// forceLeaveQuery is the payload of a force-leave query.
type forceLeaveQuery struct {
	Name string `json:"name"`
}

// keyringQuery is the payload of a keyring query.
type keyringQuery struct {
	Op  string `json:"op"`            // list, install, use, remove
	Key string `json:"key,omitempty"` // base64; not for list
}

// queryTimeout bounds the wait for every alive server's answer to a gossip
// query: 30 s at the default timings, divided by gossip.timing_scale.
func (g *gossipState) queryTimeout() time.Duration {
	return time.Duration(float64(30*time.Second) / max(g.cfg.TimingScale, 1))
}

// answerQuery is the pool's federation.QueryHandler: it lists this
// server's keyring (fingerprints) for any member, and clears a dead member
// from this server's view (answerForceLeave).
func (n *Node) answerQuery(from federation.Member, kind string, payload []byte) ([]byte, error) {
	switch kind {
	case queryKindKeyring:
	case queryKindForceLeave:
		return n.answerForceLeave(from, payload)
	default:
		return nil, fmt.Errorf("unknown query kind %q", kind)
	}
	var q keyringQuery
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return nil, fmt.Errorf("keyring query: %w", err)
	}
	if q.Op != "list" || q.Key != "" {
		n.log.Warn("gossip keyring query refused: keys are changed over mutual TLS only", "op", q.Op, "from", from.Name)
		return nil, fmt.Errorf("keyring query: operation %q refused (only list travels through gossip)", q.Op)
	}
	k, err := n.Keyring()
	if err != nil {
		return nil, err
	}
	return json.Marshal(k)
}

// keyringQuery sends one keyring query and decodes the answers.
func (n *Node) keyringQuery(ctx context.Context, g *gossipState, q keyringQuery) (api.FederationKeyring, error) {
	payload, _ := json.Marshal(q)
	res, err := g.pool.Query(ctx, queryKindKeyring, payload, g.queryTimeout())
	if err != nil {
		return api.FederationKeyring{}, fmt.Errorf("keyring %s: %w", q.Op, err)
	}
	out := api.FederationKeyring{NoAnswer: res.NoAnswer}
	for _, a := range res.Answers {
		row := api.KeyringAnswer{Server: a.Server, Error: a.Err}
		if a.Err == "" {
			var k api.Keyring
			if err := json.Unmarshal(a.Payload, &k); err != nil {
				row.Error = fmt.Sprintf("undecodable answer: %v", err)
			} else {
				row.Keyring = &k
			}
		}
		out.Servers = append(out.Servers, row)
	}
	for _, m := range g.pool.Members() {
		if !m.Status.Up() {
			out.Skipped = append(out.Skipped, m.Name+" ("+m.Status.String()+")")
		}
	}
	return out, nil
}

// FederationKeyring implements api.MembershipBackend: every alive server's
// keyring, asked through gossip.
func (n *Node) FederationKeyring(ctx context.Context) (api.FederationKeyring, error) {
	g := n.gossip.Load()
	if g == nil {
		return api.FederationKeyring{}, api.ErrGossipOff
	}
	return n.keyringQuery(ctx, g, keyringQuery{Op: "list"})
}

// FederationKeyringChange implements api.MembershipBackend: install, use or
// remove a key here and on every alive server of this area and below. use
// is refused while
// some alive server lacks the key or does not answer; remove while some
// alive server still encrypts with it or does not answer (either would cut
// that server off the pool). Servers that refuse or fail are reported in
// the answer, not as an error.
func (n *Node) FederationKeyringChange(ctx context.Context, op, key string) (api.FederationKeyring, error) {
	g := n.gossip.Load()
	if g == nil {
		return api.FederationKeyring{}, api.ErrGossipOff
	}
	if !slices.Contains(api.KeyringOps, op) {
		return api.FederationKeyring{}, fmt.Errorf("%w: keyring operation %q (want install, use or remove)", api.ErrMemberInput, op)
	}
	if err := federation.CheckKey(key); err != nil {
		return api.FederationKeyring{}, fmt.Errorf("%w: %w", api.ErrMemberInput, err)
	}
	if n.tls == nil {
		return api.FederationKeyring{}, fmt.Errorf("%w: keys are pushed to the other servers over mutual TLS only, and this server runs insecure_plaintext; run the command with --local on each server", api.ErrMemberRefused)
	}
	if op == "use" || op == "remove" {
		list, err := n.keyringQuery(ctx, g, keyringQuery{Op: "list"})
		if err != nil {
			return api.FederationKeyring{}, err
		}
		fp := KeyFingerprint(key)
		var blocking []string
		for _, s := range list.Servers {
			switch {
			case s.Keyring == nil:
				blocking = append(blocking, s.Server+" (did not list its keys: "+s.Error+")")
			case op == "use" && !slices.Contains(s.Keyring.Keys, fp):
				blocking = append(blocking, s.Server)
			case op == "remove" && s.Keyring.Primary == fp:
				blocking = append(blocking, s.Server)
			}
		}
		for _, s := range list.NoAnswer {
			blocking = append(blocking, s+" (no answer)")
		}
		if len(blocking) > 0 && op == "use" {
			return list, fmt.Errorf("%w: key %s is not installed on %s; run `fedsync keyring install` first (a server that encrypts with a key others lack is cut off)",
				api.ErrMemberRefused, fp, strings.Join(blocking, ", "))
		}
		if len(blocking) > 0 {
			return list, fmt.Errorf("%w: key %s is still the primary key on %s; run `fedsync keyring use NEWKEY` first",
				api.ErrMemberRefused, fp, strings.Join(blocking, ", "))
		}
	}
	return n.pushKeyring(ctx, g, op, key)
}

// keyringPushers bounds the servers a change is pushed to at once.
const keyringPushers = 16

// pushKeyring applies op here, then pushes it to every alive server of
// this area and below, and gathers the answers: this server first, then by
// name. Alive servers outside the area are listed as skipped.
func (n *Node) pushKeyring(ctx context.Context, g *gossipState, op, key string) (api.FederationKeyring, error) {
	var out api.FederationKeyring
	self := api.KeyringAnswer{Server: n.cfg.Name}
	if k, err := n.KeyringChange(op, key); err != nil {
		self.Error = err.Error()
	} else {
		self.Keyring = &k
	}
	var targets []federation.Member
	for _, m := range g.pool.Members() {
		switch {
		case m.Name == n.cfg.Name:
		case !m.Status.Up():
			out.Skipped = append(out.Skipped, m.Name+" ("+m.Status.String()+")")
		case !n.cfg.Area.Contains(m.Area):
			out.Skipped = append(out.Skipped, m.Name+" (outside "+area.Name(n.cfg.Area)+": run it from a server of an area above both)")
		default:
			targets = append(targets, m)
		}
	}
	rows := make([]api.KeyringAnswer, len(targets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, keyringPushers)
	for i, m := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rows[i] = api.KeyringAnswer{Server: m.Name}
			k, err := n.pushKeyringTo(ctx, m, op, key)
			if err != nil {
				rows[i].Error = err.Error()
				return
			}
			rows[i].Keyring = k
		}()
	}
	wg.Wait()
	sort.Slice(rows, func(i, j int) bool { return rows[i].Server < rows[j].Server })
	out.Servers = append([]api.KeyringAnswer{self}, rows...)
	n.log.Info("gossip keyring change pushed to the federation", "op", op, "key", KeyFingerprint(key), "servers", len(targets), "skipped", len(out.Skipped))
	return out, nil
}

// pushKeyringTo sends one change to member m's API over mutual TLS; m's
// certificate must name m's area.
func (n *Node) pushKeyringTo(ctx context.Context, m federation.Member, op, key string) (*api.Keyring, error) {
	if m.APIAddr == "" {
		return nil, fmt.Errorf("no API address in its gossip metadata")
	}
	cfg, err := tlsutil.ClientConfig(n.tls.options(m.Area, nil))
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSClientConfig:   cfg,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var k api.Keyring
	if err := callAPI(ctx, tr, http.MethodPost, "https://"+m.APIAddr+"/v1/federation/keyring/apply/"+op, "", api.KeyRequest{Key: key}, &k); err != nil {
		return nil, fmt.Errorf("push to %s: %w", m.APIAddr, err)
	}
	return &k, nil
}

// KeyringChangeFromServer implements api.MembershipBackend: a change pushed
// by a server whose verified certificate names an area containing this
// server's.
func (n *Node) KeyringChangeFromServer(peer *tls.ConnectionState, op, key string) (api.Keyring, error) {
	if n.tls == nil || peer == nil {
		return api.Keyring{}, fmt.Errorf("%w: this server runs without TLS and takes keyring changes only from its own API (--local)", api.ErrMemberForbidden)
	}
	id, err := tlsutil.PeerIdentity(*peer)
	if err != nil {
		return api.Keyring{}, fmt.Errorf("%w: %w", api.ErrMemberForbidden, err)
	}
	if !id.Area.Contains(n.cfg.Area) {
		n.log.Warn("keyring change from a server outside this area's ancestors refused", "op", op, "cert", id.String(), "cert_area", id.Area)
		return api.Keyring{}, fmt.Errorf("%w: keyring changes for %s (%s) must come from a server of that area or above; certificate %s is of %s (%s)",
			api.ErrMemberForbidden, n.cfg.Area, area.Name(n.cfg.Area), id, id.Area, area.Name(id.Area))
	}
	k, err := n.KeyringChange(op, key)
	if err != nil {
		return api.Keyring{}, err
	}
	n.log.Info("gossip keyring changed by a federation server", "op", op, "key", KeyFingerprint(key), "by", id.String())
	return k, nil
}

// answerForceLeave clears a member this server reports dead from its view,
// when the asker's area contains the member's. A member it does not list
// is answered "not listed here"; one it sees alive is refused (a partition
// may hide it from the asker).
func (n *Node) answerForceLeave(from federation.Member, payload []byte) ([]byte, error) {
	g := n.gossip.Load()
	if g == nil {
		return nil, api.ErrGossipOff
	}
	var q forceLeaveQuery
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil || q.Name == "" {
		return nil, fmt.Errorf("force-leave query: want {\"name\": SERVER}: %v", err)
	}
	m, found := g.pool.Member(q.Name)
	if !found {
		return json.Marshal("not listed here")
	}
	if !from.Area.Contains(m.Area) {
		return nil, fmt.Errorf("refused: %s (%s) is outside the area of the asking server %s (%s)", q.Name, area.Name(m.Area), from.Name, area.Name(from.Area))
	}
	if m.Status.Up() {
		return nil, fmt.Errorf("refused: %s is %s here", q.Name, m.Status)
	}
	if err := g.pool.ForceLeave(q.Name); err != nil {
		return nil, err
	}
	n.log.Info("member force-left by a federation query", "member", q.Name, "asked_by", from.Name)
	return json.Marshal("left")
}

// FederationForceLeave implements api.MembershipBackend: the member must be
// listed here and not up; then every alive server is asked, through
// gossip, to clear it.
func (n *Node) FederationForceLeave(ctx context.Context, name string) (api.FederationResult, error) {
	g := n.gossip.Load()
	if g == nil {
		return api.FederationResult{}, api.ErrGossipOff
	}
	m, found := g.pool.Member(name)
	switch {
	case !found:
		return api.FederationResult{}, fmt.Errorf("%w: force-leave %q: %w", api.ErrMemberNotFound, name, federation.ErrUnknownMember)
	case m.Status.Up():
		return api.FederationResult{}, fmt.Errorf("%w: force-leave %q: %w", api.ErrMemberRefused, name, federation.ErrMemberAlive)
	}
	payload, _ := json.Marshal(forceLeaveQuery{Name: name})
	res, err := g.pool.Query(ctx, queryKindForceLeave, payload, g.queryTimeout())
	if err != nil {
		return api.FederationResult{}, fmt.Errorf("force-leave %s: %w", name, err)
	}
	out := api.FederationResult{NoAnswer: res.NoAnswer}
	for _, a := range res.Answers {
		r := api.ServerResult{Server: a.Server, Error: a.Err}
		if a.Err == "" {
			if err := json.Unmarshal(a.Payload, &r.Result); err != nil {
				r.Error = fmt.Sprintf("undecodable answer: %v", err)
			}
		}
		out.Servers = append(out.Servers, r)
	}
	return out, nil
}

package node

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"fedsync/api"
	"fedsync/area"
	"fedsync/federation"
)

// Keyring operations reach every server of the federation as gossip
// queries (federation.Pool.Query): the administrator's token is checked once,
// by the server the CLI talks to, and the query itself is authenticated by
// the gossip keyring. A server changes its keyring only for a query asked
// by a server of its own area or of an ancestor area (the province's
// servers can rotate everyone's keys, a street's only its own); listing is
// answered to any member.

// queryKindKeyring is the kind of the keyring queries.
const queryKindKeyring = "keyring"

// keyringQuery is the payload of a keyring query.
type keyringQuery struct {
	Op  string `json:"op"`            // list, install, use, remove
	Key string `json:"key,omitempty"` // base64; not for list
}

// keyringQueryTimeout bounds the wait for every alive server's answer, at
// the default timings (divided by gossip.timing_scale).
const keyringQueryTimeout = 30 * time.Second

// answerQuery is the pool's federation.QueryHandler.
func (n *Node) answerQuery(from federation.Member, kind string, payload []byte) ([]byte, error) {
	if kind != queryKindKeyring {
		return nil, fmt.Errorf("unknown query kind %q", kind)
	}
	var q keyringQuery
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return nil, fmt.Errorf("keyring query: %w", err)
	}
	switch q.Op {
	case "list":
		k, err := n.Keyring()
		if err != nil {
			return nil, err
		}
		return json.Marshal(k)
	case "install", "use", "remove":
	default:
		return nil, fmt.Errorf("keyring query: operation %q (want list, install, use or remove)", q.Op)
	}
	if !from.Area.Contains(n.cfg.Area) {
		n.log.Warn("gossip keyring change refused: asked by a server outside this area's ancestors",
			"op", q.Op, "from", from.Name, "from_area", from.Area)
		return nil, fmt.Errorf("refused: keyring changes for %s (%s) must come from a server of that area or above; %s serves %s (%s)",
			n.cfg.Area, area.Name(n.cfg.Area), from.Name, from.Area, area.Name(from.Area))
	}
	k, err := n.KeyringChange(q.Op, q.Key)
	if err != nil {
		return nil, err
	}
	n.log.Info("gossip keyring changed by a federation query", "op", q.Op, "key", KeyFingerprint(q.Key), "asked_by", from.Name)
	return json.Marshal(k)
}

// keyringQuery sends one keyring query and decodes the answers.
func (n *Node) keyringQuery(ctx context.Context, g *gossipState, q keyringQuery) (api.FederationKeyring, error) {
	payload, _ := json.Marshal(q)
	timeout := time.Duration(float64(keyringQueryTimeout) / max(g.cfg.TimingScale, 1))
	res, err := g.pool.Query(ctx, queryKindKeyring, payload, timeout)
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
// remove a key on every alive server through gossip. use is refused while
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
	return n.keyringQuery(ctx, g, keyringQuery{Op: op, Key: key})
}

package node

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"fedsync/api"
	"fedsync/area"
	"fedsync/federation"
)

var _ api.MembershipBackend = (*Node)(nil)

// Members implements api.MembershipBackend.
func (n *Node) Members() ([]api.Member, error) {
	g := n.gossip.Load()
	if g == nil {
		return nil, api.ErrGossipOff
	}
	ms := g.pool.Members()
	out := make([]api.Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, api.Member{
			Name: m.Name, Area: m.Area, AreaName: area.Name(m.Area), Level: m.Level.String(),
			GossipAddr: m.GossipAddr, APIAddr: m.APIAddr, SyncAddr: m.SyncAddr, RaftAddr: m.RaftAddr,
			Status: m.Status.String(), RaftRole: m.RaftRole.String(), Group: m.Group.String(),
			Version: m.Version, Since: m.Since.UTC(),
		})
	}
	return out, nil
}

// Join implements api.MembershipBackend.
func (n *Node) Join(addrs []string) (int, error) {
	g := n.gossip.Load()
	if g == nil {
		return 0, api.ErrGossipOff
	}
	c, err := g.pool.Join(addrs)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, federation.ErrKeyMismatch), errors.Is(err, federation.ErrConflict),
		errors.Is(err, federation.ErrLeft), errors.Is(err, federation.ErrShutdown):
		return c, fmt.Errorf("%w: %w", api.ErrMemberRefused, err)
	}
	return c, fmt.Errorf("%w: %w", api.ErrMemberInput, err)
}

// Leave implements api.MembershipBackend: a graceful leave (others list
// this server as left), after which Done is closed and the agent stops.
func (n *Node) Leave() error {
	if err := n.leaveGossip(0); err != nil {
		if errors.Is(err, errGossipOff) {
			return api.ErrGossipOff
		}
		if !errors.Is(err, federation.ErrBroadcastTimeout) {
			return err
		}
		n.log.Warn("gossip leave not confirmed by peers in time; it keeps spreading", "err", err)
	}
	return nil
}

// ForceLeave implements api.MembershipBackend.
func (n *Node) ForceLeave(name string) error {
	g := n.gossip.Load()
	if g == nil {
		return api.ErrGossipOff
	}
	err := g.pool.ForceLeave(name)
	switch {
	case errors.Is(err, federation.ErrUnknownMember):
		return fmt.Errorf("%w: %w", api.ErrMemberNotFound, err)
	case errors.Is(err, federation.ErrMemberAlive):
		return fmt.Errorf("%w: %w", api.ErrMemberRefused, err)
	}
	return err
}

// Keyring implements api.MembershipBackend.
func (n *Node) Keyring() (api.Keyring, error) {
	g := n.gossip.Load()
	if g == nil {
		return api.Keyring{}, api.ErrGossipOff
	}
	return n.keyringOf(g), nil
}

func (n *Node) keyringOf(g *gossipState) api.Keyring {
	l := g.pool.ListKeys()
	k := api.Keyring{Server: n.cfg.Name, Primary: KeyFingerprint(l.Primary), File: g.cfg.KeyringFile}
	for _, key := range l.Keys {
		k.Keys = append(k.Keys, KeyFingerprint(key))
	}
	return k
}

// KeyFingerprint returns the first 8 bytes of SHA-256 of a base64 key, in
// hex: how keys are shown (the keys themselves never leave the server).
func KeyFingerprint(key string) string {
	b, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return "invalid"
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// KeyringChange implements api.MembershipBackend: install, use or remove a
// key, then save the keyring file (primary first) so a restart keeps it. A
// server on the development key has no file and refuses changes.
func (n *Node) KeyringChange(op, key string) (api.Keyring, error) {
	g := n.gossip.Load()
	if g == nil {
		return api.Keyring{}, api.ErrGossipOff
	}
	if g.cfg.KeyringFile == "" {
		return api.Keyring{}, fmt.Errorf("%w: this server runs on the development key (dev_insecure_key) and has no keyring file to change", api.ErrMemberRefused)
	}
	g.keyMu.Lock()
	defer g.keyMu.Unlock()
	var err error
	switch op {
	case "install":
		err = g.pool.InstallKey(key)
	case "use":
		err = g.pool.UseKey(key)
	case "remove":
		err = g.pool.RemoveKey(key)
	default:
		return api.Keyring{}, fmt.Errorf("%w: keyring operation %q (want install, use or remove)", api.ErrMemberInput, op)
	}
	switch {
	case errors.Is(err, federation.ErrBadKey):
		return api.Keyring{}, fmt.Errorf("%w: %w", api.ErrMemberInput, err)
	case errors.Is(err, federation.ErrKeyNotInstalled):
		return api.Keyring{}, fmt.Errorf("%w: %w", api.ErrMemberNotFound, err)
	case errors.Is(err, federation.ErrPrimaryKey):
		return api.Keyring{}, fmt.Errorf("%w: %w", api.ErrMemberRefused, err)
	case err != nil:
		return api.Keyring{}, err
	}
	if err := writeKeyring(g.cfg.KeyringFile, g.pool.ListKeys()); err != nil {
		return api.Keyring{}, fmt.Errorf("keyring %s changed in memory but not saved (a restart would lose it): %w", op, err)
	}
	n.log.Info("gossip keyring changed", "op", op, "key", KeyFingerprint(key))
	return n.keyringOf(g), nil
}

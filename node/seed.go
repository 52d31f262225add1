package node

import (
	"context"
	"fmt"

	"fedsync/area"
	"fedsync/registry"
	"fedsync/storage"
)

// seed writes the street's communities from the division data through raft
// (create mode: a community already present and unchanged is a no-op, so
// seeding on every start costs nothing and never overwrites an edit... of
// a community whose record differs: that one is reported and kept).
func (n *Node) seed(ctx context.Context) error {
	if !n.cfg.SeedCommunities || n.cfg.Area.Level() != area.LevelStreet {
		return nil
	}
	var muts []storage.Mutation
	for _, d := range area.Children(n.cfg.Area) {
		if _, err := n.store.Get(registry.KindCommunity, n.cfg.Area, string(d.Code)); err == nil {
			continue
		}
		body, err := registry.Encode(registry.Community{ID: string(d.Code), Code: d.Code, Name: d.Name, UrbanRural: d.UrbanRural})
		if err != nil {
			return err
		}
		muts = append(muts, storage.Mutation{Op: storage.OpPut, Mode: storage.ModeCreate, Kind: registry.KindCommunity, ID: string(d.Code), Body: body})
	}
	if len(muts) == 0 {
		return nil
	}
	res, err := n.Write(ctx, muts)
	if err != nil {
		return fmt.Errorf("seed communities: %w", err)
	}
	for i, r := range res {
		if r.Err != nil {
			return fmt.Errorf("seed community %s: %w", muts[i].ID, r.Err)
		}
	}
	n.log.Info("seeded communities from the division data", "count", len(muts))
	return nil
}

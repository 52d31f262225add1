package storage

import (
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// bucketServers is the node's address book: server name → ServerAddrs
// (value 0x01 then JSON). It is written only through raft, so every server
// of the node holds the same book; it travels in snapshots with the rest.
var bucketServers = []byte("servers")

// serverAddrsVersion is the first byte of an address-book value.
const serverAddrsVersion = 1

// ServerAddrs is one server of the node as the address book lists it: the
// addresses the node's other servers and its children dial.
type ServerAddrs struct {
	Name string `json:"name"`
	Raft string `json:"raft"`
	HTTP string `json:"http,omitempty"`
	Sync string `json:"sync,omitempty"`
	// Updated is the leader's time (Unix ns) of the raft entry that wrote it.
	Updated int64 `json:"updated"`
}

// PutServer records a (raft entry raftIndex) server's addresses, replacing
// what was listed under its name. An entry at or below the applied index
// is skipped (raft replay).
func (s *Store) PutServer(raftIndex uint64, a ServerAddrs) error {
	val, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("put server %s: %w", a.Name, err)
	}
	return s.serversUpdate(raftIndex, func(b *bolt.Bucket) error {
		return b.Put([]byte(a.Name), append([]byte{serverAddrsVersion}, val...))
	})
}

// DeleteServer removes a server from the address book (raft entry
// raftIndex); removing an absent name is no error.
func (s *Store) DeleteServer(raftIndex uint64, name string) error {
	return s.serversUpdate(raftIndex, func(b *bolt.Bucket) error { return b.Delete([]byte(name)) })
}

// ClearServers empties the address book outside raft: for a store file
// restored from a snapshot before any server opens it.
func (s *Store) ClearServers() error {
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketServers) == nil {
			return nil
		}
		return tx.DeleteBucket(bucketServers)
	})
}

func (s *Store) serversUpdate(raftIndex uint64, fn func(*bolt.Bucket) error) error {
	return s.update(func(tx *bolt.Tx) error {
		if raftIndex != 0 && raftIndex <= appliedIn(tx) {
			return nil
		}
		b, err := tx.CreateBucketIfNotExists(bucketServers)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		return setApplied(tx, raftIndex)
	})
}

// Servers returns the address book, by name.
func (s *Store) Servers() ([]ServerAddrs, error) {
	var out []ServerAddrs
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketServers)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) < 2 || v[0] != serverAddrsVersion {
				return fmt.Errorf("address book entry %q: %w", k, ErrCorrupt)
			}
			var a ServerAddrs
			if err := json.Unmarshal(v[1:], &a); err != nil {
				return fmt.Errorf("address book entry %q: %w: %v", k, ErrCorrupt, err)
			}
			out = append(out, a)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// ResetApplied sets the recorded raft index back to 0: for a store file
// restored from a snapshot into a server whose raft state starts afresh,
// so that the new group's entries (from index 1) apply.
func (s *Store) ResetApplied() error {
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaApplied) })
}

// AppliedIndex returns the raft index of the state the snapshot pins.
func (sn *Snapshot) AppliedIndex() uint64 { return appliedIn(sn.tx) }

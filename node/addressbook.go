package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"fedsync/storage"
)

// The address book lists, for every server of the node, the raft, HTTP and
// sync addresses the others dial: a follower forwards writes to the
// leader's HTTP address and tells children the leader's sync address. It
// lives in the store and changes only through raft (command type 7):
//
//	0x01 0x07 op(1: 1 put, 2 delete) time(8, BE Unix ns) JSON(storage.ServerAddrs)
//
// The leader writes an entry when it adds a voter, each new leader writes
// its own on gaining leadership (and the raft address of any member the
// book lacks), and remove-peer deletes one.
const (
	cmdAddrBook = 7

	addrPut    = 1
	addrDelete = 2
)

// maxAddrBookBytes bounds an address-book command.
const maxAddrBookBytes = 4 << 10

func encodeAddrBook(op byte, a storage.ServerAddrs) []byte {
	body, _ := json.Marshal(a) // strings and an int64: cannot fail
	b := make([]byte, 0, 11+len(body))
	b = append(b, commandVersion, cmdAddrBook, op)
	b = binary.BigEndian.AppendUint64(b, uint64(a.Updated))
	return append(b, body...)
}

func decodeAddrBook(b []byte) (byte, storage.ServerAddrs, error) {
	var a storage.ServerAddrs
	if len(b) < 11 || len(b) > maxAddrBookBytes || b[0] != commandVersion || b[1] != cmdAddrBook {
		return 0, a, fmt.Errorf("%w: address book header", errBadCommand)
	}
	op := b[2]
	if op != addrPut && op != addrDelete {
		return 0, a, fmt.Errorf("%w: address book op %d", errBadCommand, op)
	}
	if err := json.Unmarshal(b[11:], &a); err != nil {
		return 0, a, fmt.Errorf("%w: address book entry: %v", errBadCommand, err)
	}
	if a.Name == "" {
		return 0, a, fmt.Errorf("%w: address book entry without a name", errBadCommand)
	}
	a.Updated = int64(binary.BigEndian.Uint64(b[3:]))
	return op, a, nil
}

// applyAddrBook is the FSM's half of command type 7.
func (f *fsm) applyAddrBook(index uint64, b []byte) any {
	op, a, err := decodeAddrBook(b)
	if err != nil {
		return applyResult{err: fmt.Errorf("raft index %d: %w", index, err)}
	}
	if op == addrDelete {
		return applyResult{err: f.store.DeleteServer(index, a.Name)}
	}
	return applyResult{err: f.store.PutServer(index, a)}
}

// putAddrs writes a server's addresses through raft (leader only).
func (n *Node) putAddrs(a storage.ServerAddrs) error {
	a.Updated = time.Now().UnixNano()
	return n.applyCmd(encodeAddrBook(addrPut, a))
}

// deleteAddrs removes a server from the address book (leader only).
func (n *Node) deleteAddrs(name string) error {
	return n.applyCmd(encodeAddrBook(addrDelete, storage.ServerAddrs{Name: name, Updated: time.Now().UnixNano()}))
}

// applyCmd applies one command through raft and returns its error.
func (n *Node) applyCmd(cmd []byte) error {
	f := n.raft.Apply(cmd, n.cfg.ApplyTimeout.Duration)
	if err := f.Error(); err != nil {
		return fmt.Errorf("apply through raft: %w", err)
	}
	if res, ok := f.Response().(applyResult); ok && res.err != nil {
		return res.err
	}
	return nil
}

// selfAddrs is this server's address-book entry.
func (n *Node) selfAddrs() storage.ServerAddrs {
	a := storage.ServerAddrs{Name: n.cfg.Name, Raft: n.grp.advertise, HTTP: n.cfg.Raft.HTTPAdvertise, Sync: n.cfg.Raft.SyncAdvertise}
	if a.HTTP == "" {
		a.HTTP = n.HTTPAddr()
	}
	if a.Sync == "" {
		a.Sync = n.SyncAddr()
	}
	return a
}

// lookupAddrs returns the address-book entry of a server by name.
func (n *Node) lookupAddrs(name string) (storage.ServerAddrs, bool) {
	all, err := n.store.Servers()
	if err != nil {
		return storage.ServerAddrs{}, false
	}
	for _, a := range all {
		if a.Name == name {
			return a, true
		}
	}
	return storage.ServerAddrs{}, false
}

// leaderAddrs returns the current leader's address-book entry, when this
// server knows the leader and the book lists it.
func (n *Node) leaderAddrs() (storage.ServerAddrs, bool) {
	if n.raft == nil {
		return storage.ServerAddrs{}, false
	}
	_, id := n.raft.LeaderWithID()
	if id == "" {
		return storage.ServerAddrs{}, false
	}
	return n.lookupAddrs(string(id))
}

// onLeadership runs the leader's duties each time this server gains
// leadership, retrying until done or leadership ends: list itself in the
// address book (children and followers then find it) and seed a street's
// communities (idempotent).
func (n *Node) onLeadership(ctx context.Context) {
	for {
		err := n.leaderDuties(ctx)
		if err == nil {
			return
		}
		n.log.Warn("leader duties failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (n *Node) leaderDuties(ctx context.Context) error {
	if n.raft.State() != raft.Leader {
		return nil
	}
	self := n.selfAddrs()
	if cur, ok := n.lookupAddrs(self.Name); !ok || cur.Raft != self.Raft || cur.HTTP != self.HTTP || cur.Sync != self.Sync {
		if err := n.putAddrs(self); err != nil {
			return fmt.Errorf("list this server in the address book: %w", err)
		}
	}
	if err := n.ensureServerSecret(ctx); err != nil {
		return err
	}
	if err := n.listMembers(); err != nil {
		return err
	}
	return n.seed(ctx)
}

// listMembers lists, with their raft address only, the members of the
// configuration the address book lacks (a static group's followers that
// have not led yet); add-voter of such a member fills in its API and sync
// addresses.
func (n *Node) listMembers() error {
	servers, err := n.configuration()
	if err != nil {
		return err
	}
	for _, s := range servers {
		if _, ok := n.lookupAddrs(string(s.ID)); ok {
			continue
		}
		if err := n.putAddrs(storage.ServerAddrs{Name: string(s.ID), Raft: string(s.Address)}); err != nil {
			return fmt.Errorf("list %s in the address book: %w", s.ID, err)
		}
	}
	return nil
}

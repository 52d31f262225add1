package node

import (
	"fmt"
	"io"

	"github.com/hashicorp/raft"

	"fedsync/storage"
	"fedsync/sync/wire"
)

var _ raft.FSM = (*fsm)(nil)

// fsm applies raft entries to the store. The store records the raft index
// of the last entry applied in the same transaction, so a replay after a
// restart (raft replays from its last snapshot; NoSnapshotRestoreOnStart
// keeps our newer file) applies each entry exactly once.
type fsm struct {
	store  *storage.Store
	limits wire.Limits // for remote batches
	// applied is called after every applied entry (wakes the sender).
	applied func()
}

// applyResult is what Apply returns to the caller of raft.Apply.
type applyResult struct {
	results []storage.Result
	err     error
}

func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return applyResult{}
	}
	if f.applied != nil {
		defer f.applied()
	}
	if len(l.Data) >= 2 && l.Data[0] == commandVersion {
		switch l.Data[1] {
		case cmdRemoteBatch:
			return f.applyRemote(l.Index, l.Data)
		case cmdState:
			return f.applyState(l.Index, l.Data)
		case cmdPrune:
			return f.applyPrune(l.Index, l.Data)
		case cmdACL:
			return f.applyACL(l.Index, l.Data)
		case cmdAddrBook:
			return f.applyAddrBook(l.Index, l.Data)
		}
	}
	c, err := decodeCommandAny(l.Data)
	if err != nil {
		return applyResult{err: fmt.Errorf("raft index %d: %w", l.Index, err)}
	}
	res, err := f.store.ApplyLocal(l.Index, c.Time, c.Muts)
	return applyResult{results: res, err: err}
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	snap, err := f.store.BeginSnapshot()
	if err != nil {
		return nil, err
	}
	return fsmSnapshot{snap}, nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.store.Restore(rc)
}

type fsmSnapshot struct{ snap *storage.Snapshot }

func (s fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.snap.WriteTo(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s fsmSnapshot) Release() { s.snap.Release() }

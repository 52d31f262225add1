package storage

import (
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"
)

// WriteTo streams a consistent copy of the whole file (a bbolt snapshot)
// to w. Raft snapshots and `fedsync snapshot save` use it.
func (s *Store) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("snapshot store: %w", err)
	}
	return n, nil
}

// Restore replaces the whole file with the snapshot read from r. The
// snapshot is written beside the file, opened and checked (area, schema)
// before it replaces the live file; on any error the live file is kept.
func (s *Store) Restore(r io.Reader) error {
	tmp := s.path + ".restore"
	if err := writeFileSync(tmp, r); err != nil {
		removeFile(tmp)
		return fmt.Errorf("restore store: %w", err)
	}
	check := &Store{path: tmp, opts: s.opts, area: s.area}
	if err := check.open(); err != nil {
		removeFile(tmp)
		return fmt.Errorf("restore store: snapshot refused: %w", err)
	}
	check.db.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			return fmt.Errorf("restore store: close live file: %w", err)
		}
		s.db = nil
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("restore store: %w", err)
	}
	if err := s.open(); err != nil {
		return fmt.Errorf("restore store: reopen: %w", err)
	}
	return nil
}

func writeFileSync(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Snapshot is a consistent read view of the file taken at BeginSnapshot,
// to be streamed later (raft persists snapshots in another goroutine).
// Release must be called exactly once.
type Snapshot struct{ tx *bolt.Tx }

// BeginSnapshot opens a read transaction that pins the current state.
func (s *Store) BeginSnapshot() (*Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return nil, ErrClosed
	}
	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	return &Snapshot{tx: tx}, nil
}

// WriteTo streams the pinned state.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) { return sn.tx.WriteTo(w) }

// Release ends the read transaction.
func (sn *Snapshot) Release() { sn.tx.Rollback() }

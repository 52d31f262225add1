package storage

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// HoldStopped opens the store file at path read-only, without changing
// it, to hold it while a stopped server's files are replaced: the shared
// lock it takes excludes an agent's exclusive one. It returns ErrLocked
// when an agent holds the file (after timeout), and the function that
// lets the file go (safe to call more than once). A missing file is no
// error.
func HoldStopped(path string, timeout time.Duration) (func(), error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	switch {
	case errors.Is(err, os.ErrNotExist):
		return func() {}, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("hold store %s: %w", path, ErrLocked)
	case err != nil:
		return nil, fmt.Errorf("hold store %s: %w", path, err)
	}
	var once sync.Once
	return func() { once.Do(func() { db.Close() }) }, nil
}

package storage

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrations[v] upgrades a file from schema v to v+1 inside the opening
// transaction. A new layout appends a function here and bumps SchemaVersion;
// the old file of testdata/ proves the step (see migrate_test.go).
var migrations = map[uint64]func(*bolt.Tx) error{
	0: func(*bolt.Tx) error { return nil }, // new file: buckets made by initTx
	// 1→2: the floor bucket (pruned logs and state transfers). initTx has
	// already created it; an existing log has no floor (it starts at seq 1).
	1: func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketFloor)
		return err
	},
}

// migrate brings a file at schema version v up to SchemaVersion.
func migrate(tx *bolt.Tx, v uint64) error {
	if v > SchemaVersion {
		return fmt.Errorf("file has schema %d, this binary understands up to %d (upgrade fedsync): %w", v, SchemaVersion, ErrSchema)
	}
	for ; v < SchemaVersion; v++ {
		step, ok := migrations[v]
		if !ok {
			return fmt.Errorf("no migration from schema %d: %w", v, ErrSchema)
		}
		if err := step(tx); err != nil {
			return fmt.Errorf("migrate schema %d→%d: %w", v, v+1, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(metaSchema, u64(SchemaVersion))
}

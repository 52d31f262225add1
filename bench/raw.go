package bench

import (
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"fedsync/storage"
)

// RawBatch is the batch size of the raw baseline.
const RawBatch = 1000

// Raw is the raw bbolt baseline: the same record bodies as the main phase,
// written into one bare bbolt file (one bucket, key origin+id) in
// transactions of RawBatch records, with fsync unless the scenario turns
// it off. It is the most a single bbolt file takes on this machine, and
// what every replication rate is compared with.
type Raw struct {
	Records       int           `json:"records"`
	Bytes         int64         `json:"bytes"` // body bytes written
	Elapsed       time.Duration `json:"elapsed_ns"`
	RecordsPerSec float64       `json:"records_per_sec"`
	Sync          bool          `json:"fsync"`
}

// runRaw writes the shares' main records into dir/raw.db.
func runRaw(dir string, shares []share, noSync bool) (Raw, error) {
	db, err := bolt.Open(filepath.Join(dir, "raw.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: noSync})
	if err != nil {
		return Raw{}, fmt.Errorf("raw baseline: %w", err)
	}
	defer db.Close()
	r := Raw{Sync: !noSync}
	var batch []storage.Mutation
	var keys [][]byte
	flush := func() error {
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("org"))
			if err != nil {
				return err
			}
			for i, m := range batch {
				if err := b.Put(keys[i], m.Body); err != nil {
					return err
				}
			}
			return nil
		})
		r.Elapsed += time.Since(start)
		batch, keys = batch[:0], keys[:0]
		return err
	}
	for _, s := range shares {
		for _, m := range s.main {
			batch = append(batch, m)
			keys = append(keys, []byte(string(s.street)+m.ID))
			r.Records++
			r.Bytes += int64(len(m.Body))
			if len(batch) == RawBatch {
				if err := flush(); err != nil {
					return r, fmt.Errorf("raw baseline: %w", err)
				}
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return r, fmt.Errorf("raw baseline: %w", err)
		}
	}
	r.RecordsPerSec = rate(r.Records, r.Elapsed)
	return r, nil
}

// rate returns n per second over d (0 for no time).
func rate[N int | int64 | uint64](n N, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

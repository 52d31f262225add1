package node

import (
	"errors"
	"fmt"

	"fedsync/api"
	"fedsync/storage"
	"fedsync/sync/wire"
)

// ACLConfig is the [acl] table of the config: API tokens.
type ACLConfig struct {
	// Enabled requires a token on every /v1 route. Default true. false is
	// UNSAFE (every request acts as an admin) and for development only;
	// the agent warns at start.
	Enabled bool `toml:"enabled"`
	// MetricsWithoutToken serves GET /metrics without a token, for
	// scrapers that cannot send one. Default false (a viewer token).
	MetricsWithoutToken bool `toml:"metrics_without_token"`
}

// LimitsConfig is the [limits] table of the config: bounds on what
// untrusted clients and children may send. Each refusal names its limit.
type LimitsConfig struct {
	// MaxBodyBytes bounds an API request body, in bytes (413 above).
	// Default 8 MiB.
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// MaxBatch bounds the records of one POST /v1/batch. Default 1000.
	MaxBatch int `toml:"max_batch"`
	// MaxPageSize bounds ?limit= of list routes. Default 1000 (the most
	// the store serves).
	MaxPageSize int `toml:"max_page_size"`
	// RatePerSecond and RateBurst bound each token's API requests (429
	// with Retry-After above). RatePerSecond 0 means no limit. Defaults
	// 100 and 200.
	RatePerSecond float64 `toml:"rate_per_second"`
	RateBurst     int     `toml:"rate_burst"`
	// SyncMaxCompressedBytes, SyncMaxRawBytes and SyncMaxRatio bound a
	// child's sync batch: its compressed payload, its decompressed size
	// and the ratio between them (zip bombs). Defaults 16 MiB, 64 MiB
	// and 100.
	SyncMaxCompressedBytes int `toml:"sync_max_compressed_bytes"`
	SyncMaxRawBytes        int `toml:"sync_max_raw_bytes"`
	SyncMaxRatio           int `toml:"sync_max_ratio"`
	// SyncMaxEntries bounds the entries of one sync batch. Default 100000.
	SyncMaxEntries int `toml:"sync_max_entries"`
}

// DefaultACLConfig returns the [acl] defaults: tokens required.
func DefaultACLConfig() ACLConfig { return ACLConfig{Enabled: true} }

// DefaultLimitsConfig returns the [limits] defaults.
func DefaultLimitsConfig() LimitsConfig {
	w := wire.DefaultLimits()
	return LimitsConfig{
		MaxBodyBytes: api.DefaultMaxBodyBytes, MaxBatch: api.DefaultMaxBatch, MaxPageSize: storage.MaxPageSize,
		RatePerSecond: api.DefaultRatePerSecond, RateBurst: api.DefaultRateBurst,
		SyncMaxCompressedBytes: w.MaxCompressed, SyncMaxRawBytes: w.MaxRaw, SyncMaxRatio: w.MaxRatio, SyncMaxEntries: w.MaxEntries,
	}
}

// wire returns the sync-batch limits.
func (l LimitsConfig) wire() wire.Limits {
	w := wire.DefaultLimits()
	w.MaxCompressed, w.MaxRaw, w.MaxRatio, w.MaxEntries = l.SyncMaxCompressedBytes, l.SyncMaxRawBytes, l.SyncMaxRatio, l.SyncMaxEntries
	return w
}

// validate names every [limits] field out of range.
func (l LimitsConfig) validate() error {
	var errs []error
	if l.MaxBodyBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("limits.max_body_bytes: must be at least 1024, got %d", l.MaxBodyBytes))
	}
	if l.MaxBatch < 1 || l.MaxBatch > api.MaxBatchLimit {
		errs = append(errs, fmt.Errorf("limits.max_batch: must be 1..%d, got %d", api.MaxBatchLimit, l.MaxBatch))
	}
	if l.MaxPageSize < 1 || l.MaxPageSize > storage.MaxPageSize {
		errs = append(errs, fmt.Errorf("limits.max_page_size: must be 1..%d, got %d", storage.MaxPageSize, l.MaxPageSize))
	}
	if l.RatePerSecond < 0 || l.RateBurst < 1 {
		errs = append(errs, errors.New("limits.rate_per_second: must not be negative (0 = no limit), and rate_burst must be positive"))
	}
	if err := l.wire().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("limits.sync_*: %w", err))
	}
	return errors.Join(errs...)
}

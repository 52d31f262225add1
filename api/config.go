package api

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"fedsync/storage"
)

// Defaults of Config.
const (
	DefaultAddr         = "127.0.0.1:8420"
	DefaultMaxBodyBytes = 8 << 20 // 8 MiB
	DefaultMaxBatch     = 1000
	DefaultReadTimeout  = 60 * time.Second
	DefaultWriteTimeout = 5 * time.Minute
	DefaultRetryAfter   = 2 * time.Second

	// MaxBatchLimit bounds Config.MaxBatch: a batch is one raft entry and
	// must stay a reasonable size.
	MaxBatchLimit = 10000

	// DefaultRatePerSecond and DefaultRateBurst bound the requests of one
	// token (or, with ACLs off, of everyone).
	DefaultRatePerSecond = 100
	DefaultRateBurst     = 200
)

// Config configures a Server. Obtain one with DefaultConfig and change what
// you need; New fills zero fields from DefaultConfig and calls Validate.
type Config struct {
	// Addr is the TCP address ListenAndServe listens on, host:port. Serve
	// ignores it. Default DefaultAddr.
	Addr string
	// MaxBodyBytes bounds every request body, in bytes; a larger body is
	// answered 413. Single-record bodies are further bounded by
	// registry.MaxRecordBytes. Default 8 MiB.
	MaxBodyBytes int64
	// MaxBatch bounds the number of records in one POST /v1/batch, 1 to
	// MaxBatchLimit. Default 1000.
	MaxBatch int
	// ReadTimeout bounds reading a whole request, headers and body.
	// Default 60s.
	ReadTimeout time.Duration
	// WriteTimeout bounds handling a request and writing its answer. It
	// must leave room for POST /v1/verify on a large store. Default 5m.
	WriteTimeout time.Duration
	// RetryAfter is the Retry-After the API advertises when a write cannot
	// be applied now (not leader, shutting down, timeout). Default 2s.
	RetryAfter time.Duration
	// Logger receives one line per request and every recovered panic.
	// Default slog.Default().
	Logger *slog.Logger
	// Registry is where the API registers its metrics. Default: a new
	// private prometheus.Registry (then also the Gatherer).
	Registry prometheus.Registerer
	// Gatherer is what GET /metrics serves. Default: Registry when it is a
	// Gatherer (as *prometheus.Registry is).
	Gatherer prometheus.Gatherer
	// Now is the clock, used for the default summary year and echo
	// timestamps. Default time.Now.
	Now func() time.Time

	// ACLDisabled turns token checks off: every request acts as an
	// anonymous admin of the node's area. UNSAFE; for development only.
	// Default false (tokens required).
	ACLDisabled bool
	// MetricsOpen serves GET /metrics without a token, for Prometheus
	// scrapers that cannot send one. Default false (a viewer token).
	MetricsOpen bool
	// MaxPageSize bounds ?limit= of list routes, 1 to storage.MaxPageSize.
	// Default storage.MaxPageSize.
	MaxPageSize int
	// RatePerSecond and RateBurst bound each token's requests (a token
	// bucket per accessor); excess requests are answered 429 with
	// Retry-After. RatePerSecond < 0 means no limit. Defaults
	// DefaultRatePerSecond and DefaultRateBurst.
	RatePerSecond float64
	RateBurst     int
}

// DefaultConfig returns a Config with every field at its default and a new
// private metrics registry.
func DefaultConfig() Config {
	reg := prometheus.NewRegistry()
	return Config{
		Addr:         DefaultAddr,
		MaxBodyBytes: DefaultMaxBodyBytes,
		MaxBatch:     DefaultMaxBatch,
		ReadTimeout:  DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout,
		RetryAfter:   DefaultRetryAfter,
		Logger:       slog.Default(),
		Registry:     reg,
		Gatherer:     reg,
		Now:          time.Now,

		MaxPageSize:   storage.MaxPageSize,
		RatePerSecond: DefaultRatePerSecond,
		RateBurst:     DefaultRateBurst,
	}
}

// withDefaults returns c with its zero fields taken from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = d.RetryAfter
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = d.MaxPageSize
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = d.RatePerSecond
	}
	if c.RateBurst == 0 {
		c.RateBurst = d.RateBurst
	}
	return c.withRegistry(d)
}

// withRegistry fills Registry and Gatherer consistently: a private registry
// when neither is set, the Registry as Gatherer when it can gather.
func (c Config) withRegistry(d Config) Config {
	if c.Registry == nil && c.Gatherer == nil {
		c.Registry, c.Gatherer = d.Registry, d.Gatherer
	}
	if c.Gatherer == nil {
		if g, ok := c.Registry.(prometheus.Gatherer); ok {
			c.Gatherer = g
		}
	}
	return c
}

// Validate reports the first field of c that is out of range.
func (c Config) Validate() error {
	switch {
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("api config: MaxBodyBytes must be positive, got %d", c.MaxBodyBytes)
	case c.MaxBatch < 1 || c.MaxBatch > MaxBatchLimit:
		return fmt.Errorf("api config: MaxBatch must be 1..%d, got %d", MaxBatchLimit, c.MaxBatch)
	case c.ReadTimeout < 0:
		return fmt.Errorf("api config: ReadTimeout must not be negative, got %s", c.ReadTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("api config: WriteTimeout must not be negative, got %s", c.WriteTimeout)
	case c.RetryAfter < 0:
		return fmt.Errorf("api config: RetryAfter must not be negative, got %s", c.RetryAfter)
	case c.Logger == nil:
		return errors.New("api config: Logger is nil")
	case c.Registry == nil:
		return errors.New("api config: Registry is nil")
	case c.Gatherer == nil:
		return errors.New("api config: Gatherer is nil and Registry is not a prometheus.Gatherer")
	case c.Now == nil:
		return errors.New("api config: Now is nil")
	case c.MaxPageSize < 1 || c.MaxPageSize > storage.MaxPageSize:
		return fmt.Errorf("api config: MaxPageSize must be 1..%d, got %d", storage.MaxPageSize, c.MaxPageSize)
	case c.RateBurst < 1:
		return fmt.Errorf("api config: RateBurst must be positive, got %d", c.RateBurst)
	}
	return nil
}

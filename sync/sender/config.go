package sender

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/klauspost/compress/zstd"

	"fedsync/area"
	"fedsync/storage"
	"fedsync/sync/proto"
	"fedsync/sync/wire"
)

// Source is the change log a Sender reads: the node's store
// (*storage.Store satisfies it). Both methods must be safe to call while
// the log grows.
type Source interface {
	// Watermarks returns every origin's highest seq and its chain.
	Watermarks() ([]storage.Watermark, error)
	// Entries calls fn for origin's entries from seq from on, in order and
	// with Chain filled in, until fn returns false or the log ends.
	Entries(origin area.Code, from uint64, fn func(storage.Entry) bool) error
}

// Config configures a Sender. Zero fields take their defaults (DefaultConfig)
// in New; Area, Dialer and Source are required.
type Config struct {
	// Area is this node's area. Every origin of the source inside it (its
	// own included) is sent. Required.
	Area area.Code
	// Server is this server's name, sent in the hello for the parent's logs.
	Server string
	// Dialer opens sessions to the parent node's leader. Required.
	Dialer proto.Dialer
	// Source is the log to send. Required.
	Source Source

	// MaxBatchEntries bounds the entries of one batch. Default 4096; at
	// most Limits.MaxEntries.
	MaxBatchEntries int
	// MaxBatchBytes bounds the raw (uncompressed) payload of one batch, in
	// bytes. Default 4 MiB; at most Limits.MaxRaw. One entry larger than it
	// is still sent, alone.
	MaxBatchBytes int
	// MaxInFlight bounds the batches sent and not yet acknowledged.
	// Default 8.
	MaxInFlight int
	// PerOriginQuantum bounds the entries one origin adds to a batch in a
	// round-robin pass over the origins with entries waiting; an origin gets
	// more only when every other's waiting entries are in. Default 1024.
	PerOriginQuantum int

	// BackoffMin and BackoffMax bound the wait before redialing after a
	// failed session and before re-sending an origin whose range the parent
	// refused: BackoffMin doubled per consecutive failure, capped at
	// BackoffMax, with full jitter (a uniform wait in [0, cap)). Defaults
	// 100ms and 5s: a child resumes within a few seconds of its parent's
	// return, however long the outage.
	BackoffMin, BackoffMax time.Duration
	// Poll is how often the source is checked for new entries besides
	// Notify. Default 200ms.
	Poll time.Duration
	// AckTimeout bounds how long the oldest outstanding batch (and a Send)
	// may wait before the session is declared dead. Default 2m.
	AckTimeout time.Duration
	// KeepAlive is how long a session may stay idle (nothing sent) before
	// the sender pings the parent, when the session supports it
	// (proto.Pinger). Pings keep the link open and tell the parent the
	// subtree is alive. Default 30s; it must stay below the parent's link
	// idle timeout (2m by default).
	KeepAlive time.Duration

	// Level is the zstd level of batches; zero means zstd.SpeedDefault.
	Level zstd.EncoderLevel
	// Limits are the wire limits every batch must meet: the parent's. Zero
	// fields mean wire.DefaultLimits.
	Limits wire.Limits

	// Logger receives the sender's logs. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time (status times, refusal backoff, ack
	// timeout). Default time.Now.
	Now func() time.Time
	// Rand returns a uniform float in [0, 1) for jitter; it is called from
	// Run's goroutine only. Default math/rand/v2 Float64.
	Rand func() float64
}

// Defaults of Config.
const (
	DefaultMaxBatchEntries  = 4096
	DefaultMaxBatchBytes    = 4 << 20
	DefaultMaxInFlight      = 8
	DefaultPerOriginQuantum = 1024
	DefaultBackoffMin       = 100 * time.Millisecond
	DefaultBackoffMax       = 5 * time.Second
	DefaultPoll             = 200 * time.Millisecond
	DefaultAckTimeout       = time.Minute
	DefaultKeepAlive        = 30 * time.Second
)

// DefaultConfig returns a Config with every default set; the caller adds
// Area, Server, Dialer and Source.
func DefaultConfig() Config {
	return Config{
		MaxBatchEntries:  DefaultMaxBatchEntries,
		MaxBatchBytes:    DefaultMaxBatchBytes,
		MaxInFlight:      DefaultMaxInFlight,
		PerOriginQuantum: DefaultPerOriginQuantum,
		BackoffMin:       DefaultBackoffMin,
		BackoffMax:       DefaultBackoffMax,
		Poll:             DefaultPoll,
		AckTimeout:       DefaultAckTimeout,
		KeepAlive:        DefaultKeepAlive,
		Limits:           wire.DefaultLimits(),
		Logger:           slog.Default(),
		Now:              time.Now,
		Rand:             rand.Float64,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.MaxBatchEntries, d.MaxBatchEntries)
	setInt(&c.MaxBatchBytes, d.MaxBatchBytes)
	setInt(&c.MaxInFlight, d.MaxInFlight)
	setInt(&c.PerOriginQuantum, d.PerOriginQuantum)
	for _, f := range []struct{ v, d *time.Duration }{
		{&c.BackoffMin, &d.BackoffMin}, {&c.BackoffMax, &d.BackoffMax},
		{&c.Poll, &d.Poll}, {&c.AckTimeout, &d.AckTimeout}, {&c.KeepAlive, &d.KeepAlive},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	c.Limits = withLimitDefaults(c.Limits)
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Rand == nil {
		c.Rand = d.Rand
	}
	return c
}

// withLimitDefaults fills l's zero fields from wire.DefaultLimits.
func withLimitDefaults(l wire.Limits) wire.Limits {
	d := wire.DefaultLimits()
	for _, f := range []struct{ v, d *int }{
		{&l.MaxCompressed, &d.MaxCompressed}, {&l.MaxRaw, &d.MaxRaw},
		{&l.MaxRatio, &d.MaxRatio}, {&l.RatioFreeRaw, &d.RatioFreeRaw},
		{&l.MaxEntries, &d.MaxEntries}, {&l.MaxEntryBody, &d.MaxEntryBody},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	return l
}

// Validate checks c after defaults are applied and names the first bad
// field.
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if err := c.Limits.Validate(); err != nil {
		return fmt.Errorf("%w: Limits: %w", ErrConfig, err)
	}
	switch {
	case !c.Area.Valid() || c.Area.Level() == area.LevelProvince:
		return bad("Area %q must be a valid area below the province (a node with a parent)", c.Area)
	case c.Dialer == nil:
		return bad("Dialer is required")
	case c.Source == nil:
		return bad("Source is required")
	case c.MaxBatchEntries < 1 || c.MaxBatchEntries > c.Limits.MaxEntries:
		return bad("MaxBatchEntries %d must be in 1..Limits.MaxEntries (%d)", c.MaxBatchEntries, c.Limits.MaxEntries)
	case c.MaxBatchBytes < 1 || c.MaxBatchBytes > c.Limits.MaxRaw:
		return bad("MaxBatchBytes %d must be in 1..Limits.MaxRaw (%d)", c.MaxBatchBytes, c.Limits.MaxRaw)
	case c.MaxInFlight < 1:
		return bad("MaxInFlight %d must be at least 1", c.MaxInFlight)
	case c.PerOriginQuantum < 1:
		return bad("PerOriginQuantum %d must be at least 1", c.PerOriginQuantum)
	case c.BackoffMin < 0 || c.BackoffMax < c.BackoffMin:
		return bad("backoff %v..%v: need 0 <= BackoffMin <= BackoffMax", c.BackoffMin, c.BackoffMax)
	case c.Poll < 0 || c.AckTimeout < 0 || c.KeepAlive < 0:
		return bad("Poll %v, AckTimeout %v and KeepAlive %v must not be negative", c.Poll, c.AckTimeout, c.KeepAlive)
	case c.Level != 0 && (c.Level < zstd.SpeedFastest || c.Level > zstd.SpeedBestCompression):
		return bad("Level %d is not a zstd level", c.Level)
	}
	return nil
}

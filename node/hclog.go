package node

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// newHCLogger adapts slog for raft (which logs through hclog).
func newHCLogger(l *slog.Logger, name string) hclog.Logger {
	return &hcAdapter{l: l.With("component", name), name: name}
}

type hcAdapter struct {
	l    *slog.Logger
	name string
	args []any
}

var hcLevels = map[hclog.Level]slog.Level{
	hclog.Trace: slog.LevelDebug - 4, hclog.Debug: slog.LevelDebug, hclog.Info: slog.LevelInfo,
	hclog.Warn: slog.LevelWarn, hclog.Error: slog.LevelError,
}

func (a *hcAdapter) Log(level hclog.Level, msg string, args ...any) {
	a.l.Log(context.Background(), hcLevels[level], msg, append(a.args, args...)...)
}
func (a *hcAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hcAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hcAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hcAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hcAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }
func (a *hcAdapter) enabled(l hclog.Level) bool {
	return a.l.Enabled(context.Background(), hcLevels[l])
}
func (a *hcAdapter) IsTrace() bool         { return a.enabled(hclog.Trace) }
func (a *hcAdapter) IsDebug() bool         { return a.enabled(hclog.Debug) }
func (a *hcAdapter) IsInfo() bool          { return a.enabled(hclog.Info) }
func (a *hcAdapter) IsWarn() bool          { return a.enabled(hclog.Warn) }
func (a *hcAdapter) IsError() bool         { return a.enabled(hclog.Error) }
func (a *hcAdapter) ImpliedArgs() []any    { return a.args }
func (a *hcAdapter) Name() string          { return a.name }
func (a *hcAdapter) SetLevel(hclog.Level)  {}
func (a *hcAdapter) GetLevel() hclog.Level { return hclog.Info }
func (a *hcAdapter) With(args ...any) hclog.Logger {
	return &hcAdapter{l: a.l, name: a.name, args: append(append([]any{}, a.args...), args...)}
}
func (a *hcAdapter) Named(name string) hclog.Logger {
	return &hcAdapter{l: a.l, name: a.name + "." + name, args: a.args}
}
func (a *hcAdapter) ResetNamed(name string) hclog.Logger {
	return &hcAdapter{l: a.l, name: name, args: a.args}
}
func (a *hcAdapter) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(a.l.Handler(), slog.LevelInfo)
}
func (a *hcAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) { a.l.Info(string(p)); return len(p), nil })
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

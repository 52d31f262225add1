package federation

import (
	"context"
	"log"
	"log/slog"
	"strings"
)

// newStdLogger adapts slog for memberlist, which logs through a *log.Logger
// with lines such as "[WARN] memberlist: Refuting a suspect message".
func newStdLogger(l *slog.Logger) *log.Logger {
	return log.New(logWriter{l: l}, "", 0)
}

type logWriter struct{ l *slog.Logger }

// memberlist's level prefixes. Lines without one (a few "Err: ..." lines)
// log at Warn.
var logLevels = map[string]slog.Level{
	"[TRACE]": slog.LevelDebug - 4, "[DEBUG]": slog.LevelDebug, "[INFO]": slog.LevelInfo,
	"[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[ERROR]": slog.LevelError,
}

func (w logWriter) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\r\n")
	level := slog.LevelWarn
	if i := strings.IndexByte(msg, ' '); i > 0 {
		if l, ok := logLevels[msg[:i]]; ok {
			level, msg = l, msg[i+1:]
		}
	}
	msg = strings.TrimPrefix(msg, "memberlist: ")
	w.l.Log(context.Background(), level, msg, "lib", "memberlist")
	return len(p), nil
}

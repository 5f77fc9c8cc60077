package supervisor

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Level is a log verbosity; each level includes the ones before it.
type Level int

// The levels, quietest first. The default is LevelWarn: silent when all is well.
const (
	LevelError Level = iota
	LevelWarn
	LevelInfo
	LevelDebug
)

// ParseLevel reads HERMES_INIT_LOG_LEVEL.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "error":
		return LevelError, nil
	case "warn", "warning":
		return LevelWarn, nil
	case "info":
		return LevelInfo, nil
	case "debug":
		return LevelDebug, nil
	}
	return LevelWarn, fmt.Errorf("unknown log level %q (want error, warn, info or debug)", s)
}

// Logger writes "hermes-init: ..." lines. Lines are written whole under a lock
// so that concurrent goroutines never interleave inside a line.
type Logger struct {
	mu    sync.Mutex
	w     io.Writer
	level Level
}

// NewLogger returns a logger writing to w at the given level.
func NewLogger(w io.Writer, level Level) *Logger { return &Logger{w: w, level: level} }

// Enabled reports whether messages at l are written.
func (l *Logger) Enabled(lv Level) bool { return l != nil && lv <= l.level }

func (l *Logger) logf(lv Level, prefix, format string, args ...any) {
	if !l.Enabled(lv) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "hermes-init: %s%s\n", prefix, msg)
}

// Errorf logs a failure.
func (l *Logger) Errorf(format string, args ...any) { l.logf(LevelError, "error: ", format, args...) }

// Warnf logs something wrong that hermes-init works around.
func (l *Logger) Warnf(format string, args ...any) { l.logf(LevelWarn, "warning: ", format, args...) }

// Infof logs a decision worth knowing once (the cgroup mode, a service start).
func (l *Logger) Infof(format string, args ...any) { l.logf(LevelInfo, "", format, args...) }

// Debugf logs detail: each signal, each reap.
func (l *Logger) Debugf(format string, args ...any) { l.logf(LevelDebug, "debug: ", format, args...) }

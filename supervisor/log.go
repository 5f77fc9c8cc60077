package supervisor

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
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
	msg := Escape(fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "hermes-init: %s%s\n", prefix, msg)
}

// Escape makes s safe for one log line: whatever it quotes (a path, a
// profile or service name, an argv, an error that names them) may come from
// a user that can create files or run programs, and must not start a line of
// its own, move the cursor, recolour the terminal or reverse the text that
// follows. Control characters (newline, carriage return, tab, ESC, DEL, the
// C1 range) become \n, \r, \t or \xNN, the bidirectional overrides and
// isolates (U+202A-U+202E, U+2066-U+2069) and the marks U+200E, U+200F,
// U+061C become \uNNNN, and a byte that is not UTF-8 becomes \xNN. Every log
// line of hermes-init goes through it, whole.
func Escape(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune) bool {
	switch {
	case r == utf8.RuneError, r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// Errorf logs a failure.
func (l *Logger) Errorf(format string, args ...any) { l.logf(LevelError, "error: ", format, args...) }

// Warnf logs something wrong that hermes-init works around.
func (l *Logger) Warnf(format string, args ...any) { l.logf(LevelWarn, "warning: ", format, args...) }

// Infof logs a decision worth knowing once (the cgroup mode, a service start).
func (l *Logger) Infof(format string, args ...any) { l.logf(LevelInfo, "", format, args...) }

// Debugf logs detail: each signal, each reap.
func (l *Logger) Debugf(format string, args ...any) { l.logf(LevelDebug, "debug: ", format, args...) }

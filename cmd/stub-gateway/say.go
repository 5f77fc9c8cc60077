package main

import (
	"fmt"
	"io"
	"sync"
)

// lines writes whole lines to one stream. Each line goes out in one Write
// under a lock, so the flood and the lifecycle messages never cut into each
// other, even past the pipe's atomic-write size.
type lines struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// printf writes one line: "stub-gateway: " and the formatted text.
func (l *lines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf[:0], "stub-gateway: "...)
	l.buf = fmt.Appendf(l.buf, format, args...)
	l.buf = append(l.buf, '\n')
	// A failed write has nowhere to be reported; a closed pipe kills us
	// with SIGPIPE as it would kill the real gateway.
	_, _ = l.w.Write(l.buf)
}

// say prints one lifecycle line that names the profile and the stub's pid:
// "stub-gateway: profile=default pid=42 state=running".
func (s *stub) say(format string, args ...any) {
	s.out.printf("profile=%s pid=%d "+format, append([]any{s.profile, s.pid}, args...)...)
}

// warn reports an optional step that failed, on stderr, and goes on.
func (s *stub) warn(format string, args ...any) {
	s.errOut.printf("profile=%s pid=%d warning: "+format, append([]any{s.profile, s.pid}, args...)...)
}

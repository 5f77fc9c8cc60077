package svclog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The defaults of a zero Options field: the image's `s6-log n10 s1000000`.
const (
	DefaultMaxBytes = 1_000_000
	DefaultKeep     = 10
	DefaultMaxLine  = 64 << 10
	DefaultQueue    = 8192
)

const (
	// maxMaxLine keeps a line well inside the queues' byte bounds.
	maxMaxLine = 1 << 20
	// fileQueueBytes bounds the memory one sink's file queue may hold.
	fileQueueBytes = 2 << 20
	// readerWait bounds how long Close waits for a pipe's writers to close
	// it: a tool the service left behind may hold it for ever.
	readerWait = 2 * time.Second
	// writerWait bounds how long Close waits for the file writer to finish
	// (a hung filesystem).
	writerWait = 5 * time.Second
)

// ErrClosed is returned by Pipe after Close, and by NewSink after Fan.Close.
var ErrClosed = errors.New("log sink is closed")

// Options configure a Sink. Zero limits take the defaults above; UID and GID
// 0 are root, -1 leaves them.
type Options struct {
	Prefix string // put before every stdout line and message: "[gateway-default] "
	// Dir is the absolute log directory, e.g. /opt/data/logs/gateways/default;
	// "" logs to stdout only.
	Dir string
	// Root is the directory below which Dir must be reached without following
	// symlinks (HERMES_HOME); Root itself may be one. Dir's components under
	// Root are created 0755 if missing.
	Root     string
	MaxBytes int64 // rotate current before it would grow past this (0: DefaultMaxBytes)
	Keep     int   // archives kept (0: DefaultKeep; < 0: none)
	UID, GID int   // owner of created directories and files (-1: leave)
	Stdout   bool  // copy lines to the Fan
	// MaxLine is the longest line kept whole (0: DefaultMaxLine, at most
	// 1 MiB); a longer one is split into several full lines, never merged
	// with another line.
	MaxLine int
	Queue   int // the file queue, in lines (0: DefaultQueue)
	// Logf takes hermes-init's warnings about this sink (the caller's logger
	// adds "hermes-init: warning: "). nil discards them.
	Logf func(format string, args ...any)
}

// Sink is one service's log: it outlives restarts of the service, each of
// which gets a fresh pipe from Pipe.
type Sink struct {
	fan     *Fan
	prefix  []byte
	stdout  bool
	maxLine int
	logf    func(string, ...any)
	file    *fileLog // nil: no file (none asked for, or it was refused)
	fileQ   *queue

	mu       sync.Mutex
	closed   bool
	lastRead chan struct{} // closed when the newest pipe's reader has ended
	readers  sync.WaitGroup
	waits    map[*os.File]struct{} // readers waiting for data (reader.go)
	stopping atomic.Bool           // Close gave up waiting for EOF

	dropped       atomic.Uint64 // lines that missed at least one destination
	droppedFile   atomic.Uint64
	droppedStdout atomic.Uint64

	reportMu       sync.Mutex
	reportedFile   uint64
	reportedStdout uint64
}

// NewSink returns the sink for one service. It fails only on bad options or
// a closed Fan: a log directory that cannot be used (a symlink on the way,
// permissions, a lock held by another logger) is reported through o.Logf,
// and the sink then logs to stdout only.
func (f *Fan) NewSink(o Options) (*Sink, error) {
	o, rel, err := o.check()
	if err != nil {
		return nil, err
	}
	s := &Sink{
		fan:     f,
		prefix:  []byte(o.Prefix),
		stdout:  o.Stdout,
		maxLine: o.MaxLine,
		logf:    o.Logf,
		waits:   make(map[*os.File]struct{}),
	}
	if !f.register(s) {
		return nil, ErrClosed
	}
	if o.Dir != "" {
		s.openFile(o, rel)
	}
	return s, nil
}

// check fills in defaults and returns Dir relative to Root.
func (o Options) check() (Options, string, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	switch {
	case o.Keep == 0:
		o.Keep = DefaultKeep
	case o.Keep < 0:
		o.Keep = 0
	}
	if o.MaxLine <= 0 {
		o.MaxLine = DefaultMaxLine
	}
	o.MaxLine = min(o.MaxLine, maxMaxLine)
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Dir == "" {
		return o, "", nil
	}
	if !filepath.IsAbs(o.Dir) || !filepath.IsAbs(o.Root) {
		return o, "", fmt.Errorf("log directory %q and its root %q must be absolute paths", o.Dir, o.Root)
	}
	rel, err := filepath.Rel(o.Root, o.Dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return o, "", fmt.Errorf("log directory %s is not below %s", o.Dir, o.Root)
	}
	return o, rel, nil
}

// openFile sets up the log directory, or says why the sink goes without it.
func (s *Sink) openFile(o Options, rel string) {
	l, err := openFileLog(o, rel)
	if err != nil {
		rest := "logging to stdout only"
		if !s.stdout {
			rest = "its output is discarded"
		}
		s.logf("%sunable to log to %s: %v; %s", o.Prefix, o.Dir, err, rest)
		return
	}
	l.prefix, l.logf = o.Prefix, o.Logf
	s.file = l
	// The queue holds at least two longest lines, whatever fileQueueBytes says.
	s.fileQ = newQueue(o.Queue, max(fileQueueBytes, 2*(o.MaxLine+1)))
	go l.run(s.fileQ)
}

// Pipe returns the write end of a fresh pipe to hand to a new process as fd 1
// and 2; the sink reads the other end until EOF (every writer, the service and
// whatever it forked, has closed it). The caller closes its copy of w after
// the fork.
//
// w is in blocking mode, as a service expects its stdout: O_NONBLOCK belongs
// to the open file, so it would reach the service, which would then fail with
// EAGAIN whenever the pipe is full (Python raises BlockingIOError). Only our
// read end is non-blocking.
func (s *Sink) Pipe() (w *os.File, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("unable to create log pipe for %s: %w", s.name(), err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, fmt.Errorf("unable to create log pipe for %s: %w", s.name(), err)
	}
	// Best effort: a smaller pipe only means less slack (fs.pipe-max-size
	// and pipe-user-pages-soft may refuse it).
	_, _ = unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, pipeSize)
	// The reader of a new life waits for the previous life's reader, so that
	// the tail of one run never comes after the head of the next.
	prev, done := s.lastRead, make(chan struct{})
	s.lastRead = done
	s.readers.Add(1)
	go s.read(p[0], prev, done)
	return os.NewFile(uintptr(p[1]), "|1"), nil
}

// Dropped returns how many lines of this sink missed the file, stdout or both
// because a queue was full.
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

// Close is for after the service is gone for good. It waits up to readerWait
// for the pipes to reach EOF, then stops reading them once they are empty (a
// leftover tool may hold one open for ever), waits for the file writer to
// write what is queued, and reports the drops. Lines already queued for
// stdout are the Fan's.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	if !waitGroup(&s.readers, readerWait) {
		s.mu.Lock()
		s.stopping.Store(true)
		for f := range s.waits {
			_ = f.SetReadDeadline(time.Unix(1, 0)) // in the past: the wait ends now
		}
		s.mu.Unlock()
		if !waitGroup(&s.readers, readerWait) {
			// Cannot happen: a stopped reader reads at most pipeSize more.
			// A reader may still send, so the file queue stays open.
			return fmt.Errorf("close log of %s: a pipe reader did not stop", s.name())
		}
	}
	var err error
	if s.file != nil {
		close(s.fileQ.ch) // no reader is left to send
		select {
		case <-s.file.done:
		case <-time.After(writerWait):
			err = fmt.Errorf("close log %s: writer still busy after %v", s.file.dir.path, writerWait)
		}
	}
	s.fan.unregister(s)
	s.reportDrops()
	if n := s.dropped.Load(); n > 0 {
		s.logf("%slog closed: %d lines dropped in all (file %d, stdout %d)",
			s.prefix, n, s.droppedFile.Load(), s.droppedStdout.Load())
	}
	return err
}

// reportDrops says how many lines each destination dropped since the last
// report.
func (s *Sink) reportDrops() {
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	if n := s.droppedFile.Load(); n > s.reportedFile {
		s.logf("%sdropped %d lines: output faster than file could take it", s.prefix, n-s.reportedFile)
		s.reportedFile = n
	}
	if n := s.droppedStdout.Load(); n > s.reportedStdout {
		s.logf("%sdropped %d lines: output faster than stdout could take it", s.prefix, n-s.reportedStdout)
		s.reportedStdout = n
	}
}

// name is the prefix without its brackets, for errors.
func (s *Sink) name() string {
	return strings.Trim(string(s.prefix), "[] ")
}

// waitGroup waits for wg for at most d and reports whether it is done.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

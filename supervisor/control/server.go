package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Defaults of ServerOptions.
const (
	DefaultMode           os.FileMode = 0o660
	DefaultMaxConns                   = 8
	DefaultReadTimeout                = 5 * time.Second
	DefaultFirstByte                  = time.Second
	DefaultRequestTimeout             = 60 * time.Second
)

const (
	// writeTimeout bounds the write of one reply: a client that does not read
	// its reply must not hold a connection slot.
	writeTimeout = 5 * time.Second
	// handlerGrace is how long a Handler may overrun its context before the
	// server answers without it.
	handlerGrace = time.Second
	// shutdownWait bounds how long Serve waits for connections in flight once
	// its context is done.
	shutdownWait = 3 * time.Second
)

// ServerOptions configure Listen. Zero values take the defaults noted.
type ServerOptions struct {
	Path           string               // default DefaultSocketPath
	Mode           os.FileMode          // permission bits of the socket file; default 0660
	GID            int                  // group of the socket file (the gateway's); -1 keeps the creator's
	AllowUIDs      []int                // uids served besides root
	DefaultTimeout time.Duration        // bound of a start, stop, restart or wait without timeout_ms; default 60s
	MaxConns       int                  // connections served at once for each uid; default 8
	ReadTimeout    time.Duration        // how long a client has to send its request; default 5s
	FirstByte      time.Duration        // how long it has to send the first byte of it; default 1s (at most ReadTimeout)
	Logf           func(string, ...any) // where refusals and recovered panics are reported; nil discards
}

// Server is a listening control socket.
type Server struct {
	o     ServerOptions
	ln    *net.UnixListener
	mu    sync.Mutex  // guards conns
	conns map[int]int // connections being served, by the peer's uid
	wg    sync.WaitGroup
	once  sync.Once
	cerr  error
	rate  rateLimiter
}

// Listen creates the control socket. It creates the parent directory (0755)
// when missing, and replaces a stale socket left by an earlier hermes-init;
// anything else at the path (a regular file, a symlink, a socket somebody
// still serves) is an error, never removed.
func Listen(o ServerOptions) (*Server, error) {
	o = withDefaults(o)
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
		return nil, fmt.Errorf("unable to create the control socket's directory: %w", err)
	}
	if err := removeStale(o.Path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: o.Path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("unable to listen on %s: %w", o.Path, err)
	}
	// Between bind and chmod the file has the umask's mode: the SO_PEERCRED
	// check still guards that instant.
	if err := restrict(o); err != nil {
		ln.Close()
		return nil, err
	}
	return &Server{o: o, ln: ln, conns: map[int]int{}}, nil
}

func withDefaults(o ServerOptions) ServerOptions {
	if o.Path == "" {
		o.Path = DefaultSocketPath
	}
	if o.Mode == 0 {
		o.Mode = DefaultMode
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultRequestTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.FirstByte <= 0 {
		o.FirstByte = DefaultFirstByte
	}
	o.FirstByte = min(o.FirstByte, o.ReadTimeout)
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// removeStale removes a socket file nobody serves. A socket that accepts a
// connection belongs to a running server (another hermes-init in the same
// container, say): taking its path would cut it off, so that is an error.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unable to inspect %s: %w", path, err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("unable to listen on %s: %s is in the way (only a stale socket is removed)", path, describeType(fi.Mode()))
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("unable to listen on %s: another process is serving it", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("unable to tell whether %s is stale: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("unable to remove the stale socket %s: %w", path, err)
	}
	return nil
}

func describeType(m os.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case os.ModeSymlink:
		return "a symlink"
	case os.ModeDir:
		return "a directory"
	case os.ModeNamedPipe:
		return "a FIFO"
	}
	return "a " + m.Type().String() + " file"
}

// restrict gives the socket file its group, then its mode.
func restrict(o ServerOptions) error {
	if o.GID >= 0 {
		if err := os.Lchown(o.Path, -1, o.GID); err != nil {
			return fmt.Errorf("unable to give %s the group %d: %w", o.Path, o.GID, err)
		}
	}
	if err := os.Chmod(o.Path, o.Mode.Perm()); err != nil {
		return fmt.Errorf("unable to set the mode of %s: %w", o.Path, err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.o.Path }

// Serve accepts connections and hands their requests to h until ctx is done
// or the server is closed; then it closes the listener (removing the socket
// file), waits briefly for the connections in flight, and returns nil. It
// returns an error only when accepting fails for good.
func (s *Server) Serve(ctx context.Context, h Handler) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	err := s.acceptLoop(ctx, h)
	s.Close()
	s.drain()
	return err
}

func (s *Server) acceptLoop(ctx context.Context, h Handler) error {
	var backoff time.Duration
	for {
		conn, err := s.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if !isTemporary(err) {
				return fmt.Errorf("unable to accept on %s: %w", s.o.Path, err)
			}
			// EMFILE and kin: back off as net/http does, never spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.rate.logf(s.o.Logf, "accept", "control: accept on %s: %v; retrying in %v", s.o.Path, err, backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		backoff = 0
		s.admit(ctx, conn, h)
	}
}

func isTemporary(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// admit checks the peer and its uid's connection budget, then serves the
// connection in a goroutine of its own. Refusals are answered here: one short
// reply to a fresh socket never blocks. Each uid has a budget of its own, so
// that the gateway's uid (whatever an agent's tools run as) holding
// connections open never keeps root, and so Docker's HEALTHCHECK, out.
func (s *Server) admit(ctx context.Context, conn *net.UnixConn, h Handler) {
	uid, pid, err := peerCred(conn)
	if err != nil {
		s.rate.logf(s.o.Logf, "peer", "control: unable to read the peer's credentials: %v", err)
		conn.Close()
		return
	}
	if !s.allowed(uid) {
		s.rate.logf(s.o.Logf, "refused", "control: refused uid %d (pid %d)", uid, pid)
		s.reject(conn, Response{Code: CodeRefused, Error: s.refusal(uid)})
		return
	}
	if !s.take(uid) {
		s.rate.logf(s.o.Logf, "busy", "control: uid %d has %d connections in flight; answered pid %d busy", uid, s.o.MaxConns, pid)
		s.reject(conn, Response{Code: CodeBusy, Error: fmt.Sprintf("hermes-init is serving %d control connections of uid %d; try again", s.o.MaxConns, uid)})
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(uid)
		s.serveConn(ctx, conn, h, uid)
	}()
}

// take counts a connection of uid in, unless its budget is spent.
func (s *Server) take(uid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[uid] >= s.o.MaxConns {
		return false
	}
	s.conns[uid]++
	return true
}

func (s *Server) release(uid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[uid]--; s.conns[uid] <= 0 {
		delete(s.conns, uid)
	}
}

func (s *Server) reject(conn *net.UnixConn, r Response) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	writeResponse(conn, r)
	conn.Close()
}

// drain waits for the connections in flight, bounded: their contexts are
// done, so a well-behaved Handler returns at once.
func (s *Server) drain() {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownWait):
		s.o.Logf("control: connections still in flight after %v; not waiting for them", shutdownWait)
	}
}

// Close stops listening and removes the socket file. Connections in flight
// are not interrupted; Serve waits for them.
func (s *Server) Close() error {
	s.once.Do(func() { s.cerr = s.ln.Close() })
	return s.cerr
}

// rateLimiter keeps a flood of refused or idle connections from flooding the
// init's log: one line per kind per interval, with the count of those left out.
type rateLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	left map[string]int
}

const logInterval = 10 * time.Second

func (r *rateLimiter) logf(logf func(string, ...any), kind, format string, args ...any) {
	r.mu.Lock()
	if r.last == nil {
		r.last, r.left = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if now.Sub(r.last[kind]) < logInterval {
		r.left[kind]++
		r.mu.Unlock()
		return
	}
	n := r.left[kind]
	r.last[kind], r.left[kind] = now, 0
	r.mu.Unlock()
	if n > 0 {
		format += fmt.Sprintf(" (%d more like this not logged)", n)
	}
	logf(format, args...)
}

package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// peerPollInterval is how often a pending operation checks whether its
// client is still there.
const peerPollInterval = 250 * time.Millisecond

// errClientGone is the cancel cause of an operation whose client hung up.
var errClientGone = errors.New("the client hung up")

// peerCred returns the uid and pid of the process at the other end, as the
// kernel recorded them at connect(2).
func peerCred(conn *net.UnixConn) (uid, pid int, err error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *unix.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if serr != nil {
		return 0, 0, fmt.Errorf("getsockopt SO_PEERCRED: %w", serr)
	}
	return int(cred.Uid), int(cred.Pid), nil
}

func (s *Server) allowed(uid int) bool {
	return uid == 0 || slices.Contains(s.o.AllowUIDs, uid)
}

// refusal is the message a peer that may not connect reads.
func (s *Server) refusal(uid int) string {
	who := []string{"root"}
	for _, u := range s.o.AllowUIDs {
		if u != 0 {
			who = append(who, fmt.Sprintf("uid %d", u))
		}
	}
	return fmt.Sprintf("uid %d may not control services (allowed: %s)", uid, strings.Join(who, ", "))
}

// serveConn answers the one request of an admitted connection.
func (s *Server) serveConn(ctx context.Context, conn *net.UnixConn, h Handler, uid int) {
	defer conn.Close()
	req, err := s.readRequest(conn)
	var resp Response
	switch {
	case err != nil:
		resp = Response{Code: errorCode(err), Error: err.Error()}
	case req.Op == OpHalt && uid != 0:
		// Stopping the container is root's, as writing to
		// s6-linux-init-shutdownd's fifo is under s6-overlay.
		resp = Response{Code: CodeRefused, Error: fmt.Sprintf("uid %d may not halt the container (root only)", uid)}
	default:
		resp = s.dispatch(ctx, conn, h, req)
	}
	conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	writeResponse(conn, resp)
}

// readRequest reads and decodes the request line, reading at most
// MaxRequestSize+1 bytes: its first byte within FirstByte, the whole within
// ReadTimeout, so that a connection that says nothing is let go soon.
func (s *Server) readRequest(conn *net.UnixConn) (Request, error) {
	start := time.Now()
	br := bufio.NewReader(io.LimitReader(conn, MaxRequestSize+1))
	conn.SetReadDeadline(start.Add(s.o.FirstByte))
	limit := s.o.FirstByte
	_, err := br.Peek(1)
	if err == nil {
		conn.SetReadDeadline(start.Add(s.o.ReadTimeout))
		limit = s.o.ReadTimeout
	}
	var line []byte
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		line, err = br.ReadBytes('\n')
	}
	switch {
	case err == nil:
		line = line[:len(line)-1]
	case len(line) > MaxRequestSize:
		return Request{}, badRequest("request too large (more than %d bytes)", MaxRequestSize)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Request{}, badRequest("no complete request within %v", limit)
	case errors.Is(err, io.EOF) && len(line) > 0:
		// The client shut down its write side without the "\n": take what came.
	case errors.Is(err, io.EOF):
		return Request{}, badRequest("empty request (want one JSON object and a newline)")
	default:
		return Request{}, badRequest("unable to read the request: %v", err)
	}
	return decodeRequest(line)
}

// dispatch hands the request to the Handler in a goroutine of its own, so that
// a Handler that panics is answered "internal" and one that overruns its
// context is abandoned instead of holding the connection.
func (s *Server) dispatch(ctx context.Context, conn *net.UnixConn, h Handler, req Request) Response {
	timeout := s.o.DefaultTimeout
	if req.TimeoutMillis > 0 {
		timeout = time.Duration(req.TimeoutMillis) * time.Millisecond
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	defer cancelTimeout()
	if req.Op != OpStatus && req.Op != OpHealth {
		go watchPeer(ctx, conn, cancel)
	}
	done := make(chan Response, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				s.o.Logf("control: %s: recovered from a panic in the handler: %v\n%s", describe(req), p, debug.Stack())
				done <- Response{Code: CodeInternal, Error: fmt.Sprintf("%s: internal error in hermes-init (see its log)", describe(req))}
			}
		}()
		done <- call(ctx, h, req, timeout)
	}()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		return r
	case <-time.After(handlerGrace):
	}
	if errors.Is(context.Cause(ctx), errClientGone) {
		return Response{Code: CodeFailed, Error: errClientGone.Error()} // nobody reads it
	}
	s.o.Logf("control: %s: the handler did not return %v after its context ended", describe(req), handlerGrace)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Response{Code: CodeTimeout, Error: fmt.Sprintf("%s: no answer within %v", describe(req), timeout)}
	}
	return Response{Code: CodeInternal, Error: fmt.Sprintf("%s: no answer from the supervisor (hermes-init is shutting down?)", describe(req))}
}

func describe(req Request) string {
	switch {
	case req.Op == OpWait:
		return fmt.Sprintf("wait %s %s", req.Profile, req.State)
	case req.Op == OpSignal:
		return fmt.Sprintf("signal %s %s", req.Signal, req.Profile)
	case req.Op == OpScan && req.Prune:
		return "scan (prune)"
	case req.Profile != "":
		return req.Op + " " + req.Profile
	}
	return req.Op
}

// call runs the request against the Handler and builds the reply.
func call(ctx context.Context, h Handler, req Request, timeout time.Duration) Response {
	var (
		slot SlotStatus
		err  error
	)
	switch req.Op {
	case OpStatus:
		st := h.Status()
		return Response{OK: true, Status: &st}
	case OpHealth:
		ok, detail := h.Health()
		return Response{OK: true, Healthy: &ok, Detail: detail}
	case OpStart:
		slot, err = h.Start(ctx, req.Profile)
	case OpStop:
		slot, err = h.Stop(ctx, req.Profile)
	case OpRestart:
		slot, err = h.Restart(ctx, req.Profile)
	case OpWait:
		slot, err = h.Wait(ctx, req.Profile, req.State == WantUp)
	case OpUp, OpOnce:
		slot, err = h.Up(ctx, req.Profile, req.Op == OpOnce)
	case OpDown:
		slot, err = h.Down(ctx, req.Profile)
	case OpSignal:
		sig, _ := ParseSignal(req.Signal) // Validate has checked it
		slot, err = h.Signal(ctx, req.Profile, sig)
	case OpHalt:
		err = h.Halt()
	}
	r := Response{OK: err == nil}
	if slot.Name != "" {
		r.Status = &Status{Slots: []SlotStatus{slot}}
	}
	if req.Op == OpScan {
		var st Status
		st, err = h.Scan(ctx, req.Prune)
		r = Response{OK: err == nil, Status: &st}
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrUnknownProfile):
		r.Code, r.Error = CodeUnknownProfile, err.Error()
	case errors.Is(err, ErrBusy):
		r.Code, r.Error = CodeBusy, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		r.Code, r.Error = CodeTimeout, fmt.Sprintf("%s: timed out after %v", describe(req), timeout)
		if slot.Name != "" {
			r.Error += fmt.Sprintf(" (%s is %s)", slot.Name, slot.State)
		}
	default:
		r.Code, r.Error = CodeFailed, err.Error()
	}
	return r
}

// watchPeer cancels a pending operation when its client has closed the
// connection. POLLHUP on a unix stream socket means the peer closed both
// directions; a peer that only shut down its write side (SHUT_WR, as
// `nc -N` does) still waits for its reply and is not counted as gone.
func watchPeer(ctx context.Context, conn *net.UnixConn, gone context.CancelCauseFunc) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	t := time.NewTicker(peerPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hup := false
		err := rc.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
			n, err := unix.Poll(fds, 0)
			hup = err == nil && n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
		})
		if err != nil {
			return // the connection is closed: the operation is over
		}
		if hup {
			gone(errClientGone)
			return
		}
	}
}

// writeResponse sends r and its newline in one write. A client that went
// away is not an error anyone could act on.
func writeResponse(conn *net.UnixConn, r Response) {
	b, err := json.Marshal(r)
	if err != nil { // no Response field can fail to marshal; keep the client informed anyway
		b, _ = json.Marshal(Response{Code: CodeInternal, Error: "unable to encode the reply: " + err.Error()})
	}
	conn.Write(append(b, '\n'))
}

package s6compat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

// ControlDir is s6-svscan's control directory in a scan directory; the
// pointer to hermes-init's socket lives there.
const ControlDir = ".s6-svscan"

// SocketLink is the name, in ControlDir, of the symlink to the control socket
// of the hermes-init that serves the scan directory.
const SocketLink = "hermes-init.sock"

// requestTimeout bounds one exchange that does not wait for a state.
const requestTimeout = 30 * time.Second

// errNotListening: nothing supervises the directory (s6's "supervisor not
// listening", "s6-supervise not running").
var errNotListening = errors.New("supervisor not listening")

// socketOf returns the control socket that serves scandir.
func socketOf(scandir string) (string, error) {
	link := filepath.Join(scandir, ControlDir, SocketLink)
	target, err := os.Readlink(link)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", errNotListening
	case err != nil:
		return "", fmt.Errorf("read %s: %w", link, err)
	case !filepath.IsAbs(target):
		target = filepath.Join(filepath.Dir(link), target)
	}
	return target, nil
}

// service is one service directory and the hermes-init that supervises it.
type service struct {
	dir  string // as given
	name string // its name in the scan directory
	sock string
}

// locate finds who supervises the service directory dir. A missing
// directory is an os.ErrNotExist error, as s6 reports it.
func locate(dir string) (service, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return service{}, unwrapPath(err)
	}
	if !fi.IsDir() {
		return service{}, syscall.ENOTDIR
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return service{}, err
	}
	sock, err := socketOf(filepath.Dir(abs))
	if err != nil {
		return service{}, err
	}
	return service{dir: dir, name: filepath.Base(abs), sock: sock}, nil
}

// call sends one request; a socket nobody serves is errNotListening.
func call(ctx context.Context, sock string, req control.Request) (control.Response, error) {
	resp, err := control.Call(ctx, sock, req)
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return resp, errNotListening
	}
	return resp, err
}

// status returns the service's status; errNotListening when hermes-init does
// not supervise a service of exactly that name.
func (s service) status(ctx context.Context) (control.SlotStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := call(ctx, s.sock, control.Request{Op: control.OpStatus})
	if err != nil {
		return control.SlotStatus{}, err
	}
	if !resp.OK || resp.Status == nil {
		return control.SlotStatus{}, replyError(resp)
	}
	for _, st := range resp.Status.Slots {
		if st.Name == s.name {
			return st, nil
		}
	}
	return control.SlotStatus{}, errNotListening
}

// do sends an op about the service and waits for its reply.
func (s service) do(ctx context.Context, req control.Request) (control.SlotStatus, error) {
	req.Profile = s.name
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	resp, err := call(ctx, s.sock, req)
	if err != nil {
		return control.SlotStatus{}, err
	}
	var st control.SlotStatus
	if resp.Status != nil && len(resp.Status.Slots) == 1 {
		st = resp.Status.Slots[0]
	}
	if !resp.OK {
		return st, replyError(resp)
	}
	return st, nil
}

// replyError turns a refusal into an error; an unknown service is
// errNotListening.
func replyError(r control.Response) error {
	switch r.Code {
	case control.CodeUnknownProfile:
		return errNotListening
	case control.CodeTimeout:
		return context.DeadlineExceeded
	}
	if r.Error == "" {
		return fmt.Errorf("request failed (%s)", r.Code)
	}
	return errors.New(r.Error)
}

// unwrapPath strips an *os.PathError: the messages name the path themselves.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// controlFailure is the exit status and message of a failed control request
// about dir: 100 when nothing supervises it, else 111.
func controlFailure(o IO, prog, dir string, err error) int {
	if errors.Is(err, errNotListening) {
		return fatal(o, prog, exitUsage, "unable to control %s: supervisor not listening", dir)
	}
	return fatal(o, prog, exitSys, "unable to control %s: %v", dir, err)
}

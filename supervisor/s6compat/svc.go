package s6compat

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

const svcUsage = "s6-svc [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] [ -abqhkti12pcyroduDUxOQ ] servicedir"

// svcSignals are the s6-svc options that send one signal.
var svcSignals = map[byte]syscall.Signal{
	'a': syscall.SIGALRM, 'b': syscall.SIGABRT, 'q': syscall.SIGQUIT, 'h': syscall.SIGHUP,
	'k': syscall.SIGKILL, 't': syscall.SIGTERM, 'i': syscall.SIGINT, '1': syscall.SIGUSR1,
	'2': syscall.SIGUSR2, 'p': syscall.SIGSTOP, 'c': syscall.SIGCONT, 'y': syscall.SIGWINCH,
	// -r restarts by killing: with the default down-signal, SIGTERM.
	'r': syscall.SIGTERM,
}

func runSvc(args []string, o IO) int {
	const prog = "s6-svc"
	opts, rest, bad := getopt(args, "abqhkti12pcyroduDUxOQT:w:")
	if bad != 0 || len(rest) == 0 {
		return usage(o, prog, svcUsage)
	}
	if len(rest) > 1 {
		warn(o, prog, "ignoring extra arguments")
	}
	var (
		cmds    []byte
		waitFor byte
		timeout time.Duration
	)
	for _, op := range opts {
		switch op.c {
		case 'T':
			ms, err := strconv.ParseUint(op.arg, 10, 32)
			if err != nil {
				return usage(o, prog, svcUsage)
			}
			timeout = time.Duration(ms) * time.Millisecond
		case 'w':
			if len(op.arg) != 1 || !containsByte("dDuUrR", op.arg[0]) {
				return usage(o, prog, svcUsage)
			}
			waitFor = op.arg[0]
		default:
			cmds = append(cmds, op.c)
		}
	}
	dir := rest[0]
	svc, err := locate(dir)
	if err != nil {
		return controlFailure(o, prog, dir, err)
	}
	ctx := context.Background()
	if _, err := svc.status(ctx); err != nil {
		return controlFailure(o, prog, dir, err)
	}
	if (waitFor == wantUpReady || waitFor == wantRestartRd) && !hasNotificationFD(dir) {
		// As s6-svc does for a service without notification-fd.
		warn(o, prog, "%s/notification-fd not supported - ignoring request for readiness notification", dir)
		waitFor += 'a' - 'A'
	}
	for _, c := range cmds {
		if err := svc.command(ctx, o, c); err != nil {
			return controlFailure(o, prog, dir, err)
		}
	}
	if waitFor == 0 {
		return exitOK
	}
	wctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	switch err := svc.waitFor(wctx, waitFor); {
	case err == nil:
		return exitOK
	case errors.Is(err, context.DeadlineExceeded):
		return fatal(o, prog, exitTimeout, "timed out")
	case errors.Is(err, errFailed):
		return fatal(o, prog, 1, "%s failed permanently", dir)
	default:
		return controlFailure(o, prog, dir, err)
	}
}

// command carries out one s6-svc letter.
func (s service) command(ctx context.Context, o IO, c byte) error {
	if sig, ok := svcSignals[c]; ok {
		_, err := s.do(ctx, control.Request{Op: control.OpSignal, Signal: strconv.Itoa(int(sig))})
		return err
	}
	switch c {
	case 'u':
		_, err := s.do(ctx, control.Request{Op: control.OpUp})
		return err
	case 'U':
		s.downFile(o, false)
		_, err := s.do(ctx, control.Request{Op: control.OpUp})
		return err
	case 'o':
		_, err := s.do(ctx, control.Request{Op: control.OpOnce})
		return err
	case 'd':
		_, err := s.do(ctx, control.Request{Op: control.OpDown})
		return err
	case 'D':
		s.downFile(o, true)
		_, err := s.do(ctx, control.Request{Op: control.OpDown})
		return err
	case 'O', 'Q':
		if c == 'Q' {
			s.downFile(o, true)
		}
		return s.onceAtMost(ctx)
	case 'x':
		// hermes-init's supervision of a service never exits: nothing to do
		// (docs/s6.md).
		return nil
	}
	return nil
}

// onceAtMost is -O: a running service is not restarted when it dies, a
// stopped one is not started.
func (s service) onceAtMost(ctx context.Context) error {
	st, err := s.status(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Pid > 0:
		// once on a running service only marks it: it is not restarted.
		_, err = s.do(ctx, control.Request{Op: control.OpOnce})
	case st.Want == control.WantUp:
		_, err = s.do(ctx, control.Request{Op: control.OpDown}) // a pending restart is dropped
	}
	return err
}

// downFile creates or removes the service directory's down file, as
// s6-supervise does for -D and -U; like it, it only warns when it cannot.
func (s service) downFile(o IO, create bool) {
	p := filepath.Join(s.dir, "down")
	var err error
	if create {
		var f *os.File
		if f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
			err = f.Close()
		}
	} else if err = os.Remove(p); os.IsNotExist(err) {
		err = nil
	}
	if err != nil {
		warn(o, "s6-svc", "%v", err)
	}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// hasNotificationFD reports whether the service directory declares a
// readiness notification fd.
func hasNotificationFD(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "notification-fd"))
	return err == nil
}

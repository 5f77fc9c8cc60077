package s6compat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/control"
)

const svscanctlUsage = "s6-svscanctl [ -zabhitqnN ] scandir"

// scanTimeout bounds a scan; with prune it includes stopping the services
// whose directory is gone (each within hermes-init's grace).
const scanTimeout = 2 * time.Minute

func runSvscanctl(args []string, o IO) int {
	const prog = "s6-svscanctl"
	opts, rest, bad := getopt(args, "zabhitqnN")
	if bad != 0 || len(rest) == 0 {
		return usage(o, prog, svscanctlUsage)
	}
	scandir := rest[0]
	var scan, prune, term bool
	for _, op := range opts {
		switch op.c {
		case 'a':
			scan = true
		case 'h':
			scan, prune = true, true
		case 'n', 'N':
			prune = true
		case 't', 'i', 'q':
			term = true
		case 'b':
			return fatal(o, prog, exitUsage, "-b (exec into .s6-svscan/finish at once) is not supported by hermes-init; use -t")
		case 'z':
			// hermes-init reaps on every SIGCHLD: nothing to trigger.
		}
	}
	fi, err := os.Stat(scandir)
	if err == nil && !fi.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		return fatal(o, prog, exitSys, "unable to control %s: %v", scandir, unwrapPath(err))
	}
	sock, err := socketOf(scandir)
	if err != nil {
		return controlFailure(o, prog, scandir, err)
	}
	if scan || prune {
		ctx, cancel := context.WithTimeout(context.Background(), scanTimeout)
		defer cancel()
		resp, err := call(ctx, sock, control.Request{Op: control.OpScan, Prune: prune})
		if err == nil && !resp.OK {
			err = replyError(resp)
		}
		if err != nil {
			return controlFailure(o, prog, scandir, err)
		}
	}
	if term {
		if err := terminate(sock); err != nil {
			return controlFailure(o, prog, scandir, err)
		}
	}
	return exitOK
}

// terminate is -t: hermes-init stops every service and exits, as on SIGTERM
// (a container stop). The signal goes to the process that serves the socket,
// as the kernel names it to a peer, so only root (or its own user) can.
func terminate(sock string) error {
	c, err := net.Dial("unix", sock)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return errNotListening
		}
		return err
	}
	defer c.Close()
	rc, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("SO_PEERCRED: %w", cerr)
	}
	if cred.Pid <= 0 {
		return errors.New("hermes-init's pid is not visible from here")
	}
	if err := unix.Kill(int(cred.Pid), unix.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM to hermes-init (pid %d): %w", cred.Pid, err)
	}
	return nil
}

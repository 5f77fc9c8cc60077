package supervisor

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// RunSpawnHelper is hermes-init re-executed as "__spawn": it joins the service's
// cgroups, sets the ignored signals and credentials, restores the signal mask
// hermes-init was started with, and execs the service in its own place (same
// pid). It only returns on failure, with 126 (cannot execute, or cannot join
// the cgroup: starting outside it would let the service escape) or 127.
func RunSpawnHelper(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(earlysignal.HelperCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	join := fs.String("join", "", "cgroup.procs files to join, comma separated")
	ignore := fs.String("ignore", "", "signal numbers to set to SIG_IGN")
	uid := fs.Int("uid", -1, "user id")
	gid := fs.Int("gid", -1, "group id")
	groups := fs.String("groups", "", "supplementary group ids")
	mask := fs.String("mask", "", "signal mask to exec with, hex")
	if err := fs.Parse(args); err != nil || fs.NArg() < 2 {
		fmt.Fprintln(stderr, "hermes-init: spawn helper: bad arguments (internal)")
		return ExitCannotExec
	}
	path, argv := fs.Arg(0), fs.Args()[1:]
	fail := func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "hermes-init: %s\n", Escape(fmt.Sprintf(format, a...)))
		return status
	}
	self := strconv.Itoa(os.Getpid())
	for _, f := range splitList(*join) {
		if err := os.WriteFile(f, []byte(self), 0); err != nil {
			return fail(ExitCannotExec, "cannot start %q: join cgroup %s: %v", path, f, err)
		}
	}
	for _, n := range splitList(*ignore) {
		if v, err := strconv.Atoi(n); err == nil {
			setIgnored(syscall.Signal(v))
		}
	}
	// A stop that reached us before the Go runtime was up was recorded by the
	// entry stub: honour it now rather than start a service that was stopped.
	if p := earlysignal.TakePending(); p != 0 {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
			if p&(1<<(sig-1)) != 0 {
				_ = unix.Kill(os.Getpid(), sig)
			}
		}
	}
	if *uid >= 0 {
		if err := dropPrivileges(*uid, *gid, *groups); err != nil {
			return fail(ExitCannotExec, "cannot start %q: %v", path, err)
		}
	}
	runtime.LockOSThread()
	if *mask != "" {
		// The runtime unblocked some signals on this thread: the service gets
		// the mask hermes-init was started with.
		var set unix.Sigset_t
		set.Val[0], _ = strconv.ParseUint(*mask, 16, 64)
		_ = unix.PthreadSigmask(unix.SIG_SETMASK, &set, nil)
	}
	err := unix.Exec(path, argv, os.Environ())
	status := ExitCannotExec
	if errors.Is(err, unix.ENOENT) {
		status = ExitNotFound
	}
	return fail(status, "cannot run %q: %v", path, err)
}

// setIgnored sets sig to SIG_IGN with rt_sigaction itself: os/signal cannot
// ignore the fault signals, and the disposition must survive the exec that
// follows.
func setIgnored(sig syscall.Signal) {
	act := [4]uint64{1} // struct kernel_sigaction{handler: SIG_IGN}
	_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act[0])), 0, 8, 0, 0)
}

func dropPrivileges(uid, gid int, groups string) error {
	if groups != "" || gid >= 0 {
		var gs []int
		for _, g := range splitList(groups) {
			v, err := strconv.Atoi(g)
			if err != nil {
				return fmt.Errorf("bad group id %q", g)
			}
			gs = append(gs, v)
		}
		if err := unix.Setgroups(gs); err != nil {
			return fmt.Errorf("setgroups %v: %w", gs, err)
		}
	}
	if gid >= 0 {
		if err := unix.Setresgid(gid, gid, gid); err != nil {
			return fmt.Errorf("setgid %d: %w", gid, err)
		}
	}
	if err := unix.Setresuid(uid, uid, uid); err != nil {
		return fmt.Errorf("setuid %d: %w", uid, err)
	}
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

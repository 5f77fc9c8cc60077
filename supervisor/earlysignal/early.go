package earlysignal

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SIGRTMIN3 is SIGRTMIN+3 in the C libraries' numbering (glibc's SIGRTMIN is
// 34): the stop signal of systemd and of `podman run --systemd`.
const SIGRTMIN3 = syscall.Signal(37)

// HelperCommand is the first argument that turns hermes-init into its spawn
// helper (see package supervisor). The helper must not catch signals: until it
// execs the service, a signal sent to the service must act on it.
const HelperCommand = "__spawn"

// AsInitName is argv[0]'s last element when hermes-init is installed as
// s6-overlay's /init; then all its arguments are the container's command.
const AsInitName = "init"

// c receives every signal hermes-init handles; the runtime coalesces repeats of
// a signal that is already queued, so the buffer only has to cover bursts of
// different signals.
var c = make(chan os.Signal, 256)

var (
	active         bool
	ignoredAtStart [65]bool
	keptIgnored    [65]bool // still SIG_IGN in this process, so fork keeps it
)

// passiveNames are the argv[0] names under which hermes-init is a short-lived
// client tool (the s6 command surface) rather than an init. The list lives here
// because this package's init runs before any package that could extend it.
var passiveNames = map[string]bool{
	"s6-svc": true, "s6-svstat": true, "s6-svscanctl": true, "s6-svwait": true,
	"s6-setuidgid": true, "with-contenv": true, "s6-log": true,
	"printcontenv": true, "halt": true, "execlineb": true, "s6-sleep": true,
}

func init() {
	active = isInit(os.Args)
	if !active {
		return
	}
	readDispositions()
	// Stop signals and those the runtime would die or crash from come first:
	// each signal is enabled by a round trip to the runtime's signal thread, and
	// until SIGTERM is enabled the runtime would end PID 1 (see doc.go).
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, SIGRTMIN3, syscall.SIGCHLD, syscall.SIGHUP,
		syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGSYS, syscall.SIGILL, syscall.SIGTRAP, syscall.Signal(16))
	for n := 1; n <= 64; n++ {
		sig := syscall.Signal(n)
		switch {
		case !catchable(sig):
		case ignoredAtStart[n] && !isStop(sig) && sig != syscall.SIGCHLD:
			// Whoever started us ignores it: so do we, and so will our children
			// (an ignored disposition survives fork and exec).
			signal.Ignore(sig)
			keptIgnored[n] = disposition(sig) == 1
		default:
			signal.Notify(c, sig)
		}
	}
	redeliver(atomic.SwapUint64(&earlyPending, 0))
}

// isInit reports whether this invocation is the init itself (flags or "--"
// after the program name) rather than a subcommand or a client tool.
func isInit(args []string) bool {
	if len(args) == 0 || passiveNames[filepath.Base(args[0])] {
		return false
	}
	if filepath.Base(args[0]) == AsInitName {
		return true // s6-overlay's /init: every argument is the command's
	}
	for _, a := range args[1:] {
		if a == "--" {
			break // the command's own arguments
		}
		if strings.HasPrefix(a, "-test.") {
			return false // a go test binary that links this package
		}
	}
	return len(args) == 1 || strings.HasPrefix(args[1], "-")
}

// catchable reports whether hermes-init registers for sig. SIGKILL and SIGSTOP
// cannot be caught; SIGURG is the runtime's preemption signal (golang/go#37942)
// and SIGPROF its profiler's; 32-34 are reserved for C library threading and
// the runtime will not hand them to os/signal.
func catchable(sig syscall.Signal) bool {
	switch {
	case sig == syscall.SIGKILL, sig == syscall.SIGSTOP, sig == syscall.SIGURG, sig == syscall.SIGPROF:
		return false
	case sig >= 32 && sig <= 34:
		return false
	}
	return sig >= 1 && sig <= 64
}

func isStop(sig syscall.Signal) bool {
	return sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == SIGRTMIN3
}

// readDispositions learns which signals were ignored when we were exec'd. The
// entry stub recorded all of them; without it, only SIGHUP and SIGINT (which the
// runtime leaves ignored) and the job-control signals plus SIGCONT (which it
// does not touch before Notify) can still be read.
func readDispositions() {
	if StubActive() {
		for n := 1; n <= 64; n++ {
			ignoredAtStart[n] = dispAtEntry[n] == 1 // SIG_IGN
		}
		return
	}
	ignoredAtStart[syscall.SIGHUP] = signal.Ignored(syscall.SIGHUP)
	ignoredAtStart[syscall.SIGINT] = signal.Ignored(syscall.SIGINT)
	for _, sig := range []syscall.Signal{syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU} {
		ignoredAtStart[sig] = disposition(sig) == 1
	}
}

// disposition returns the installed handler of sig: 0 SIG_DFL, 1 SIG_IGN, or
// a handler address (^0 when it cannot be read).
func disposition(sig syscall.Signal) uint64 {
	var old [4]uint64 // struct kernel_sigaction
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&old[0])), 8, 0, 0)
	if errno != 0 {
		return ^uint64(0)
	}
	return old[0]
}

// redeliver re-raises the signals the entry stub recorded before the runtime
// took over, now that Notify routes them to c.
func redeliver(pending uint64) {
	pid := os.Getpid()
	for n := 1; n <= 64; n++ {
		if pending&(1<<(n-1)) != 0 {
			_ = syscall.Kill(pid, syscall.Signal(n))
		}
	}
}

// C returns the channel that receives every signal hermes-init handles.
func C() <-chan os.Signal { return c }

// Active reports whether this process runs as the init and catches signals.
func Active() bool { return active }

// StubActive reports whether the assembly entry point ran (the binary was
// linked with -ldflags=-E=EntrySymbol).
func StubActive() bool { return stubRan != 0 }

// IgnoredAtStart lists the signals that were SIG_IGN when the process started
// and that children must inherit as ignored.
func IgnoredAtStart() []syscall.Signal {
	var out []syscall.Signal
	for n := 1; n <= 64; n++ {
		if ignoredAtStart[n] && n != int(syscall.SIGKILL) && n != int(syscall.SIGSTOP) {
			out = append(out, syscall.Signal(n))
		}
	}
	return out
}

// IgnoredForChildren lists the signals ignored at start that this process
// could not keep ignored itself (stop signals and SIGCHLD, which hermes-init
// must handle, and faults the runtime insists on handling): a child must be
// started with them set to SIG_IGN explicitly. The others it inherits by fork.
func IgnoredForChildren() []syscall.Signal {
	var out []syscall.Signal
	for _, sig := range IgnoredAtStart() {
		if !keptIgnored[sig] {
			out = append(out, sig)
		}
	}
	return out
}

// MaskAtStart returns the signal mask the process was started with, when the
// entry stub recorded it. The Go runtime restores that mask in children it
// forks, so only the spawn helper, which execs from a runtime thread, needs it.
func MaskAtStart() (mask uint64, ok bool) { return maskAtEntry, StubActive() }

// TakePending returns and clears the signals the entry stub recorded before the
// runtime took over. The spawn helper uses it to act on a stop that arrived
// while it was starting.
func TakePending() uint64 { return atomic.SwapUint64(&earlyPending, 0) }

// Passive reports whether name (argv[0]'s last element) makes hermes-init a
// client tool that catches no signal (package s6compat keeps the same list).
func Passive(name string) bool { return passiveNames[name] }

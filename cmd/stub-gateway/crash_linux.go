package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dieBySignal ends the process by sig with the kernel's default action, so
// that the parent sees a death by that signal, as after a real crash. The Go
// runtime cannot do it: it turns SIGSEGV, SIGABRT and the like into exit
// status 2 and ignores SIGUSR1, SIGUSR2 and more. So the disposition goes
// back to SIG_DFL with a raw rt_sigaction behind the runtime's back, the
// signal is unblocked on this thread and sent to it. It returns only if the
// process survived (which the signals parseSignal accepts never allow).
func dieBySignal(sig syscall.Signal) {
	// No core file: a test crash is not worth a dump, and a core_pattern
	// pipe could make the death slow. RLIMIT_CORE alone does not stop a
	// pipe; a non-dumpable process dumps nothing.
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	runtime.LockOSThread()
	// struct kernel_sigaction all zero: sa_handler SIG_DFL, no flags, no
	// restorer, empty mask, on every architecture.
	var act [4]uint64
	const sigsetSize = 8
	_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, sigsetSize, 0, 0)
	var set unix.Sigset_t
	set.Val[(sig-1)/64] |= 1 << ((uint(sig) - 1) % 64)
	_ = unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	_ = unix.Tgkill(os.Getpid(), unix.Gettid(), sig)
	time.Sleep(time.Second) // delivery is immediate; this is only a bound
}

package main

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Thousands of processes are needed for the reaping and stray measurements,
// and re-executing a Go binary for each would cost a millisecond of CPU
// apiece. So the helpers clone them with raw syscalls (fork_amd64.s; a plain
// fork elsewhere), and a child never returns into the Go runtime: after a
// fork only the calling thread exists, so it must not allocate, grow its
// stack or be scheduled. The parent blocks every signal on its locked thread
// around the clones, as syscall.forkExec does, so that no Go handler runs in
// a child; the children keep that mask (SIGKILL cannot be blocked).

// scratch is what the orphan maker writes pids from: a global, because the
// address of a local could make it escape to the heap, and a forked child
// may not allocate.
var scratch [8]byte

// childStack is the stack the cloned children run on. They push nothing,
// but the kernel wants a valid stack pointer.
var childStack [512]uint64

func stackTop() uintptr {
	return uintptr(unsafe.Pointer(&childStack[len(childStack)-8])) &^ 15
}

// blockAll blocks every signal on the current thread and returns the old
// mask. The caller holds runtime.LockOSThread.
func blockAll() (old uint64) {
	all := ^uint64(0)
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK,
		uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	return old
}

func restoreMask(old uint64) {
	syscall.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK,
		uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
}

// rawFork is fork(2) without the Go runtime's help: 0 in the child.
//
//go:nosplit
func rawFork() (pid uintptr, errno syscall.Errno) {
	pid, _, errno = syscall.RawSyscall6(unix.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	return pid, errno
}

//go:nosplit
func rawExit(code uintptr) {
	for {
		syscall.RawSyscall(unix.SYS_EXIT_GROUP, code, 0, 0)
	}
}

// forkOrphanMaker forks a process that makes n children and exits, so that
// the children become orphans of whoever reaps for us. Each child closes the
// write ends it inherited, then blocks reading releaseR until every write end
// is closed, and exits 0: closing the last write end releases all of them at
// once. The middle process writes each child's pid (4 bytes, little endian)
// to pidsW. It returns the middle process's pid.
func forkOrphanMaker(n, releaseR, releaseW, pidsW int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := blockAll()
	defer restoreMask(old)
	stack := stackTop()
	pid, errno := rawFork()
	if errno != 0 {
		return 0, errno
	}
	if pid == 0 {
		orphanMaker(n, stack, uintptr(releaseR), uintptr(releaseW), uintptr(pidsW))
	}
	return int(pid), nil
}

//go:nosplit
func orphanMaker(n int, stack, releaseR, releaseW, pidsW uintptr) {
	for i := 0; i < n; i++ {
		pid, errno := cloneOrphan(stack, releaseR, releaseW, pidsW)
		if errno != 0 {
			rawExit(1)
		}
		scratch[0], scratch[1], scratch[2], scratch[3] = byte(pid), byte(pid>>8), byte(pid>>16), byte(pid>>24)
		syscall.RawSyscall(unix.SYS_WRITE, pidsW, uintptr(unsafe.Pointer(&scratch[0])), 4)
	}
	rawExit(0)
}

// forkStrays makes n processes that each start a session of their own
// (setsid) and then sleep until SIGKILL: every signal stays blocked, and the
// caller has set SIGTERM to SIG_IGN, which they inherit. It returns their
// pids.
func forkStrays(n int) ([]int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := blockAll()
	defer restoreMask(old)
	stack := stackTop()
	pids := make([]int, 0, n)
	for range n {
		pid, errno := cloneStray(stack)
		if errno != 0 {
			return pids, syscall.Errno(errno)
		}
		pids = append(pids, int(pid))
	}
	return pids, nil
}

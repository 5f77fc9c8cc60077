//go:build !amd64

package main

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Without fork_amd64.s the children are plain forks running nosplit Go code
// that makes raw syscalls only. They work the same, but each copies and then
// tears down an address space, which the reaping times then include.

//go:nosplit
func cloneOrphan(stack, releaseR, releaseW, pidsW uintptr) (pid, errno uintptr) {
	p, e := rawFork()
	if e != 0 || p != 0 {
		return p, uintptr(e)
	}
	syscall.RawSyscall(unix.SYS_CLOSE, releaseW, 0, 0)
	syscall.RawSyscall(unix.SYS_CLOSE, pidsW, 0, 0)
	syscall.RawSyscall(unix.SYS_READ, releaseR, uintptr(unsafe.Pointer(&scratch[4])), 1)
	rawExit(0)
	return 0, 0
}

//go:nosplit
func cloneStray(stack uintptr) (pid, errno uintptr) {
	p, e := rawFork()
	if e != 0 || p != 0 {
		return p, uintptr(e)
	}
	syscall.RawSyscall(unix.SYS_SETSID, 0, 0, 0)
	for {
		// No fds, no timeout, every signal blocked: only SIGKILL ends it.
		syscall.RawSyscall6(unix.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
	}
}

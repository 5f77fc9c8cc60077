package main

// Implemented in fork_amd64.s.
func cloneOrphan(stack, releaseR, releaseW, pidsW uintptr) (pid, errno uintptr)
func cloneStray(stack uintptr) (pid, errno uintptr)

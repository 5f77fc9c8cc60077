package cgroup

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A hermes-init that is not a container's PID 1 works in
// <own cgroup>/hermes-init.<pid>[.<n>] and removes it when it exits; killed
// with SIGKILL it cannot, and the directory stays behind. Each instance holds
// an flock(2) on its directory for its whole life (the kernel lets go when
// the process dies, however it dies), so at start a directory of that name
// that nobody holds belonged to a dead instance: when it is empty (no
// process in it or below) it is removed, deepest first.

// stalePrefix starts the names of instances' directories.
const stalePrefix = "hermes-init."

// staleAge spares a directory another instance is creating this very moment,
// before it could take its lock.
const staleAge = 10 * time.Second

// lockDir takes this instance's lock on dir, held until Close.
func (t *Tree) lockDir(dir string) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.warnf("cgroup: open %s to lock it: %v (a later hermes-init may take it for stale)", dir, err)
		return
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		t.warnf("cgroup: lock %s: %v (a later hermes-init may take it for stale)", dir, err)
		return
	}
	t.locks = append(t.locks, fd)
}

// sweepStale removes the empty directories of dead instances in parent, once
// per parent.
func (t *Tree) sweepStale(parent string) {
	if t.swept[parent] {
		return
	}
	if t.swept == nil {
		t.swept = map[string]bool{}
	}
	t.swept[parent] = true
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stalePrefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if !t.dead(dir) {
			continue
		}
		if err := removeTree(dir); err != nil {
			t.warnf("cgroup: %s was left by a hermes-init that is gone, and still holds processes: left as it is (%v)", dir, err)
		}
	}
}

// dead reports whether dir belongs to no running instance: nobody holds its
// lock, and it is older than staleAge.
func (t *Tree) dead(dir string) bool {
	fi, err := os.Stat(dir)
	if err != nil || time.Since(fi.ModTime()) < staleAge {
		return false
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == nil
}

// unlock lets go of the instance's locks.
func (t *Tree) unlock() {
	for _, fd := range t.locks {
		unix.Close(fd)
	}
	t.locks = nil
}

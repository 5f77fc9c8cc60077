package supervisor

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Exit is how a child ended.
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Reaper owns wait4: it reaps every child of the process, hands the status of a
// registered one to its channel and counts the others (orphans reparented to
// us) as reaped zombies.
type Reaper struct {
	mu      sync.Mutex
	waiters map[int]chan Exit
	orphans atomic.Uint64
}

// NewReaper returns an empty reaper.
func NewReaper() *Reaper { return &Reaper{waiters: map[int]chan Exit{}} }

// Start runs fork (which starts a child and returns its pid) with the reaper's
// lock held, so the child cannot be reaped before its channel exists. The
// channel receives the child's exit exactly once.
func (r *Reaper) Start(fork func() (int, error)) (int, <-chan Exit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fork()
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan Exit, 1)
	r.waiters[pid] = ch
	return pid, ch, nil
}

// Reap collects every child that has exited. Call it on every SIGCHLD and once
// after signal handling is installed: SIGCHLDs coalesce, and a child may exit
// before the handler exists (opencontainers/runc#5206). It returns how many
// children it reaped.
func (r *Reaper) Reap() int {
	n := 0
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 { // ECHILD: no children; 0: none exited
			return n
		}
		n++
		r.mu.Lock()
		ch, ok := r.waiters[pid]
		delete(r.waiters, pid)
		r.mu.Unlock()
		if ok {
			ch <- Exit{Pid: pid, Status: ws}
		} else {
			r.orphans.Add(1)
		}
	}
}

// Orphans returns how many unregistered children have been reaped.
func (r *Reaper) Orphans() uint64 { return r.orphans.Load() }

// HasChildren reports whether any child, running or zombie, is left. It peeks
// with waitid(WNOWAIT), which reaps nothing, so Reap stays the only reaper.
func (r *Reaper) HasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WSTOPPED|unix.WCONTINUED, nil)
	return err != unix.ECHILD
}

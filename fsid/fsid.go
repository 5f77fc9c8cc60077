package fsid

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Run runs fn on a thread whose file-system ids are uid and gid and which
// has no supplementary groups, and returns fn's error (or the switch's). fn
// must do its file work on the calling goroutine: another goroutine runs with
// the process's own rights. A panic in fn is raised again in the caller.
// Switching needs CAP_SETUID and CAP_SETGID: callers run it as root.
func Run(uid, gid int, fn func() error) error {
	if uid < 0 || gid < 0 {
		return fmt.Errorf("switch file-system ids to %d:%d: invalid id", uid, gid)
	}
	type result struct {
		err      error
		panicked bool
		value    any
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		var res result
		restored := false
		defer func() {
			if p := recover(); p != nil {
				res.panicked, res.value = true, p
			}
			if restored {
				runtime.UnlockOSThread()
			} // else the thread ends with this goroutine and never runs anything else
			done <- res
		}()
		s, err := enter(uid, gid)
		defer func() {
			lerr := s.leave()
			restored = lerr == nil
			if lerr != nil && res.err == nil {
				res.err = lerr
			}
		}()
		if err != nil {
			res.err = err
			return
		}
		res.err = fn()
	}()
	r := <-done
	if r.panicked {
		panic(r.value)
	}
	return r.err
}

// saved is what enter changed on the thread and what it was before.
type saved struct {
	groups   []int
	dropped  bool // the supplementary groups were emptied
	uid, gid int
	switched bool // fsgid and fsuid were set
}

// enter switches the locked thread: the supplementary groups first, then
// the fsgid, then the fsuid, so that the thread never holds the user's uid
// with root's groups.
func enter(uid, gid int) (saved, error) {
	var s saved
	groups, err := unix.Getgroups()
	if err != nil {
		return s, fmt.Errorf("read supplementary groups: %w", err)
	}
	if err := unix.Setgroups(nil); err != nil {
		return s, fmt.Errorf("drop supplementary groups: %w", err)
	}
	s.groups, s.dropped = groups, true
	s.gid, _ = unix.SetfsgidRetGid(gid)
	s.uid, _ = unix.SetfsuidRetUid(uid)
	s.switched = true
	// setfsuid and setfsgid report no failure; -1 asks for the current value.
	if cur, _ := unix.SetfsgidRetGid(-1); cur != gid {
		return s, fmt.Errorf("switch fsgid to %d: still %d", gid, cur)
	}
	if cur, _ := unix.SetfsuidRetUid(-1); cur != uid {
		return s, fmt.Errorf("switch fsuid to %d: still %d", uid, cur)
	}
	return s, nil
}

// leave undoes enter in the reverse order and checks that it took.
func (s saved) leave() error {
	var errs []error
	if s.switched {
		unix.SetfsuidRetUid(s.uid)
		unix.SetfsgidRetGid(s.gid)
		if cur, _ := unix.SetfsuidRetUid(-1); cur != s.uid {
			errs = append(errs, fmt.Errorf("restore fsuid %d: still %d", s.uid, cur))
		}
		if cur, _ := unix.SetfsgidRetGid(-1); cur != s.gid {
			errs = append(errs, fmt.Errorf("restore fsgid %d: still %d", s.gid, cur))
		}
	}
	if s.dropped && len(s.groups) > 0 {
		if err := unix.Setgroups(s.groups); err != nil {
			errs = append(errs, fmt.Errorf("restore supplementary groups: %w", err))
		}
	}
	return errors.Join(errs...)
}

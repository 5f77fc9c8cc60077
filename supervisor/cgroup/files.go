package cgroup

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The small file operations of the ladder, on cgroup file systems or, in the
// fixture tests, on a plain directory tree standing in for them.

// writeValue writes one value to a cgroup interface file (cgroup.procs,
// cgroup.subtree_control) as echo(1) does: one write, ending in a newline,
// which the kernel strips. The file is opened for appending and not
// truncated: cgroupfs ignores both, but in a fixture tree the file then
// keeps every value written to it, in order, for the test to read. O_CREATE
// changes nothing on cgroupfs either (a missing file is EACCES with or
// without it, as with os.WriteFile); in a fixture it stands for the files
// the kernel gives every new cgroup directory.
func writeValue(file, value string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeExisting writes value to an interface file that must exist: opened
// without O_CREATE, a file the kernel does not provide (cgroup.kill before
// Linux 5.14) is ENOENT; with it, cgroupfs answers EACCES, which reads as a
// real failure.
func writeExisting(file, value string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// listsPid reports whether a cgroup.procs file contains pid.
func listsPid(file string, pid int) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	want := strconv.Itoa(pid)
	for _, f := range strings.Fields(string(b)) {
		if f == want {
			return true
		}
	}
	return false
}

// rmdirRetry removes an empty cgroup directory. A cgroup whose last process has
// just exited can stay busy for a moment while the kernel finishes with it.
func rmdirRetry(dir string) error {
	var err error
	for i := 0; i < 20; i++ {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(time.Duration(i+1) * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

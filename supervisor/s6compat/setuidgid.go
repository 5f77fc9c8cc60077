package s6compat

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/config"
)

// runSetuidgid is s6-setuidgid ACCOUNT PROG...: become ACCOUNT (a user
// name, or uid:gid), with its supplementary groups, and exec PROG. An empty
// ACCOUNT execs PROG as is.
func runSetuidgid(args []string, o IO) int {
	const prog = "s6-setuidgid"
	if len(args) < 2 {
		return usage(o, prog, "s6-setuidgid account prog...")
	}
	account, argv := args[0], args[1:]
	if account != "" {
		uid, gid, groups, err := resolveAccount(account)
		if err != nil {
			return fatal(o, prog, 1, "%v", err)
		}
		// Groups first, then the gid, then the uid: each needs the
		// privilege the next one drops. Go applies them to every thread.
		if err := unix.Setgroups(groups); err != nil {
			return fatal(o, prog, exitSys, "unable to setgroups: %v", err)
		}
		if err := unix.Setgid(gid); err != nil {
			return fatal(o, prog, exitSys, "unable to setgid to %d: %v", gid, err)
		}
		if err := unix.Setuid(uid); err != nil {
			return fatal(o, prog, exitSys, "unable to setuid to %d: %v", uid, err)
		}
	}
	return execInto(o, prog, argv, o.Environ)
}

// resolveAccount reads "uid:gid" or a user name.
func resolveAccount(account string) (uid, gid int, groups []int, err error) {
	if u, g, ok := strings.Cut(account, ":"); ok {
		uid, uerr := strconv.ParseUint(u, 10, 31)
		gid, gerr := strconv.ParseUint(g, 10, 31)
		if uerr != nil || gerr != nil {
			return 0, 0, nil, errors.New("invalid uid:gid " + strconv.Quote(account))
		}
		return int(uid), int(gid), []int{int(gid)}, nil
	}
	uid, gid, groups, err = config.LookupUser(account)
	if err == nil && uid < 0 {
		err = errors.New("unknown user " + strconv.Quote(account))
	}
	return uid, gid, groups, err
}

// execInto replaces the process with argv, found in the PATH of env as
// execvp does: 127 when it is not found, 126 when it cannot be executed.
func execInto(o IO, prog string, argv, env []string) int {
	path := argv[0]
	if !strings.Contains(path, "/") {
		found, err := lookPath(path, env)
		if err != nil {
			return fatal(o, prog, exitNotFound, "unable to exec %s: %v", argv[0], err)
		}
		path = found
	}
	err := unix.Exec(path, argv, env)
	code := exitCannotExec
	if errors.Is(err, unix.ENOENT) {
		code = exitNotFound
	}
	return fatal(o, prog, code, "unable to exec %s: %v", argv[0], err)
}

// lookPath finds file in env's PATH (not this process's: with-contenv
// changes it before the exec).
func lookPath(file string, env []string) (string, error) {
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + file
		if err := unix.Access(p, unix.X_OK); err == nil {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", exec.ErrNotFound
}

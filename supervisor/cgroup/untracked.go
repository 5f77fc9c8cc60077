package cgroup

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/hermes-init/hermes-init/fsid"
)

// procInfo is what ModeNone needs to know of a process.
type procInfo struct {
	ppid, pgid int
	zombie     bool
}

// scanUntracked finds a service's processes without a cgroup: members of its
// process group, processes carrying its TagVar environment tag, descendants of
// its main process and, when it is the only service, every descendant of
// hermes-init (orphans reparent to hermes-init, a child subreaper, so the
// lineage of a double-forked or setsid'd leftover still leads back to it).
func scanUntracked(self int, name string, pgid, leader int, sole bool) ([]int, error) {
	procs, err := readProcs("/proc")
	if err != nil {
		return nil, err
	}
	tag := []byte(TagVar + "=" + name + "\x00")
	var out []int
	for pid, p := range procs {
		if pid == self || pid == 1 || p.zombie {
			continue // a zombie is dead already: it only waits to be reaped
		}
		switch {
		case pgid > 1 && p.pgid == pgid,
			leader > 0 && descends(procs, pid, leader),
			sole && descends(procs, pid, self),
			hasTag(pid, tag):
			out = append(out, pid)
		}
	}
	return out, nil
}

// readProcs reads the parent and process group of every process in dir.
func readProcs(dir string) (map[int]procInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	procs := make(map[int]procInfo, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		if p, ok := parseStat(b); ok {
			procs[pid] = p
		}
	}
	return procs, nil
}

// parseStat reads state (field 3), ppid (field 4) and pgrp (field 5) of
// /proc/PID/stat. The
// command name (field 2) may hold spaces and parentheses, so fields are counted
// from the last ')'.
func parseStat(b []byte) (procInfo, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return procInfo{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return procInfo{}, false
	}
	return procInfo{ppid: ppid, pgid: pgid, zombie: f[0] == "Z" || f[0] == "X"}, true
}

// descends reports whether pid has ancestor among its parents.
func descends(procs map[int]procInfo, pid, ancestor int) bool {
	for i := 0; i < 4096; i++ { // a cycle cannot exist, but never loop forever
		p, ok := procs[pid]
		if !ok || p.ppid == 0 {
			return false
		}
		if p.ppid == ancestor {
			return true
		}
		pid = p.ppid
	}
	return false
}

// hasTag reports whether the initial environment of pid holds tag.
func hasTag(pid int, tag []byte) bool {
	b, err := readEnviron(pid)
	if err != nil {
		return false
	}
	return bytes.HasPrefix(b, tag) || bytes.Contains(b, append([]byte{0}, tag...))
}

// readEnviron reads /proc/PID/environ. Docker drops CAP_SYS_PTRACE, and then
// root may not read the environment of another user's process: the kernel
// checks ptrace read access against the file-system ids (PTRACE_MODE_FSCREDS).
// So on EACCES it reads again as the process's owner (package fsid).
func readEnviron(pid int) ([]byte, error) {
	file := "/proc/" + strconv.Itoa(pid) + "/environ"
	b, err := os.ReadFile(file)
	if !errors.Is(err, fs.ErrPermission) {
		return b, err
	}
	uid, gid, ok := procOwner(pid)
	if !ok {
		return nil, err
	}
	err = fsid.Run(uid, gid, func() error {
		b, err = os.ReadFile(file)
		return err
	})
	return b, err
}

// procOwner returns the real uid and gid of pid (/proc/PID/status).
func procOwner(pid int) (uid, gid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	uid, gid = -1, -1
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Uid:":
			uid, _ = strconv.Atoi(f[1])
		case "Gid:":
			gid, _ = strconv.Atoi(f[1])
		}
	}
	return uid, gid, uid >= 0 && gid >= 0
}

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// children lists pid's children, over all its threads: a Go init forks from
// any of them, and /proc/PID/task/TID/children lists only TID's.
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var kids []int
	for _, t := range tasks {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	sort.Ints(kids)
	return kids
}

// descendants lists every process below pid.
func descendants(pid int) []int {
	var all []int
	queue := children(pid)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		all = append(all, p)
		queue = append(queue, children(p)...)
	}
	return all
}

func comm(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(data))
}

// statusKB reads the kB fields of /proc/PID/status (VmRSS, RssAnon, ...).
func statusKB(pid int) map[string]float64 {
	return readKB("/proc/" + strconv.Itoa(pid) + "/status")
}

// pssKB reads the proportional set size from smaps_rollup: shared pages are
// divided among the processes that map them, so a sum over processes counts
// a shared library once.
func pssKB(pid int) float64 {
	return readKB("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")["Pss"]
}

func readKB(path string) map[string]float64 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			m[key] = v
		}
	}
	return m
}

// hasMM reports whether pid still has its memory: a process that has begun
// to exit (do_exit → exit_mm) shows a vsize of 0 in /proc/PID/stat, and a
// PID 1 reaches the kernel's kill of its namespace only after that.
func hasMM(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); vsize is field 23.
	if len(f) < 21 || f[0] == "Z" || f[0] == "X" {
		return false
	}
	return f[20] != "0"
}

// cgroupMounts maps a /proc/PID/cgroup hierarchy key ("0" for cgroup2, else
// the controller list) to its mount point.
func cgroupMounts() map[string]string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, after := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(after) < 3 {
			continue
		}
		switch after[0] {
		case "cgroup2":
			m["0"] = fields[4]
		case "cgroup":
			for _, opt := range strings.Split(after[2], ",") {
				if opt == "rw" || opt == "ro" || strings.HasPrefix(opt, "release_agent") || opt == "clone_children" {
					continue
				}
				m[opt] = fields[4]
			}
		}
	}
	return m
}

// cgroupDir is a cgroup directory and its inode: cgroupfs does not reuse an
// inode number soon, so a directory with the same name but another inode is
// someone else's (concurrent runs of hermes-init as PID 1 all name theirs
// hermes-init.1, hermes-init.1.1, …).
type cgroupDir struct {
	path string
	ino  uint64
}

func statCgroup(path string) (cgroupDir, bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return cgroupDir{}, false
	}
	return cgroupDir{path: path, ino: st.Ino}, true
}

// remove removes the directory and its sub-cgroups, deepest first, if it is
// still the one noted; rmdir refuses any that still has processes.
func (d cgroupDir) remove() {
	if now, ok := statCgroup(d.path); ok && now.ino == d.ino {
		removeTree(d.path)
	}
}

// hermesCgroups lists the top "hermes-init.*" cgroup directories that pid is
// in, on every hierarchy: what hermes-init creates and removes when it exits.
func hermesCgroups(pid int) []cgroupDir {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil
	}
	mounts := cgroupMounts()
	var dirs []cgroupDir
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		key := parts[1]
		if parts[0] == "0" {
			key = "0"
		} else {
			key, _, _ = strings.Cut(key, ",") // "cpu,cpuacct": either maps
		}
		mount, ok := mounts[key]
		if !ok {
			continue
		}
		elems := strings.Split(parts[2], "/")
		for i, e := range elems {
			if strings.HasPrefix(e, "hermes-init.") {
				if d, ok := statCgroup(filepath.Join(mount, strings.Join(elems[:i+1], "/"))); ok {
					dirs = append(dirs, d)
				}
				break
			}
		}
	}
	return dirs
}

func removeTree(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir)
}

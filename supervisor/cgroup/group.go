package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// TagVar is the environment variable that marks a service's processes in
// ModeNone, where nothing else can find the ones that left its process group.
const TagVar = "HERMES_INIT_SERVICE"

// Limits are per-service resource limits; zero means no limit.
type Limits struct {
	MemoryMax int64 // bytes: memory.max (v2) or memory.limit_in_bytes (v1)
	PidsMax   int64 // pids.max
}

// needs reports whether a limit needs the v1 hierarchy h.
func (l Limits) needs(h string) bool {
	return h == "memory" && l.MemoryMax > 0 || h == "pids" && l.PidsMax > 0
}

// Group is one service's cgroup, or in ModeNone its process group and tag.
type Group struct {
	name string
	tree *Tree
	v2   string            // directory, "" when there is no v2 tree
	v1   map[string]string // hierarchy -> directory
	fd   int               // O_PATH fd of v2 for clone3(CLONE_INTO_CGROUP), -1 if none

	// ModeNone tracking: the process group and the main pid of the service.
	pgid   int
	leader int
	sole   bool // the only service: every descendant of hermes-init is its

	lim    Limits
	killed bool // cgroup.kill was written: recreate before the next start (Fresh)
}

// NewGroup creates (or reuses, when a previous run of the same service left it
// empty) the cgroup for a service and applies its limits. Limits the hierarchy
// cannot enforce are reported through Warnf, not as errors.
func (t *Tree) NewGroup(name string, lim Limits) (*Group, error) {
	if name == "" || name == "init" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return nil, fmt.Errorf("invalid service cgroup name %q", name)
	}
	g := &Group{name: name, tree: t, v1: map[string]string{}, fd: -1}
	if t.v2 != "" {
		g.v2 = filepath.Join(t.v2, name)
		if err := mkdirGroup(g.v2); err != nil {
			return nil, err
		}
		fd, err := unix.Open(g.v2, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open cgroup %s: %w", g.v2, err)
		}
		g.fd = fd
	}
	for _, h := range []string{"pids", "freezer", "memory"} {
		if t.mode == ModeHybrid && !lim.needs(h) {
			// The v2 tree already tracks the service; joining a v1 hierarchy
			// costs a helper exec per start, so only do it for a limit.
			continue
		}
		parent := t.v1Parent(h)
		if parent == "" {
			continue
		}
		dir := filepath.Join(parent, name)
		if err := mkdirGroup(dir); err != nil {
			g.Close()
			return nil, err
		}
		g.v1[h] = dir
	}
	g.lim = lim
	g.applyLimits(lim)
	return g, nil
}

// Fresh makes the group ready for a new process after a Kill. On the kernels
// we run on (6.18), a cgroup that was killed through cgroup.kill also SIGKILLs
// every process later cloned into it with CLONE_INTO_CGROUP, at birth
// (TestCgroupUsableAfterKill reproduces it): so an emptied, killed cgroup is
// removed and made again, with its limits. It is a no-op when nothing was
// killed.
func (g *Group) Fresh() error {
	if !g.killed || g.v2 == "" {
		return nil
	}
	g.Close()
	if err := rmdirRetry(g.v2); err != nil {
		return err
	}
	if err := mkdirGroup(g.v2); err != nil {
		return err
	}
	fd, err := unix.Open(g.v2, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open cgroup %s: %w", g.v2, err)
	}
	g.fd, g.killed = fd, false
	g.applyLimits(g.lim)
	return nil
}

func mkdirGroup(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	return nil
}

func (g *Group) applyLimits(lim Limits) {
	set := func(what string, v int64, files ...string) {
		if v <= 0 {
			return
		}
		for _, f := range files {
			if f == "" {
				continue
			}
			if err := writeExisting(f, strconv.FormatInt(v, 10)); err == nil {
				return
			}
		}
		g.tree.warnf("service %s: %s=%d not applied: no writable controller for it (cgroup mode %s)", g.name, what, v, g.tree.mode)
	}
	set("memory.max", lim.MemoryMax, g.file("memory.max"), g.v1file("memory", "memory.limit_in_bytes"))
	set("pids.max", lim.PidsMax, g.file("pids.max"), g.v1file("pids", "pids.max"))
	if lim.MemoryMax > 0 {
		// An OOM kill takes the whole service down at once, so its restart
		// starts clean instead of beside half-killed helpers.
		_ = writeExisting(g.file("memory.oom.group"), "1")
	}
}

// file returns the path of a v2 interface file of the group, if it has one.
func (g *Group) file(name string) string {
	if g.v2 == "" || !contains(g.tree.enabled, strings.SplitN(name, ".", 2)[0]) && !strings.HasPrefix(name, "cgroup.") {
		return ""
	}
	return filepath.Join(g.v2, name)
}

func (g *Group) v1file(h, name string) string {
	if d := g.v1[h]; d != "" {
		return filepath.Join(d, name)
	}
	return ""
}

// Name is the service's cgroup name.
func (g *Group) Name() string { return g.name }

// Path is the group's main directory, for messages ("" in ModeNone).
func (g *Group) Path() string {
	if g.v2 != "" {
		return g.v2
	}
	for _, h := range []string{"pids", "freezer", "memory"} {
		if d := g.v1[h]; d != "" {
			return d
		}
	}
	return ""
}

// CgroupFD is the directory fd to start a process in with clone3
// (SysProcAttr.UseCgroupFD), or -1 without a v2 tree.
func (g *Group) CgroupFD() int { return g.fd }

// NeedsJoin reports whether a process must join v1 hierarchies itself before
// exec (clone3 can only place it in the v2 cgroup).
func (g *Group) NeedsJoin() bool { return len(g.v1) > 0 }

// ProcsFiles lists every cgroup.procs file a freshly spawned process must be
// written into, v2 first.
func (g *Group) ProcsFiles() []string {
	var out []string
	if g.v2 != "" {
		out = append(out, filepath.Join(g.v2, "cgroup.procs"))
	}
	for _, h := range []string{"pids", "freezer", "memory"} {
		if d := g.v1[h]; d != "" {
			out = append(out, filepath.Join(d, "cgroup.procs"))
		}
	}
	return out
}

// Tracked reports whether the group sees its processes through a cgroup.
func (g *Group) Tracked() bool { return g.v2 != "" || g.v1["pids"] != "" || g.v1["freezer"] != "" }

// SetLeader records the service's main process, its process group and, in
// ModeNone, whether it is the only service (then every descendant of
// hermes-init belongs to it).
func (g *Group) SetLeader(pid, pgid int, sole bool) {
	g.leader, g.pgid, g.sole = pid, pgid, sole
}

// Pids lists the processes of the group (recursively).
func (g *Group) Pids() ([]int, error) {
	switch {
	case g.v2 != "":
		return readProcsTree(g.v2)
	case g.v1["pids"] != "":
		return readProcsTree(g.v1["pids"])
	case g.v1["freezer"] != "":
		return readProcsTree(g.v1["freezer"])
	}
	return scanUntracked(g.tree.self, g.name, g.pgid, g.leader, g.sole)
}

// Populated reports whether any process is left in the group. In v2 this reads
// cgroup.events, which does not count zombies: they still need reaping.
func (g *Group) Populated() bool {
	if g.v2 != "" {
		if b, err := os.ReadFile(filepath.Join(g.v2, "cgroup.events")); err == nil {
			return !strings.Contains(string(b), "populated 0")
		}
	}
	pids, err := g.Pids()
	return err != nil || len(pids) > 0
}

// Signal sends sig to every process in the group. It returns how many it
// reached; processes that exit meanwhile (ESRCH) are not errors.
func (g *Group) Signal(sig syscall.Signal) (int, error) {
	pids, err := g.Pids()
	n := 0
	for _, p := range pids {
		if p == g.tree.self || p <= 1 {
			continue
		}
		if unix.Kill(p, sig) == nil {
			n++
		}
	}
	if g.pgid > 1 && !g.Tracked() {
		_ = unix.Kill(-g.pgid, sig)
	}
	return n, err
}

// Kill SIGKILLs everything in the group: cgroup.kill where the kernel has it
// (race-free against forks, Linux 5.14), else freeze, kill each, thaw (v1), else
// repeated scans (ModeNone). It does not wait; use WaitEmpty.
func (g *Group) Kill() error {
	if g.v2 != "" {
		err := writeExisting(filepath.Join(g.v2, "cgroup.kill"), "1")
		if err == nil {
			g.killed = true
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.EOPNOTSUPP) {
			g.tree.warnf("service %s: cgroup.kill failed, killing one by one: %v", g.name, err)
		}
	} else if d := g.v1["freezer"]; d != "" {
		if err := freeze(d, "FROZEN"); err != nil {
			g.tree.warnf("service %s: cannot freeze %s, killing unfrozen: %v", g.name, d, err)
		}
		defer func() { _ = freeze(d, "THAWED") }()
	}
	_, err := g.Signal(syscall.SIGKILL)
	return err
}

// freeze writes a v1 freezer state and waits (bounded) until it is reached.
func freeze(dir, state string) error {
	f := filepath.Join(dir, "freezer.state")
	if err := writeExisting(f, state); err != nil {
		return err
	}
	for i := 0; i < 200; i++ {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(b)) == state {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%s did not reach %s", f, state)
}

// WaitEmpty polls until the group is empty or the timeout passes, reporting
// whether it emptied. Polling starts at 1 ms and backs off to 20 ms.
func (g *Group) WaitEmpty(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for step := time.Millisecond; ; step = min(step*2, 20*time.Millisecond) {
		if !g.Populated() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(step, time.Until(deadline)+time.Millisecond))
	}
}

// WatchEmpty watches the group in a goroutine of its own and closes the
// returned channel once the group is empty; closing stop ends the watch
// (the channel then stays open). Unlike WaitEmpty it never blocks its
// caller, so a service's goroutine can select on it beside its commands.
// In v2 the kernel's notification of cgroup.events wakes it (inotify, no
// polling); elsewhere, or when inotify is refused, it polls as WaitEmpty
// does.
func (g *Group) WatchEmpty(stop <-chan struct{}) <-chan struct{} {
	empty := make(chan struct{})
	// The goroutine looks at a copy of what Populated reads: the caller
	// may set a new leader (SetLeader) while a called-off watch still
	// finishes its last look.
	g = &Group{name: g.name, tree: g.tree, v2: g.v2, v1: g.v1, fd: -1, pgid: g.pgid, leader: g.leader, sole: g.sole}
	go func() {
		var w *os.File
		if g.v2 != "" {
			w = watchModify(filepath.Join(g.v2, "cgroup.events"))
		}
		defer func() {
			if w != nil {
				w.Close()
			}
		}()
		buf := make([]byte, 4096)
		for step := time.Millisecond; ; step = min(step*2, 20*time.Millisecond) {
			// The watch is in place before this look, so an emptying
			// after it is always heard.
			populated := g.Populated()
			select {
			case <-stop:
				return // also when it emptied: a stopped watch never closes
			default:
			}
			if !populated {
				close(empty)
				return
			}
			if w != nil {
				// Wake at an event, or now and then to see stop.
				_ = w.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := w.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					w.Close()
					w = nil // poll from now on
				}
				continue
			}
			select {
			case <-stop:
				return
			case <-time.After(step):
			}
		}
	}()
	return empty
}

// watchModify is an inotify watch for modifications of file, readable
// through the poller (so that a read deadline works), or nil.
func watchModify(file string) *os.File {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	if _, err := unix.InotifyAddWatch(fd, file, unix.IN_MODIFY); err != nil {
		_ = unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "inotify:"+file)
}

// OOMKills returns how many processes of the group the OOM killer has killed
// (memory.events oom_kill in v2, memory.oom_control oom_kill in v1).
func (g *Group) OOMKills() uint64 {
	if f := g.file("memory.events"); f != "" {
		return readKey(f, "oom_kill")
	}
	if f := g.v1file("memory", "memory.oom_control"); f != "" {
		return readKey(f, "oom_kill")
	}
	return 0
}

// MemoryCurrent returns the group's memory use in bytes, when known.
func (g *Group) MemoryCurrent() (uint64, bool) {
	for _, f := range []string{g.file("memory.current"), g.v1file("memory", "memory.usage_in_bytes")} {
		if f == "" {
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

// Close releases the group's directory fd.
func (g *Group) Close() {
	if g.fd >= 0 {
		_ = unix.Close(g.fd)
		g.fd = -1
	}
}

// Remove deletes the group's cgroup directories; they must be empty.
func (g *Group) Remove() error {
	g.Close()
	var errs []error
	if g.v2 != "" {
		errs = append(errs, removeTree(g.v2))
	}
	for _, d := range g.v1 {
		errs = append(errs, removeTree(d))
	}
	return errors.Join(errs...)
}

// removeTree removes a cgroup directory and any child cgroups a service made
// inside it, deepest first.
func removeTree(dir string) error {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdirRetry(dir)
}

// readProcsTree reads cgroup.procs of dir and of every cgroup below it.
func readProcsTree(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			// A pid outside our pid namespace reads as 0: skip it.
			if n, err := strconv.Atoi(f); err == nil && n > 0 {
				pids = append(pids, n)
			}
		}
		return nil
	})
	return pids, err
}

// readKey returns the value of "key N" in a flat-keyed cgroup file.
func readKey(file, key string) uint64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			v, _ := strconv.ParseUint(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
	"golang.org/x/sys/unix"
)

// testTree makes a Tree over a throwaway directory of the host's cgroup2
// hierarchy, or skips.
func testTree(t *testing.T) *Tree {
	t.Helper()
	if os.Geteuid() != 0 {
		requireOrSkip(t, "root", "needs root for cgroups")
	}
	var mnt string
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			mnt = p
			break
		}
	}
	if mnt == "" {
		requireOrSkip(t, "cgroup2", "needs a cgroup2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)")
	}
	dir := filepath.Join(mnt, "hermes-unit-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		requireOrSkip(t, "cgroup2", "cannot create a cgroup in "+mnt+": "+err.Error())
	}
	tr := &Tree{mode: ModeV2, v2: dir, v1: map[string]string{}, self: os.Getpid(), warnf: t.Logf, created: []string{dir}}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0)
		time.Sleep(20 * time.Millisecond)
		_ = removeTree(dir)
	})
	return tr
}

// TestCgroupUsableAfterKill: after Kill, Fresh must give a cgroup in which a
// new process lives (the kernel otherwise kills it at birth).
func TestCgroupUsableAfterKill(t *testing.T) {
	is := is.New(t)
	tr := testTree(t)
	g, err := tr.NewGroup("svc", Limits{})
	is.NoErr(err)
	spawn := func() int {
		pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "0.2"}, &syscall.ProcAttr{
			Sys: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: g.CgroupFD()}})
		is.NoErr(err)
		return pid
	}
	wait := func(pid int) syscall.WaitStatus {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		return ws
	}
	pid := spawn()
	is.NoErr(g.Kill())
	is.True(wait(pid).Signaled()) // killed
	is.True(g.WaitEmpty(time.Second))
	is.NoErr(g.Fresh())
	ws := wait(spawn())
	is.True(!ws.Signaled()) // a process started after Fresh runs to its end
	is.Equal(ws.ExitStatus(), 0)
	is.NoErr(g.Remove())
}

// TestWatchEmpty: the watch stays open while a process lives in the group,
// closes once the group empties, and a stopped watch never closes.
func TestWatchEmpty(t *testing.T) {
	is := is.New(t)
	tr := testTree(t)
	g, err := tr.NewGroup("svc", Limits{})
	is.NoErr(err)
	defer func() { is.NoErr(g.Remove()) }()

	select {
	case <-g.WatchEmpty(nil):
	case <-time.After(10 * time.Second):
		t.Fatal("the watch of an empty group did not close")
	}

	pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "1000"}, &syscall.ProcAttr{
		Sys: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: g.CgroupFD()}})
	is.NoErr(err)
	stop := make(chan struct{})
	empty := g.WatchEmpty(stop)
	stopped := make(chan struct{})
	abandoned := g.WatchEmpty(stopped)
	close(stopped)
	select {
	case <-empty:
		t.Fatal("the watch closed while the group holds a process")
	case <-time.After(200 * time.Millisecond):
	}
	is.NoErr(g.Kill())
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, 0, nil)
	select {
	case <-empty:
	case <-time.After(10 * time.Second):
		t.Fatal("the watch did not close within 10s of the group emptying")
	}
	close(stop)
	select {
	case <-abandoned:
		t.Fatal("a stopped watch closed")
	case <-time.After(300 * time.Millisecond):
	}
}

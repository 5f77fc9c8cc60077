package supervisor

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// Defaults for the stop sequence. DefaultGrace stays below Docker's default
// 10 s stop timeout so that hermes-init, not Docker's SIGKILL, ends the
// container and reports the status.
const (
	DefaultGrace         = 8 * time.Second
	DefaultLeftoverGrace = 2 * time.Second
	// killWait bounds the wait for a killed cgroup to empty.
	killWait = 5 * time.Second
)

// Options configure hermes-init's run.
type Options struct {
	Argv                  []string      // the main command; required in this mode
	Env                   []string      // its environment
	Dir                   string        // its working directory (the caller's)
	Grace                 time.Duration // stop: SIGTERM to SIGKILL
	LeftoverGrace         time.Duration // main exited: leftovers' SIGTERM to SIGKILL
	Cgroup                cgroup.Options
	Log                   *Logger
	Stdin, Stdout, Stderr *os.File
}

// Init is the running init: its reaper, spawner and cgroup tree.
type Init struct {
	o       Options
	log     *Logger
	reaper  *Reaper
	spawner *Spawner
	tree    *cgroup.Tree
	pid1    bool
}

// Prepare does the early steps shared by every mode: become a child subreaper,
// move to "/", detect the cgroup mode and reap whatever exited before the
// signal handler existed.
func Prepare(o Options) *Init {
	in := &Init{o: o, log: o.Log, reaper: NewReaper(), pid1: os.Getpid() == 1}
	// Also as PID 1: containerd/cgroups-style fallbacks only leave statuses
	// alone for a subreaper, and it is harmless (go-pid1-cgroups.md §1c).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		in.log.Warnf("cannot become a child subreaper: %v", err)
	} else if !in.pid1 {
		in.log.Debugf("not PID 1 (pid %d): registered as child subreaper, orphans of the command come back to hermes-init", os.Getpid())
	}
	if mask, ok := earlysignal.MaskAtStart(); !ok {
		in.log.Debugf("built without the entry stub: a stop signal in the first milliseconds may be lost (see scripts/build)")
	} else if in.log.Enabled(LevelDebug) {
		in.log.Debugf("started with signal mask %#x, ignoring %v", mask, earlysignal.IgnoredAtStart())
	}
	if err := os.Chdir("/"); err != nil {
		in.log.Warnf("cannot change directory to /: %v", err)
	}
	o.Cgroup.PID1 = in.pid1
	o.Cgroup.Warnf = in.log.Warnf
	in.tree = cgroup.Setup(o.Cgroup)
	if in.tree.Mode() == cgroup.ModeNone {
		in.log.Warnf("no writable cgroup (%s): services are tracked by process group and environment tag; in Docker, see README \"Cgroups in Docker\"", in.tree.Reason())
	} else {
		in.log.Infof("%s", in.tree.Reason())
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	in.spawner = &Spawner{Reaper: in.reaper, Log: in.log, Self: exe}
	in.reaper.Reap()
	return in
}

// Close removes the cgroups hermes-init created.
func (in *Init) Close() {
	if err := in.tree.Close(); err != nil {
		in.log.Warnf("%v", err)
	}
}

// mainCmd is the main command (`-- CMD`): its cgroup, process and status.
type mainCmd struct {
	group  *cgroup.Group
	proc   *Process
	status int // -1 while it runs
}

// startMain starts the main command in its own cgroup. On failure it reports
// why and returns the status hermes-init must exit with (126, 127, 1).
func (in *Init) startMain(argv, environ []string, dir string) (*mainCmd, int) {
	o := in.o
	group, err := in.tree.NewGroup("main", cgroup.Limits{})
	if err != nil {
		in.log.Errorf("%v", err)
		return nil, 1
	}
	m := &mainCmd{group: group, status: -1}
	path, err := Resolve(argv[0], environ)
	if err != nil {
		m.remove(in)
		return nil, in.execFailed(err)
	}
	env := environ
	if !group.Tracked() {
		env = append(env[:len(env):len(env)], cgroup.TagVar+"=main")
	}
	m.proc, err = in.spawner.Start(Spec{
		Name: "main", Path: path, Argv: argv, Env: env, Dir: dir,
		Files:      []*os.File{o.Stdin, o.Stdout, o.Stderr},
		Foreground: isForeground(o.Stdin),
		Ignore:     earlysignal.IgnoredForChildren(),
		Mask:       ChildMask(),
	}, group)
	if err != nil {
		m.remove(in)
		return nil, in.execFailed(StartError(argv[0], err))
	}
	group.SetLeader(m.proc.Pid, m.proc.Pid, true)
	in.log.Debugf("main command %q started, pid %d, cgroup %s", argv[0], m.proc.Pid, group.Path())
	return m, 0
}

func (m *mainCmd) exited(in *Init, ex Exit) {
	m.proc.Release()
	m.proc = nil
	m.status = ExitCode(ex.Status)
	in.log.Debugf("main command exited with status %d", m.status)
}

func (m *mainCmd) remove(in *Init) {
	if err := m.group.Remove(); err != nil {
		in.log.Warnf("%v", err)
	}
}

// RunMain runs the main command until it exits, forwarding signals, stopping it
// on SIGTERM/SIGINT/SIGRTMIN+3, and cleaning up what it leaves behind. It
// returns the command's exit status (see ExitCode; 126/127 when it cannot run).
func (in *Init) RunMain() int {
	m, status := in.startMain(in.o.Argv, in.o.Env, in.o.Dir)
	if m == nil {
		return status
	}
	defer m.remove(in)
	deadline := in.superviseMain(m)
	in.cleanup(m.group, deadline)
	return m.status
}

// superviseMain is the signal loop while the main command runs. It returns,
// when a stop is under way, the stop's deadline.
func (in *Init) superviseMain(m *mainCmd) time.Time {
	var (
		deadline time.Time
		grace    <-chan time.Time
	)
	for m.proc != nil {
		select {
		case s := <-earlysignal.C():
			sig := s.(syscall.Signal)
			switch Classify(sig) {
			case ActReap:
				in.reaper.Reap()
			case ActStop:
				in.log.Debugf("received %s: forwarding to the main command's process group", SignalName(sig))
				if deadline.IsZero() {
					deadline = time.Now().Add(in.o.Grace)
					grace = time.After(in.o.Grace)
				}
				in.forward(m.proc, sig)
				in.forward(m.proc, syscall.SIGCONT) // a stopped group must see it
			case ActForward:
				in.log.Debugf("forwarding %s to pid %d's process group", SignalName(sig), m.proc.Pid)
				in.forward(m.proc, sig)
			case ActDrop:
				in.log.Debugf("ignoring %s", SignalName(sig))
			}
		case ex := <-m.proc.Exit:
			m.exited(in, ex)
		case <-grace:
			grace = nil
			in.killMain(m)
		}
	}
	return deadline
}

// killMain ends the main command after the grace: everything in its cgroup.
func (in *Init) killMain(m *mainCmd) {
	in.log.Warnf("main command (pid %d) still running %s after the stop signal: killing everything in %s", m.proc.Pid, in.o.Grace, describe(m.group))
	if err := m.group.Kill(); err != nil {
		in.log.Warnf("kill %s: %v", describe(m.group), err)
	}
	if !m.group.Tracked() {
		_ = m.proc.Signal(syscall.SIGKILL)
	}
}

func (in *Init) forward(proc *Process, sig syscall.Signal) {
	if err := proc.Signal(sig); err != nil {
		in.log.Warnf("forward %s to pid %d: %v", SignalName(sig), proc.Pid, err)
	}
}

// cleanup ends whatever the main command left behind (double-forked orphans,
// setsid daemons, processes ignoring SIGTERM): SIGTERM, a short grace, then
// SIGKILL. As PID 1 the kernel would kill them when we exit anyway, but not
// when hermes-init is not PID 1, and not gracefully.
func (in *Init) cleanup(group *cgroup.Group, stopDeadline time.Time) {
	in.reaper.Reap()
	if group.Populated() {
		grace := in.o.LeftoverGrace
		if !stopDeadline.IsZero() {
			grace = min(grace, max(time.Until(stopDeadline), 0))
		}
		n, _ := group.Signal(syscall.SIGTERM)
		_, _ = group.Signal(syscall.SIGCONT)
		in.log.Debugf("main command left %d processes: SIGTERM, %s grace", n, grace)
		if !in.waitEmpty(group, grace) {
			pids, _ := group.Pids()
			in.log.Warnf("%d leftover processes of the main command ignored SIGTERM for %s: killing %s", len(pids), grace, pidList(pids))
			if err := group.Kill(); err != nil {
				in.log.Warnf("kill %s: %v", describe(group), err)
			}
			if !in.waitEmpty(group, killWait) {
				in.log.Errorf("%s still not empty %s after SIGKILL", describe(group), killWait)
			}
		}
	}
	in.reaper.Reap()
}

// waitEmpty waits until the group is empty, reaping meanwhile (leftovers are
// our children or reparent to us). A new stop signal cuts the wait short.
func (in *Init) waitEmpty(group *cgroup.Group, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		in.reaper.Reap()
		if !group.Populated() {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
		select {
		case s := <-earlysignal.C():
			if Classify(s.(syscall.Signal)) == ActStop {
				in.log.Debugf("second stop signal: not waiting for leftovers")
				return false
			}
		case <-tick.C:
		}
	}
}

func (in *Init) execFailed(err error) int {
	var ee *ExecError
	if !errors.As(err, &ee) {
		ee = &ExecError{Err: err, Status: ExitCannotExec}
	}
	fmt.Fprintf(in.o.Stderr, "hermes-init: %s\n", Escape(ee.Error()))
	return ee.Status
}

func describe(g *cgroup.Group) string {
	if p := g.Path(); p != "" {
		return "cgroup " + p
	}
	return "service " + g.Name() + " (no cgroup)"
}

// isForeground reports whether f is a terminal whose foreground process group
// is ours: then the command's group must take the foreground, or it would stop
// on its first read from the terminal (SIGTTIN), as tini and catatonit do.
func isForeground(f *os.File) bool {
	if f == nil {
		return false
	}
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/supervisor/cgroup"
)

// mainCmd is the running main program: its cgroup, process and status.
type mainCmd struct {
	group  *cgroup.Group
	proc   *Process
	status int // -1 while it runs
}

// startMain starts the main program in its own cgroup, with the terminal
// when it has hermes-init's. On failure it says why and returns the status
// hermes-init must exit with (127 not found, 126 cannot run, 1).
func (sup *Supervisor) startMain(p *MainProgram) (*mainCmd, int) {
	group, err := sup.tree.NewGroup("main", cgroup.Limits{})
	if err != nil {
		sup.log.Errorf("%v", err)
		return nil, 1
	}
	m := &mainCmd{group: group, status: -1}
	path, err := Resolve(p.Argv[0], p.Env)
	if err != nil {
		m.remove(sup)
		return nil, sup.execFailed(err)
	}
	env := p.Env
	if !group.Tracked() {
		env = append(env[:len(env):len(env)], cgroup.TagVar+"=main")
	}
	stdin := sup.o.Stdin
	m.proc, err = sup.spawner.Start(Spec{
		Name: "main", Path: path, Argv: p.Argv, Env: env, Dir: p.Dir,
		Files:      []*os.File{stdin, sup.o.Stdout, sup.o.Stderr},
		Foreground: isForeground(stdin),
		Ignore:     sup.ignore,
		Mask:       sup.mask,
	}, group)
	if err != nil {
		m.remove(sup)
		return nil, sup.execFailed(StartError(p.Argv[0], err))
	}
	group.SetLeader(m.proc.Pid, m.proc.Pid, true)
	sup.log.Debugf("main command %q started, pid %d, cgroup %s", p.Argv[0], m.proc.Pid, group.Path())
	return m, 0
}

// startMainProgram starts the stages' main program; when it cannot run, the
// stages learn its status (127, 126), as rc.init's shell would give it.
func (sup *Supervisor) startMainProgram(p *MainProgram, stages Stages) *mainCmd {
	m, status := sup.startMain(p)
	if m == nil {
		stages.MainExited(status)
	}
	return m
}

func (m *mainCmd) exited(sup *Supervisor, ex Exit) {
	m.proc.Release()
	m.proc = nil
	m.status = ExitCode(ex.Status)
	sup.log.Debugf("main command exited with status %d", m.status)
}

func (m *mainCmd) remove(sup *Supervisor) {
	if err := m.group.Remove(); err != nil {
		sup.log.Warnf("%v", err)
	}
}

// signalMain sends sig to the main program's process group.
func (sup *Supervisor) signalMain(m *mainCmd, sig syscall.Signal) {
	if err := m.proc.Signal(sig); err != nil {
		sup.log.Warnf("forward %s to pid %d: %v", SignalName(sig), m.proc.Pid, err)
	}
}

// killMain ends the main program after the grace: everything in its cgroup.
func (sup *Supervisor) killMain(m *mainCmd) {
	sup.log.Warnf("main command (pid %d) still running %s after the stop signal: killing everything in %s", m.proc.Pid, sup.o.Grace, describe(m.group))
	if err := m.group.Kill(); err != nil {
		sup.log.Warnf("kill %s: %v", describe(m.group), err)
	}
	if !m.group.Tracked() {
		_ = m.proc.Signal(syscall.SIGKILL)
	}
}

// cleanup ends whatever the main program left behind (double-forked orphans,
// setsid daemons, processes ignoring SIGTERM): SIGTERM, the leftover grace
// (never beyond a stop's deadline), then SIGKILL. As PID 1 the kernel would
// kill them when hermes-init exits anyway, but not when it is not PID 1, and
// not gracefully. ctx ends at a second stop signal: no more waiting.
func (sup *Supervisor) cleanup(ctx context.Context, group *cgroup.Group, stopDeadline time.Time) {
	if !group.Populated() {
		return
	}
	grace := sup.o.LeftoverGrace
	if !stopDeadline.IsZero() {
		grace = min(grace, max(time.Until(stopDeadline), 0))
	}
	n, _ := group.Signal(syscall.SIGTERM)
	_, _ = group.Signal(syscall.SIGCONT)
	sup.log.Debugf("main command left %d processes: SIGTERM, %s grace", n, grace)
	if waitUntil(ctx, grace, func() bool { return !group.Populated() }) {
		return
	}
	pids, _ := group.Pids()
	sup.log.Warnf("%d leftover processes of the main command ignored SIGTERM for %s: killing %s", len(pids), grace, pidList(pids))
	if err := group.Kill(); err != nil {
		sup.log.Warnf("kill %s: %v", describe(group), err)
	}
	if !waitUntil(context.Background(), killWait, func() bool { return !group.Populated() }) {
		sup.log.Errorf("%s still not empty %s after SIGKILL", describe(group), killWait)
	}
}

func (sup *Supervisor) execFailed(err error) int {
	var ee *ExecError
	if !errors.As(err, &ee) {
		ee = &ExecError{Err: err, Status: ExitCannotExec}
	}
	fmt.Fprintf(sup.o.Stderr, "hermes-init: %s\n", Escape(ee.Error()))
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

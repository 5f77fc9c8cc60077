package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/control"
)

// Stages is what runs around supervision when hermes-init is s6-overlay's
// /init (package stage implements it): stage 2 before the main program,
// stage 3 after the supervisor's own services have stopped. The stages
// start processes only through the Supervisor's methods below; they never
// supervise.
type Stages interface {
	// Up is stage 2. It runs in a goroutine of its own while the signal
	// loop reaps and forwards, adds and starts services, and returns the
	// main program (nil: none; the container then runs until it is
	// stopped). ctx ends when a stop begins: Up must return soon after. An
	// error stops the container; the stages have recorded the status they
	// want (ExitStatus).
	Up(ctx context.Context, sup *Supervisor) (*MainProgram, error)
	// MainExited is the main program's status when it ended by itself, not
	// in a stop; the container stops next.
	MainExited(status int)
	// Down is stage 3. It runs once the main program and every service
	// that is not of spec.SourceStage have stopped: the stages' own services in
	// reverse dependency order, then their finish scripts. It bounds its
	// own waits.
	Down(sup *Supervisor)
	// ExitStatus is the container's exit status, asked once everything has
	// stopped.
	ExitStatus() int
}

// errStopping refuses new services once the container stops.
var errStopping = errors.New("the container is stopping")

// stageGroupName is the cgroup of the stages' one-shot programs. The s6rc-
// prefix is reserved by s6-rc, so no service of an image can take it
// (s6-overlay runs its oneshots under a service of this name too).
const stageGroupName = "s6rc-oneshot-runner"

// AddService adds a service, started at once when spec.Autostart says so.
// A name that is taken, or a stop under way, is an error.
func (sup *Supervisor) AddService(sp spec.Service) error {
	return sup.add(sp)
}

// StartService starts a service and waits until it is up, or ready when it
// has a notification fd, as s6-rc waits for a longrun. A service that
// settles down or failed instead is an error; so is the end of ctx.
func (sup *Supervisor) StartService(ctx context.Context, name string) (control.SlotStatus, error) {
	svc := sup.get(name)
	if svc == nil {
		return control.SlotStatus{}, fmt.Errorf("%w: %s", control.ErrUnknownProfile, name)
	}
	needReady := svc.spec.NotificationFD > 2
	st, err := svc.send(ctx, command{ev: EvStart, until: func(s State) bool {
		return s == StateUp && (!needReady || svc.ready) || settled(s)
	}})
	if err != nil {
		return st, err
	}
	if st.State != StateUp.String() {
		why := st.State
		if st.Reason != "" {
			why += ": " + st.Reason
		}
		return st, fmt.Errorf("%s did not come up (%s)", name, why)
	}
	return st, nil
}

// StopService stops a service with its down signal and its own stop timeout
// and waits until it is down, or ctx ends. It never starts again by itself.
func (sup *Supervisor) StopService(ctx context.Context, name string) (control.SlotStatus, error) {
	svc := sup.get(name)
	if svc == nil {
		return control.SlotStatus{}, fmt.Errorf("%w: %s", control.ErrUnknownProfile, name)
	}
	return svc.send(ctx, command{ev: EvShutdown, until: settled})
}

// Once is a program the stages run to its end: the stage-2 hook, a cont-init
// or cont-finish script, an s6-rc oneshot's up or down.
type Once struct {
	Name    string   // for messages
	Argv    []string // Argv[0] is looked up in Env's PATH
	Env     []string
	Dir     string
	Timeout time.Duration // SIGKILL after it; 0: no bound
}

// ErrTimeout: a one-shot program ran out of its time and was killed.
var ErrTimeout = errors.New("timed out")

// RunOnce runs o with /dev/null as stdin and the container's stdout and
// stderr, in the stages' cgroup, and returns its exit status (ExitCode:
// 128+N after signal N, 127 not found, 126 not executable). After
// o.Timeout it is SIGKILLed (ErrTimeout); when ctx ends it gets SIGTERM and
// RunOnce returns ctx's error at once. What it leaves running stays, as
// under s6-overlay, until the end of the stop.
func (sup *Supervisor) RunOnce(ctx context.Context, o Once) (int, error) {
	path, err := Resolve(o.Argv[0], o.Env)
	if err != nil {
		return StartError(o.Argv[0], err).Status, err
	}
	g, err := sup.stageGroup()
	if err != nil {
		return ExitCannotExec, err
	}
	env := o.Env
	if !g.Tracked() {
		env = append(env[:len(env):len(env)], cgroup.TagVar+"="+stageGroupName)
	}
	p, err := sup.spawner.Start(Spec{
		Name: o.Name, Path: path, Argv: o.Argv, Env: env, Dir: o.Dir,
		Files:  []*os.File{sup.devnull, sup.o.Stdout, sup.o.Stderr},
		Ignore: sup.ignore, Mask: sup.mask,
	}, g)
	if err != nil {
		ee := StartError(o.Argv[0], err)
		return ee.Status, ee
	}
	var timeout <-chan time.Time
	if o.Timeout > 0 {
		t := time.NewTimer(o.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case ex := <-p.Exit:
		p.Release()
		return ExitCode(ex.Status), nil
	case <-timeout:
		_ = p.Signal(syscall.SIGKILL)
		ex := <-p.Exit
		p.Release()
		return ExitCode(ex.Status), fmt.Errorf("%s: %w after %s", o.Name, ErrTimeout, o.Timeout)
	case <-ctx.Done():
		_ = p.Signal(syscall.SIGTERM)
		_ = p.Signal(syscall.SIGCONT)
		go func() { <-p.Exit; p.Release() }()
		return -1, ctx.Err()
	}
}

// stageGroup is the cgroup of the one-shot programs, made on first use.
func (sup *Supervisor) stageGroup() (*cgroup.Group, error) {
	sup.stageOnce.Do(func() {
		sup.stageG, sup.stageErr = sup.tree.NewGroup(stageGroupName, cgroup.Limits{})
	})
	return sup.stageG, sup.stageErr
}

// ServeControl starts the control socket when the stages say the users are
// settled (after /etc/cont-init.d, which may remap the gateway user's uid).
func (sup *Supervisor) ServeControl(uids []int, gid int) {
	sup.o.ControlUIDs, sup.o.ControlGID = uids, gid
	if sup.o.ControlSocket != "" && sup.ctx != nil {
		sup.serveControl(sup.ctx)
	}
}

// Logger is the supervisor's logger, for the stages' own lines.
func (sup *Supervisor) Logger() *Logger { return sup.log }

// ContainerOutput returns the container's stdout and stderr, which
// s6-overlay gives its services and scripts.
func (sup *Supervisor) ContainerOutput() (stdout, stderr *os.File) {
	return sup.o.Stdout, sup.o.Stderr
}

// Halt asks for the container stop, as s6-overlay's /run/s6/basedir/bin/halt.
func (sup *Supervisor) Halt() error {
	select {
	case sup.haltC <- struct{}{}:
	default: // one is already pending
	}
	return nil
}

// sweep is the end of a stop with stages (s6-linux-init-shutdownd): SIGTERM
// (and SIGCONT) to everything left, grace, then SIGKILL. Everything left is
// what is in the services' cgroups and the stages', and as PID 1 every
// process of the namespace.
func (sup *Supervisor) sweep(ctx context.Context, grace time.Duration, m *mainCmd) {
	groups := sup.groups(m)
	signalAll := func(sig syscall.Signal) {
		for _, g := range groups {
			_, _ = g.Signal(sig)
		}
		if sup.pid1 {
			_ = unix.Kill(-1, sig)
		}
	}
	left := func() bool { return sup.leftovers(groups) }
	if !left() {
		return
	}
	signalAll(syscall.SIGTERM)
	signalAll(syscall.SIGCONT)
	if waitUntil(ctx, grace, func() bool { return !left() }) {
		return
	}
	sup.log.Debugf("stop: processes left %s after SIGTERM: SIGKILL", grace)
	for _, g := range groups {
		_ = g.Kill()
	}
	signalAll(syscall.SIGKILL)
}

// groups are the cgroups that may hold leftovers.
func (sup *Supervisor) groups(m *mainCmd) []*cgroup.Group {
	var gs []*cgroup.Group
	if m != nil {
		gs = append(gs, m.group)
	}
	if sup.stageG != nil {
		gs = append(gs, sup.stageG)
	}
	for _, svc := range sup.all() {
		gs = append(gs, svc.group)
	}
	return gs
}

// leftovers reports whether a process is left: in a group, or, as PID 1, a
// child at all.
func (sup *Supervisor) leftovers(groups []*cgroup.Group) bool {
	if sup.pid1 && sup.reaper.HasChildren() {
		return true
	}
	for _, g := range groups {
		if g.Populated() {
			return true
		}
	}
	return false
}

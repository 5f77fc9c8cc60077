package supervisor

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/cgroup"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// killWait bounds the wait for a killed cgroup, or a killed namespace, to
// empty.
const killWait = 5 * time.Second

// Options are everything the supervisor is given. One main program, any
// number of services, or both; with Stages, what s6-overlay's /init runs
// around them. A plain init for one command (tini's job) is a main program
// and no services.
type Options struct {
	// Main is the main program: its exit ends the container with its
	// status. nil: none (services only; or the stages give it).
	Main *MainProgram
	// Services are supervised from the start, each started when its
	// Autostart says so.
	Services []spec.Service
	// Rescan, when set, gives the gateway slots again on SIGHUP: new ones
	// are added, those of spec.SourcePlan no longer given are dropped.
	Rescan func() ([]spec.Service, error)
	// Scan, when set, lists the services of a scan directory (s6-svscanctl
	// -a): new ones are added; with prune, those of spec.SourceScanDir no
	// longer listed are dropped.
	Scan func() ([]spec.Service, error)
	// Stages, when set, makes hermes-init s6-overlay's /init: stage 2 runs
	// before the main program, which it gives, and stage 3 after the stop
	// of the main program and of the other services; signals are read as
	// s6-overlay's PID 1 reads them; the control socket opens when the
	// stages say so (ServeControl).
	Stages Stages
	// MainReceivesSignals, with Stages: a stop signal goes to the running
	// main program instead, whose exit then stops the container
	// (S6_CMD_RECEIVE_SIGNALS).
	MainReceivesSignals bool

	// Grace is a stop's time between SIGTERM and SIGKILL, for the main
	// program and every service.
	Grace time.Duration
	// LeftoverGrace is, when the main program has exited, the time between
	// SIGTERM and SIGKILL for what it left behind (never beyond a stop's
	// deadline).
	LeftoverGrace time.Duration
	// FinalGrace, with Stages: the stop ends with SIGTERM to everything
	// left, FinalGrace, then SIGKILL (S6_KILL_GRACETIME).
	FinalGrace time.Duration
	Restart    RestartPolicy

	ControlSocket string // "" disables the control socket
	ControlUIDs   []int  // allowed besides root
	ControlGID    int    // group of the socket file; -1 leaves it
	// DefaultSlot receives the forwarded signals when there is no main
	// program.
	DefaultSlot string

	Cgroup                cgroup.Options
	Log                   *Logger
	Stdin, Stdout, Stderr *os.File
}

// MainProgram is the main program: the command of `hermes-init -- COMMAND`,
// or the stages' (s6-overlay's CMD).
type MainProgram struct {
	Argv []string
	Env  []string
	Dir  string // "" keeps hermes-init's working directory of the start
}

// Supervisor is the running init: its reaper, spawner and cgroup tree, its
// services and its main program.
type Supervisor struct {
	o       Options
	log     *Logger
	reaper  *Reaper
	spawner *Spawner
	tree    *cgroup.Tree
	pid1    bool
	fan     *svclog.Fan
	devnull *os.File
	ignore  []syscall.Signal // children start with these ignored
	mask    *uint64          // and this mask, when a fork cannot give it
	ctx     context.Context  // the supervision's; ends when Run returns

	mu       sync.Mutex // guards services, order, wasKill, stopping
	services map[string]*Service
	order    []string
	wasKill  bool
	stopping bool // no service is added any more

	stageOnce sync.Once
	stageG    *cgroup.Group // the stages' one-shot programs (stages.go)
	stageErr  error
	haltC     chan struct{}
}

// Run is hermes-init as an init: it becomes a child subreaper, moves to "/",
// sets up its cgroups, runs the main program and the services until a stop
// (signal, the main program's exit, halt), stops them and returns the exit
// status (see ExitStatus).
func Run(o Options) int {
	sup := prepare(o)
	if sup == nil {
		return 1
	}
	defer sup.close()
	return sup.loop()
}

// prepare does the early steps: child subreaper (also as PID 1, where it is
// harmless and keeps cgroup libraries' fallbacks from stealing statuses),
// "/", the cgroup ladder, the spawner, and a reap of whatever exited before
// the signal handler existed.
func prepare(o Options) *Supervisor {
	sup := &Supervisor{
		o: o, log: o.Log, reaper: NewReaper(), pid1: os.Getpid() == 1,
		ignore: earlysignal.IgnoredForChildren(), mask: ChildMask(),
		services: map[string]*Service{}, haltC: make(chan struct{}, 1),
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		sup.log.Errorf("open %s: %v", os.DevNull, err)
		return nil
	}
	sup.devnull = devnull
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		sup.log.Warnf("cannot become a child subreaper: %v", err)
	} else if !sup.pid1 {
		sup.log.Debugf("not PID 1 (pid %d): registered as child subreaper, orphans of the command come back to hermes-init", os.Getpid())
	}
	if mask, ok := earlysignal.MaskAtStart(); !ok {
		sup.log.Debugf("built without the entry stub: a stop signal in the first milliseconds may be lost (see scripts/build)")
	} else if sup.log.Enabled(LevelDebug) {
		sup.log.Debugf("started with signal mask %#x, ignoring %v", mask, earlysignal.IgnoredAtStart())
	}
	if o.Main != nil && o.Main.Dir == "" {
		sup.o.Main.Dir, _ = os.Getwd() // the caller's, before the move to "/"
	}
	if err := os.Chdir("/"); err != nil {
		sup.log.Warnf("cannot change directory to /: %v", err)
	}
	o.Cgroup.PID1 = sup.pid1
	o.Cgroup.Warnf = sup.log.Warnf
	sup.tree = cgroup.Setup(o.Cgroup)
	if sup.tree.Mode() == cgroup.ModeNone {
		sup.log.Warnf("no writable cgroup (%s): services are tracked by process group and environment tag; in Docker, see README \"Cgroups in Docker\"", sup.tree.Reason())
	} else {
		sup.log.Infof("%s", sup.tree.Reason())
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	sup.spawner = &Spawner{Reaper: sup.reaper, Log: sup.log, Self: exe}
	sup.fan = svclog.NewFan(o.Stdout, 8192)
	sup.reaper.Reap()
	return sup
}

// close removes the services, the cgroups hermes-init created and closes
// the log fan.
func (sup *Supervisor) close() {
	sup.removeAll()
	if sup.stageG != nil {
		if err := sup.stageG.Remove(); err != nil {
			sup.log.Warnf("%v", err)
		}
	}
	sup.fan.Close()
	if err := sup.tree.Close(); err != nil {
		sup.log.Warnf("%v", err)
	}
	sup.devnull.Close()
}

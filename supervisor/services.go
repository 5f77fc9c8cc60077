package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
	"github.com/hermes-init/hermes-init/supervisor/svclog"
)

// Settings are the services mode's numbers and places (from the configuration).
type Settings struct {
	Grace         time.Duration
	Restart       RestartPolicy
	ControlSocket string // "" disables the control socket
	ControlUIDs   []int  // allowed besides root
	ControlGID    int    // group of the socket file; -1 leaves it
	// DefaultSlot receives the forwarded signals in services-only mode.
	DefaultSlot string
	// Scan, when set, lists the services of a scan directory (s6-svscanctl -a);
	// the supervisor adds the new ones and, asked to prune, drops those of
	// Source "scandir" that are no longer listed.
	Scan func() ([]spec.Service, error)

	// Stages, when set, makes hermes-init s6-overlay's /init: stage 2 runs
	// before the main program, which it gives, and stage 3 after the stop
	// of the main program and of the other services; signals are read as
	// s6-overlay's PID 1 reads them (ClassifyAsInit); the control socket
	// opens when the stages say so (ServeControl).
	Stages Stages
	// MainReceivesSignals, with Stages: a stop signal goes to the running
	// main program instead, whose exit then stops the container
	// (S6_CMD_RECEIVE_SIGNALS).
	MainReceivesSignals bool
	// FinalGrace, with Stages: the stop ends with SIGTERM to everything
	// left, FinalGrace, then SIGKILL (S6_KILL_GRACETIME).
	FinalGrace time.Duration
}

// ExitKilled is hermes-init's status in services-only mode when a service had
// to be SIGKILLed after the grace (128+SIGKILL); an orderly stop exits 0.
const ExitKilled = 137

// Supervisor runs the services: gateway slots from the boot plan, static
// services, and optionally a main command whose exit ends the container.
type Supervisor struct {
	in      *Init
	cfg     Settings
	log     *Logger
	fan     *svclog.Fan
	devnull *os.File
	ignore  []syscall.Signal
	mask    *uint64
	rescan  func() ([]spec.Service, error)

	mu       sync.Mutex // guards services, order, stopping
	services map[string]*Service
	order    []string
	wasKill  bool
	stopping bool // no service is added any more

	stagesState
}

// RunServices supervises specs until a stop signal (or, with a main command,
// until it exits) and returns the exit status: the main command's, else 0 after
// an orderly stop or ExitKilled. rescan, when not nil, gives the gateway specs
// again on SIGHUP.
func (in *Init) RunServices(cfg Settings, specs []spec.Service, rescan func() ([]spec.Service, error), mainArgv []string) int {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		in.log.Errorf("open %s: %v", os.DevNull, err)
		return 1
	}
	defer devnull.Close()
	sup := &Supervisor{
		in: in, cfg: cfg, log: in.log, devnull: devnull, rescan: rescan,
		fan:      svclog.NewFan(in.o.Stdout, 8192),
		ignore:   earlysignal.IgnoredForChildren(),
		mask:     ChildMask(),
		services: map[string]*Service{},
	}
	sup.haltC = make(chan struct{}, 1)
	defer sup.fan.Close()
	var m *mainCmd
	if mainArgv != nil {
		var status int
		if m, status = in.startMain(mainArgv, in.o.Env, in.o.Dir); m == nil {
			return status
		}
	}
	for _, sp := range specs {
		if err := sup.add(sp); err != nil {
			sup.log.Errorf("%s: %v", sp.Name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sup.ctx = ctx
	if cfg.ControlSocket != "" && cfg.Stages == nil {
		sup.serveControl(ctx)
	}
	status := sup.loop(m)
	cancel()
	sup.removeAll()
	if sup.stageG != nil {
		if err := sup.stageG.Remove(); err != nil {
			sup.log.Warnf("%v", err)
		}
	}
	return status
}

// add creates a service and starts it when its spec says so. A name that is
// taken, or a stop under way, is an error.
func (sup *Supervisor) add(sp spec.Service) error {
	if err := sup.addable(sp.Name); err != nil {
		return err
	}
	svc, err := newService(sup, sp)
	if err != nil {
		return err
	}
	sup.mu.Lock()
	err = sup.addableLocked(sp.Name)
	if err == nil {
		sup.services[sp.Name] = svc
		sup.order = append(sup.order, sp.Name)
	}
	sup.mu.Unlock()
	if err != nil {
		svc.remove()
		return err
	}
	if sp.Autostart {
		svc.post(command{ev: EvStart})
	}
	return nil
}

func (sup *Supervisor) addable(name string) error {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	return sup.addableLocked(name)
}

func (sup *Supervisor) addableLocked(name string) error {
	switch {
	case sup.stopping:
		return errStopping
	case sup.services[name] != nil:
		return fmt.Errorf("a service named %s is already supervised", name)
	}
	return nil
}

// loop is the signal loop of services mode: it reaps, forwards, and on a stop
// (signal, main command exit, halt) stops every service, then returns the
// status. With stages it first runs stage 2, which gives the main program,
// and after the services and the main program have stopped, stage 3.
func (sup *Supervisor) loop(m *mainCmd) int {
	var (
		stopping  bool
		stopAt    time.Time
		svcsDone  chan struct{}
		mainGrace <-chan time.Time
		bootDone  chan bootResult // stage 2 runs
		downDone  chan struct{}   // stage 3 runs
		downRan   bool
	)
	stages := sup.cfg.Stages
	bootCtx, bootCancel := context.WithCancel(context.Background())
	defer bootCancel()
	if stages != nil {
		bootDone = sup.boot(bootCtx, stages)
	}
	mainRuns := func() bool { return m != nil && m.proc != nil }
	stopMain := func(sig syscall.Signal) {
		if !mainRuns() {
			return
		}
		sup.in.forward(m.proc, sig)
		sup.in.forward(m.proc, syscall.SIGCONT) // a stopped group must see it
		if mainGrace == nil {
			mainGrace = time.After(sup.cfg.Grace)
		}
	}
	beginStop := func(why string) {
		if stopping {
			return
		}
		stopping, stopAt = true, time.Now().Add(sup.cfg.Grace)
		sup.mu.Lock()
		sup.stopping = true
		sup.mu.Unlock()
		bootCancel()
		sup.log.Debugf("%s: stopping every service", why)
		svcsDone = make(chan struct{})
		go func() {
			defer close(svcsDone)
			defer sup.recoverPanic("stop")
			sup.shutdown()
		}()
		if stages != nil {
			stopMain(syscall.SIGTERM) // the main program started last: it stops first
		}
	}
	for {
		if stopping && svcsDone == nil && bootDone == nil && !mainRuns() {
			if stages == nil || downRan && downDone == nil {
				break
			}
			if !downRan {
				downRan, downDone = true, make(chan struct{})
				go func() {
					defer close(downDone)
					defer sup.recoverPanic("stage 3")
					stages.Down(sup)
				}()
			}
		}
		var mainExit <-chan Exit
		if mainRuns() {
			mainExit = m.proc.Exit
		}
		select {
		case s := <-earlysignal.C():
			sig := s.(syscall.Signal)
			act := Classify(sig)
			if stages != nil {
				act = ClassifyAsInit(sig, sup.cfg.MainReceivesSignals && mainRuns())
			}
			switch act {
			case ActReap:
				sup.in.reaper.Reap()
			case ActStop:
				beginStop("received " + SignalName(sig))
				if stages == nil {
					stopMain(sig)
				}
			case ActForward:
				sup.forward(sig, m)
			case ActRescan:
				sup.log.Debugf("received %s: scanning for new services", SignalName(sig))
				go func() {
					defer sup.recoverPanic("scan")
					_, _ = sup.Scan(context.Background(), false)
				}()
			case ActDrop:
				sup.log.Debugf("ignoring %s", SignalName(sig))
			}
		case ex := <-mainExit:
			m.exited(sup.in, ex)
			if stages != nil && !stopping {
				stages.MainExited(m.status)
			}
			beginStop("main command exited")
		case r := <-bootDone:
			bootDone = nil
			switch {
			case r.err != nil:
				beginStop("stage 2 failed")
			case r.main != nil && !stopping:
				m = sup.startMainProgram(r.main, stages)
				if m == nil {
					beginStop("main program cannot run")
				}
			}
		case <-sup.haltC:
			beginStop("halt")
		case <-mainGrace:
			mainGrace = nil
			if mainRuns() {
				sup.in.killMain(m)
			}
		case <-svcsDone:
			svcsDone = nil
		case <-downDone:
			downDone = nil
		}
	}
	return sup.finish(m, stopAt)
}

// bootResult is what stage 2 ended with.
type bootResult struct {
	main *MainProgram
	err  error
}

// boot runs stage 2 in a goroutine; the channel gets its result, also after
// a panic (then an error).
func (sup *Supervisor) boot(ctx context.Context, stages Stages) chan bootResult {
	done := make(chan bootResult, 1)
	go func() {
		r := bootResult{err: errors.New("stage 2 ended abnormally")}
		defer func() { done <- r }()
		defer sup.recoverPanic("stage 2")
		r.main, r.err = stages.Up(ctx, sup)
	}()
	return done
}

// startMainProgram starts the stages' main program; when it cannot run, the
// stages learn its status (127, 126) as rc.init's shell would give it.
func (sup *Supervisor) startMainProgram(p *MainProgram, stages Stages) *mainCmd {
	m, status := sup.in.startMain(p.Argv, p.Env, p.Dir)
	if m == nil {
		stages.MainExited(status)
	}
	return m
}

// forward sends a forwardable signal on: SIGHUP rescans the profiles in
// services-only mode; everything else goes to the main command, or without one
// to the default slot.
func (sup *Supervisor) forward(sig syscall.Signal, m *mainCmd) {
	switch {
	case m != nil && m.proc != nil:
		sup.log.Debugf("forwarding %s to the main command", SignalName(sig))
		sup.in.forward(m.proc, sig)
	case sig == syscall.SIGHUP && sup.rescan != nil:
		sup.rescanProfiles()
	default:
		if svc := sup.get(sup.cfg.DefaultSlot); svc != nil {
			sup.log.Debugf("forwarding %s to %s", SignalName(sig), svc.spec.Name)
			svc.post(command{ev: noEvent, sig: sig})
		}
	}
}

// shutdown is the container stop: SIGTERM to every service at once, without a
// planned-stop marker and without touching gateway_state.json (the gateway
// then persists "running" itself, so the next boot starts it again, #42675);
// each service kills what is left after the grace. It returns when every
// service is down.
func (sup *Supervisor) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), sup.cfg.Grace+cleanupWait+killWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, svc := range sup.all() {
		if svc.spec.Source == spec.SourceStage {
			continue // the stages stop theirs in dependency order (Stages.Down)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := svc.send(ctx, command{ev: EvShutdown, until: settled})
			if err != nil {
				sup.log.Errorf("%s: still %s at the end of the stop: %v", svc.spec.Name, st.State, err)
			}
		}()
	}
	wg.Wait()
}

// settled: no process left to wait for.
func settled(s State) bool { return s == StateDown || s == StateFailed }

// finish cleans up after the stop and decides the exit status.
func (sup *Supervisor) finish(m *mainCmd, stopAt time.Time) int {
	if m != nil {
		defer m.remove(sup.in)
	}
	if stages := sup.cfg.Stages; stages != nil {
		sup.sweep(sup.cfg.FinalGrace, m)
		sup.in.reaper.Reap()
		return stages.ExitStatus()
	}
	if m != nil {
		sup.in.cleanup(m.group, stopAt)
	}
	if sup.in.pid1 {
		// Whatever no cgroup or tag could attribute (in ModeNone, a setsid'd
		// tool with a scrubbed environment) ends here, as in s6-overlay's
		// stage 3, rather than by the kernel after we exit.
		_ = unix.Kill(-1, syscall.SIGKILL)
		deadline := time.Now().Add(killWait)
		for sup.in.reaper.HasChildren() && time.Now().Before(deadline) {
			sup.in.reaper.Reap()
			time.Sleep(time.Millisecond)
		}
	}
	sup.in.reaper.Reap()
	switch {
	case m != nil:
		return m.status
	case sup.wasKill:
		return ExitKilled
	}
	return 0
}

// noteKill records that a service needed SIGKILL during the container stop.
func (sup *Supervisor) noteKill() {
	sup.mu.Lock()
	sup.wasKill = true
	sup.mu.Unlock()
}

// rescanProfiles applies SIGHUP: new profile directories become slots
// (started only when their intent says running), removed ones are stopped and
// dropped.
func (sup *Supervisor) rescanProfiles() {
	specs, err := sup.rescan()
	if err != nil {
		sup.log.Warnf("rescan of the profiles failed, nothing changed: %v", err)
		return
	}
	want := map[string]bool{}
	for _, sp := range specs {
		want[sp.Name] = true
		if sup.get(sp.Name) == nil {
			sup.log.Infof("rescan: new slot %s (autostart %v)", sp.Name, sp.Autostart)
			if err := sup.add(sp); err != nil {
				sup.log.Warnf("rescan: %s: %v", sp.Name, err)
			}
		}
	}
	for _, svc := range sup.all() {
		if svc.spec.Source == spec.SourcePlan && !want[svc.spec.Name] {
			sup.log.Infof("rescan: profile %s is gone: stopping and dropping %s", svc.spec.Profile, svc.spec.Name)
			go sup.drop(svc)
		}
	}
}

// drop stops a service and removes it.
func (sup *Supervisor) drop(svc *Service) {
	defer sup.recoverPanic(svc.spec.Name)
	ctx, cancel := context.WithTimeout(context.Background(), sup.cfg.Grace+cleanupWait+killWait)
	defer cancel()
	_, _ = svc.send(ctx, command{ev: EvStop, until: settled})
	sup.mu.Lock()
	delete(sup.services, svc.spec.Name)
	for i, n := range sup.order {
		if n == svc.spec.Name {
			sup.order = append(sup.order[:i], sup.order[i+1:]...)
			break
		}
	}
	sup.mu.Unlock()
	svc.remove()
}

func (sup *Supervisor) removeAll() {
	for _, svc := range sup.all() {
		svc.remove()
	}
}

func (sup *Supervisor) get(name string) *Service {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	return sup.services[name]
}

// all returns the services in the order they were added.
func (sup *Supervisor) all() []*Service {
	sup.mu.Lock()
	defer sup.mu.Unlock()
	out := make([]*Service, 0, len(sup.order))
	for _, n := range sup.order {
		out = append(out, sup.services[n])
	}
	return out
}

// recoverPanic keeps a bug in one goroutine from killing PID 1, and with it
// the container: it logs the panic and lets the rest run.
func (sup *Supervisor) recoverPanic(where string) {
	if r := recover(); r != nil {
		sup.log.Errorf("internal error in %s (please report): %v", where, r)
	}
}

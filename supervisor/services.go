package supervisor

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

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
	Scan func() ([]ServiceSpec, error)
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
	rescan  func() ([]ServiceSpec, error)

	mu       sync.Mutex // guards services, order
	services map[string]*Service
	order    []string
	wasKill  bool
}

// RunServices supervises specs until a stop signal (or, with a main command,
// until it exits) and returns the exit status: the main command's, else 0 after
// an orderly stop or ExitKilled. rescan, when not nil, gives the gateway specs
// again on SIGHUP.
func (in *Init) RunServices(cfg Settings, specs []ServiceSpec, rescan func() ([]ServiceSpec, error), mainArgv []string) int {
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
	defer sup.fan.Close()
	var m *mainCmd
	if mainArgv != nil {
		var status int
		if m, status = in.startMain(mainArgv); m == nil {
			return status
		}
		defer m.remove(in)
	}
	for _, spec := range specs {
		sup.add(spec)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.ControlSocket != "" {
		sup.serveControl(ctx)
	}
	status := sup.loop(m)
	cancel()
	sup.removeAll()
	return status
}

// add creates a service and starts it when its spec says so.
func (sup *Supervisor) add(spec ServiceSpec) {
	svc, err := newService(sup, spec)
	if err != nil {
		sup.log.Errorf("%s: %v", spec.Name, err)
		return
	}
	sup.mu.Lock()
	sup.services[spec.Name] = svc
	sup.order = append(sup.order, spec.Name)
	sup.mu.Unlock()
	if spec.Autostart {
		svc.post(command{ev: EvStart})
	}
}

// loop is the signal loop of services mode: it reaps, forwards, and on a stop
// (signal or main command exit) stops every service, then returns the status.
func (sup *Supervisor) loop(m *mainCmd) int {
	var (
		stopping  bool
		stopAt    time.Time
		svcsDone  chan struct{}
		mainGrace <-chan time.Time
	)
	beginStop := func(why string) {
		if stopping {
			return
		}
		stopping, stopAt = true, time.Now().Add(sup.cfg.Grace)
		sup.log.Debugf("%s: stopping every service", why)
		svcsDone = make(chan struct{})
		go func() {
			defer close(svcsDone)
			defer sup.recoverPanic("stop")
			sup.shutdown()
		}()
	}
	for !stopping || svcsDone != nil || m != nil && m.proc != nil {
		var mainExit <-chan Exit
		if m != nil && m.proc != nil {
			mainExit = m.proc.Exit
		}
		select {
		case s := <-earlysignal.C():
			sig := s.(syscall.Signal)
			switch Classify(sig) {
			case ActReap:
				sup.in.reaper.Reap()
			case ActStop:
				beginStop("received " + SignalName(sig))
				if m != nil && m.proc != nil {
					sup.in.forward(m.proc, sig)
					sup.in.forward(m.proc, syscall.SIGCONT)
					if mainGrace == nil {
						mainGrace = time.After(sup.cfg.Grace)
					}
				}
			case ActForward:
				sup.forward(sig, m)
			case ActDrop:
				sup.log.Debugf("ignoring %s", SignalName(sig))
			}
		case ex := <-mainExit:
			m.exited(sup.in, ex)
			beginStop("main command exited")
		case <-mainGrace:
			mainGrace = nil
			if m.proc != nil {
				sup.in.killMain(m)
			}
		case <-svcsDone:
			svcsDone = nil
		}
	}
	return sup.finish(m, stopAt)
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
	for _, spec := range specs {
		want[spec.Name] = true
		if sup.get(spec.Name) == nil {
			sup.log.Infof("rescan: new slot %s (autostart %v)", spec.Name, spec.Autostart)
			sup.add(spec)
		}
	}
	for _, svc := range sup.all() {
		if svc.spec.Source == "plan" && !want[svc.spec.Name] {
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

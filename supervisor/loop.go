package supervisor

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/spec"
	"github.com/hermes-init/hermes-init/supervisor/earlysignal"
)

// ExitKilled is hermes-init's status without a main program when a service
// had to be SIGKILLed after the grace (128+SIGKILL); an orderly stop exits 0.
const ExitKilled = 128 + int(syscall.SIGKILL)

// loop is the one signal loop: the only reader of the signal channel, with
// one switch over what a signal means. It runs the supervision through its
// phases, each a goroutine that reports back here:
//
//   - stage 2 (with Stages), which gives the main program;
//   - the main program and the services run until a stop: a stop signal,
//     the main program's exit, halt, a failed stage 2;
//   - the stop: the main program gets the signal and the grace, the
//     services (but the stages') SIGTERM and the grace, at once;
//   - stage 3 (with Stages), once those are all down;
//   - the end: what the main program left behind gets SIGTERM and the
//     leftover grace (with Stages: everything left, FinalGrace), then
//     SIGKILL; as PID 1 every other process of the namespace is killed.
//
// It returns the exit status (ExitStatus).
func (sup *Supervisor) loop() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sup.ctx = ctx
	var m *mainCmd
	if sup.o.Main != nil {
		var status int
		if m, status = sup.startMain(sup.o.Main); m == nil {
			return status
		}
	}
	for _, sp := range sup.o.Services {
		if err := sup.add(sp); err != nil {
			sup.log.Errorf("%s: %v", sp.Name, err)
		}
	}
	if sup.o.ControlSocket != "" && sup.o.Stages == nil {
		sup.serveControl(ctx)
	}

	var (
		stages             = sup.o.Stages
		stopping           bool
		stopAt             time.Time
		bootDone           chan bootResult // stage 2 runs
		svcsDone, downDone chan struct{}   // the services' stop, stage 3
		endDone            chan struct{}   // the end phase
		downRan, endRan    bool
		mainGrace          <-chan time.Time
	)
	bootCtx, bootCancel := context.WithCancel(ctx)
	defer bootCancel()
	endCtx, endCancel := context.WithCancel(ctx) // a second stop signal cuts the end's waits
	defer endCancel()
	if stages != nil {
		bootDone = sup.boot(bootCtx, stages)
	}
	mainRuns := func() bool { return m != nil && m.proc != nil }
	stopMain := func(sig syscall.Signal) {
		if !mainRuns() {
			return
		}
		sup.signalMain(m, sig)
		sup.signalMain(m, syscall.SIGCONT) // a stopped group must see it
		if mainGrace == nil {
			mainGrace = time.After(sup.o.Grace)
		}
	}
	beginStop := func(why string, sig syscall.Signal) {
		if stopping {
			return
		}
		stopping, stopAt = true, time.Now().Add(sup.o.Grace)
		sup.mu.Lock()
		sup.stopping = true
		sup.mu.Unlock()
		bootCancel()
		sup.log.Debugf("%s: stopping every service", why)
		svcsDone = sup.goPhase("stop", sup.shutdown)
		if sig == 0 || stages != nil {
			sig = syscall.SIGTERM // with stages, the main program started last and stops first
		}
		stopMain(sig)
	}
	for {
		if stopping && bootDone == nil && svcsDone == nil && !mainRuns() {
			switch {
			case stages != nil && !downRan:
				downRan = true
				downDone = sup.goPhase("stage 3", func() { stages.Down(sup) })
			case downDone == nil && !endRan:
				endRan = true
				endDone = sup.goPhase("the end of the stop", func() { sup.end(endCtx, m, stopAt) })
			}
			if endRan && endDone == nil {
				break
			}
		}
		var mainExit <-chan Exit
		if mainRuns() {
			mainExit = m.proc.Exit
		}
		select {
		case s := <-earlysignal.C():
			sig := s.(syscall.Signal)
			switch Classify(sig, stages != nil, sup.o.MainReceivesSignals && mainRuns()) {
			case ActReap:
				sup.reaper.Reap()
			case ActStop:
				switch {
				case endRan:
					sup.log.Debugf("received %s again: not waiting for leftovers", SignalName(sig))
					endCancel()
				case stopping && stages == nil && mainRuns():
					sup.signalMain(m, sig) // as tini: every signal reaches it, a second Ctrl-C too
				}
				beginStop("received "+SignalName(sig), sig)
			case ActForward:
				sup.forward(sig, m)
			case ActRescan:
				sup.log.Debugf("received %s: scanning for new services", SignalName(sig))
				sup.goPhase("scan", func() { _, _ = sup.Scan(ctx, false) })
			case ActDrop:
				sup.log.Debugf("ignoring %s", SignalName(sig))
			}
		case ex := <-mainExit:
			m.exited(sup, ex)
			if stages != nil && !stopping {
				stages.MainExited(m.status)
			}
			beginStop("main command exited", 0)
		case r := <-bootDone:
			bootDone = nil
			switch {
			case r.err != nil:
				beginStop("stage 2 failed", 0)
			case r.main != nil && !stopping:
				if m = sup.startMainProgram(r.main, stages); m == nil {
					beginStop("main program cannot run", 0)
				}
			}
		case <-sup.haltC:
			beginStop("halt", 0)
		case <-mainGrace:
			mainGrace = nil
			if mainRuns() {
				sup.killMain(m)
			}
		case <-svcsDone:
			svcsDone = nil
		case <-downDone:
			downDone = nil
		case <-endDone:
			endDone = nil
		}
		if endRan && endDone == nil {
			break
		}
	}
	sup.reaper.Reap()
	if m != nil {
		m.remove(sup)
	}
	return sup.exitStatus(m)
}

// goPhase runs f in a goroutine, recovered, and closes the returned channel
// when it is over.
func (sup *Supervisor) goPhase(name string, f func()) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sup.recoverPanic(name)
		f()
	}()
	return done
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

// forward sends a forwardable signal on: to the main program if it runs;
// SIGHUP without one rescans the profiles; anything else goes to the default
// slot.
func (sup *Supervisor) forward(sig syscall.Signal, m *mainCmd) {
	switch {
	case m != nil && m.proc != nil:
		sup.log.Debugf("forwarding %s to the main command", SignalName(sig))
		sup.signalMain(m, sig)
	case sig == syscall.SIGHUP && sup.o.Rescan != nil:
		sup.goPhase("rescan", sup.rescanProfiles)
	default:
		if svc := sup.get(sup.o.DefaultSlot); svc != nil {
			sup.log.Debugf("forwarding %s to %s", SignalName(sig), svc.spec.Name)
			svc.post(command{ev: noEvent, sig: sig})
		} else {
			sup.log.Debugf("nothing to forward %s to", SignalName(sig))
		}
	}
}

// shutdown is the container stop: SIGTERM to every service at once, without a
// planned-stop marker and without touching gateway_state.json (the gateway
// then persists "running" itself, so the next boot starts it again, #42675);
// each service kills what is left after the grace. The stages' services are
// left to them (Stages.Down). It returns when every service is down.
func (sup *Supervisor) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), sup.o.Grace+cleanupWait+killWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, svc := range sup.all() {
		if svc.spec.Source == spec.SourceStage {
			continue
		}
		wg.Go(func() {
			st, err := svc.send(ctx, command{ev: EvShutdown, until: settled})
			if err != nil {
				sup.log.Errorf("%s: still %s at the end of the stop: %v", svc.spec.Name, st.State, err)
			}
		})
	}
	wg.Wait()
}

// settled: no process left to wait for.
func settled(s State) bool { return s == StateDown || s == StateFailed }

// end is the end of the stop. ctx ends at a second stop signal: the waits
// are cut short.
func (sup *Supervisor) end(ctx context.Context, m *mainCmd, stopAt time.Time) {
	switch {
	case sup.o.Stages != nil:
		sup.sweep(ctx, sup.o.FinalGrace, m)
	case m != nil:
		sup.cleanup(ctx, m.group, stopAt)
	}
	if sup.pid1 {
		// Whatever no cgroup or tag could attribute (in ModeNone, a setsid'd
		// tool with a scrubbed environment) ends here, as in s6-overlay's
		// stage 3, rather than by the kernel after we exit.
		_ = unix.Kill(-1, syscall.SIGKILL)
		waitUntil(context.Background(), killWait, func() bool { return !sup.reaper.HasChildren() })
	}
}

// exitStatus is hermes-init's exit status: the stages' (s6-overlay's exit
// code file); else the main program's; else 0 after an orderly stop, or
// ExitKilled when a service had to be killed.
func (sup *Supervisor) exitStatus(m *mainCmd) int {
	switch {
	case sup.o.Stages != nil:
		return sup.o.Stages.ExitStatus()
	case m != nil:
		return m.status
	case sup.wasKill:
		return ExitKilled
	}
	return 0
}

// waitUntil polls cond every few milliseconds until it holds (true), the
// timeout passes or ctx ends (false). The signal loop reaps meanwhile.
func waitUntil(ctx context.Context, timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			return false
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// noteKill records that a service needed SIGKILL during the container stop.
func (sup *Supervisor) noteKill() {
	sup.mu.Lock()
	sup.wasKill = true
	sup.mu.Unlock()
}

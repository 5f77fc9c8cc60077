package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hermes-init/hermes-init/gateway"
)

// stopReason is how a life ends: the terminal state, the exit status and why.
type stopReason struct {
	kind    string // printed as stop=KIND: planned, takeover, unexpected, restart, startup
	state   string // terminal gateway_state
	code    int    // exit status (package gateway's Exit constants)
	reason  string // exit_reason
	restart bool   // write .restart_pending.json (SIGUSR1)
}

// The ways a life ends.
var (
	stopPlanned    = stopReason{kind: "planned", state: gateway.StateStopped, code: gateway.ExitStop, reason: "planned stop"}
	stopTakeover   = stopReason{kind: "takeover", state: gateway.StateStopped, code: gateway.ExitStop, reason: "planned takeover"}
	stopUnexpected = stopReason{kind: "unexpected", state: gateway.StateRunning, code: gateway.ExitFailure, reason: "unexpected signal"}
	stopRestart    = stopReason{kind: "restart", state: gateway.StateStopped, code: gateway.ExitRestart, reason: "restart requested", restart: true}
)

// startupExit is the end STUB_EXIT_AT_START asks for: startup_failed, except
// that 0 is a clean stop.
func startupExit(code int) stopReason {
	r := stopReason{kind: "startup", state: gateway.StateStartupFailed, code: code, reason: "startup failed"}
	switch code {
	case gateway.ExitStop:
		r.state, r.reason = gateway.StateStopped, "exit at start"
	case gateway.ExitFatalConfig:
		r.reason = "fatal config"
	}
	return r
}

// notifySignals routes the signals the real gateway handles to one channel.
// Every other signal keeps the Go runtime's default.
func notifySignals() <-chan os.Signal {
	c := make(chan os.Signal, 16)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	return c
}

// await handles signals until timeout fires (a nil timeout never does) or a
// signal asks for a stop, which it returns.
func (s *stub) await(sigs <-chan os.Signal, timeout <-chan time.Time) (stopReason, bool) {
	for {
		select {
		case sig := <-sigs:
			if r, ok := s.classify(sig.(syscall.Signal)); ok {
				return r, true
			}
		case <-timeout:
			return stopReason{}, false
		}
	}
}

// classify decides what a signal means, in the real handler's order
// (hermes-agent's gateway/run.py, start_gateway): a takeover marker naming us, SIGINT, a
// planned-stop marker naming us, otherwise an unexpected signal.
func (s *stub) classify(sig syscall.Signal) (stopReason, bool) {
	name := unix.SignalName(sig)
	if sig == syscall.SIGTERM && s.opts.ignoreTerm {
		s.say("signal=%s action=ignored", name)
		return stopReason{}, false
	}
	r := stopUnexpected
	switch {
	case sig == syscall.SIGUSR1:
		r = stopRestart
	case s.markedFor(gateway.TakeoverMarkerFile):
		r = stopTakeover
	case sig == syscall.SIGINT:
		r = stopPlanned
	case s.markedFor(gateway.PlannedStopMarkerFile):
		r = stopPlanned
	}
	s.say("signal=%s stop=%s", name, r.kind)
	return r, true
}

// stop ends a life that a signal asked to end: drain, kill the tools (before
// the terminal write, as the real gateway does since #8202), then finish.
func (s *stub) stop(r stopReason, sigs <-chan os.Signal) int {
	s.stopping.Store(true)
	s.drain(sigs)
	s.stopTools()
	s.touchCleanShutdown()
	return s.finish(r)
}

// drain spends STUB_STOP_DELAY in state draining. A stop is single-flight:
// signals that arrive meanwhile are logged and dropped.
func (s *stub) drain(sigs <-chan os.Signal) {
	if s.opts.stopDelay <= 0 {
		return
	}
	s.persist(gateway.StateDraining, nil)
	done := time.After(s.opts.stopDelay)
	for {
		select {
		case sig := <-sigs:
			s.say("signal=%s action=ignored reason=stopping", unix.SignalName(sig.(syscall.Signal)))
		case <-done:
			return
		}
	}
}

// finish is every clean exit path's tail (hermes-agent's gateway/run_shutdown.py, _stop_impl):
// release gateway.pid, the restart marker, the terminal state, the ledger.
func (s *stub) finish(r stopReason) int {
	s.releasePIDFile()
	if r.restart {
		s.writeRestartPending()
	}
	s.persist(r.state, map[string]any{keyExitReason: r.reason, keyRestartRequested: r.restart})
	s.markExited(r)
	s.say("exit code=%d reason=%q", r.code, r.reason)
	return r.code
}

// crash ends the life like a crash: exit 1 with no terminal state, the
// ledger left "running", gateway.pid and the tools left behind.
func (s *stub) crash() int {
	s.say("crash code=%d", gateway.ExitFailure)
	return gateway.ExitFailure
}

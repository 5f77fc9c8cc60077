package supervisor

import (
	"fmt"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// State is where a supervised service is in its life. Every wait of a
// service is a state of its own, ended by an event: the run goroutine never
// blocks inside an action, so it answers commands and status all along.
type State int

// The states (s6's up/down plus what a restart policy and the waits need).
const (
	StateDown      State = iota // not running and not wanted (exit 0, operator stop, registered down)
	StateStarting               // the process is being spawned (never seen outside one transition)
	StateUp                     // the process runs
	StateStopping               // a stop signal was sent; waiting for the exit, SIGKILL after the grace
	StateBackoff                // exited; a restart is scheduled
	StateFailed                 // will not restart until an explicit start (78, crash loop, spawn failure)
	StateFinishing              // the process is gone and ./finish runs (killed after its timeout)
	StateDraining               // a stop's process is gone; its leftovers got SIGTERM and have the rest of the grace
	StateCleaning               // leftovers got SIGKILL; waiting (cleanupWait at most) for the cgroup to empty
	numStates
)

var stateNames = [...]string{"down", "starting", "up", "stopping", "backoff", "failed", "finishing", "draining", "cleaning"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Event is what happens to a service.
type Event int

// The events the transition function knows.
const (
	EvStart       Event = iota // autostart or operator start
	EvStop                     // operator stop: stay down afterwards
	EvRestart                  // operator restart: stop, then start at once
	EvShutdown                 // container stop: stop, never start again
	EvSpawned                  // the process is running
	EvSpawnFailed              // the process could not be started
	EvExit                     // the process exited (see Input.Verdict, Fast, Finish)
	EvTimeout                  // the state's deadline: backoff delay, stop grace, drain grace, cleanup bound, finish bound
	EvFinished                 // ./finish ended (Input.Verdict: VerdictStop for its 125, else restart)
	EvEmpty                    // the service's cgroup is empty
	numEvents
)

var eventNames = [...]string{"start", "stop", "restart", "shutdown", "spawned", "spawn-failed", "exit", "timeout", "finished", "empty"}

func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// Input is an event with what the transition needs to know about it.
type Input struct {
	Event   Event
	Verdict gateway.Verdict // EvExit: what the exit means (gateway.ClassifyExit); EvFinished: what ./finish says
	Fast    bool            // EvExit, EvFinished, EvSpawnFailed: before the run counted as stable
	// GiveUp is true when this fast death reaches the crash-loop cap.
	GiveUp bool
	// Finish (EvExit): the service has a ./finish, which runs before the
	// exit policy and gives the verdict.
	Finish bool
}

// Effect is something the service runtime must do after a transition. An
// effect never waits: one that starts a wait arms the service's one timer
// (EvTimeout) and/or a watch (EvFinished, EvEmpty) that the run loop selects
// on. The timer and the watch belong to the state that armed them: a change
// of state calls them off, so a late one never reaches the next state.
type Effect int

// The actions, executed in the order the transition lists them.
const (
	DoSpawn         Effect = iota // start the process (→ EvSpawned or EvSpawnFailed at once)
	DoSignalStop                  // SIGTERM (+SIGCONT) to the process group, arm the stop grace
	DoKill                        // the stop grace is over: SIGKILL everything in the cgroup
	DoArmBackoff                  // arm the restart delay (computed by Backoff)
	DoArmRestartNow               // arm a zero delay: restart now, but through the timer
	DoKillLeftovers               // after an exit of its own: SIGKILL what is left in the cgroup, without waiting
	DoCleanup                     // SIGKILL leftovers, watch for empty, arm cleanupWait (empty already: EvEmpty at once)
	DoDrain                       // SIGTERM (+SIGCONT) leftovers, watch for empty, arm the rest of the stop's grace (empty: EvEmpty at once)
	DoFinish                      // start ./finish, watch its exit, arm its timeout (cannot start: EvFinished at once)
	DoKillFinish                  // ./finish ran out of time: SIGKILL it (its exit is EvFinished)
	DoWarnNotEmpty                // say that the cgroup is not empty cleanupWait after SIGKILL
	DoLogGiveUp                   // say why the service turned failed
)

// Flags carried beside the state.
type flags struct {
	// wantUp: start once the current wait is over. A start or restart sets
	// it in the states that wait (stopping, finishing, draining, cleaning);
	// so does every path to a spawn, which goes through cleaning.
	wantUp   bool
	shutdown bool // the container is stopping: never start again
	// once: whatever the exit, stay down (s6-svc -o). A stop or shutdown
	// that comes while ./finish runs after an exit of the process's own
	// sets it too: that exit then ends down, whatever ./finish says.
	once bool
	// stopped: in finishing, the exit ended a stop; once ./finish is done
	// the stop goes on (draining, or cleaning for a restart).
	stopped bool
}

// transition is the service state machine: the next state and the actions,
// for every (state, event) pair. It is pure; TestTransitionTable covers it all.
func transition(s State, f flags, in Input) (State, flags, []Effect) {
	if f.shutdown && (in.Event == EvStart || in.Event == EvRestart) {
		return s, f, nil // nothing starts once the container is stopping
	}
	switch in.Event {
	case EvStart:
		switch s {
		case StateDown, StateFailed, StateBackoff:
			f.wantUp = true
			return StateCleaning, f, []Effect{DoCleanup}
		case StateStopping, StateFinishing, StateDraining, StateCleaning:
			f.wantUp = true // start once the wait is over
		}
		return s, f, nil // starting, up: already on its way
	case EvStop, EvShutdown:
		f.wantUp = false
		if in.Event == EvShutdown {
			f.shutdown = true
		}
		switch s {
		case StateUp, StateStarting:
			return StateStopping, f, []Effect{DoSignalStop}
		case StateBackoff:
			return StateDown, f, nil
		case StateFailed:
			if in.Event == EvStop {
				return StateDown, f, nil // an operator stop also clears failed
			}
		case StateFinishing:
			if !f.stopped {
				f.once = true // the exit was its own: stay down after ./finish
			}
		}
		return s, f, nil // down, failed on shutdown; stopping, draining, cleaning: down after the wait
	case EvRestart:
		switch s {
		case StateUp, StateStarting:
			f.wantUp = true
			return StateStopping, f, []Effect{DoSignalStop}
		case StateStopping, StateFinishing, StateDraining, StateCleaning:
			f.wantUp = true // coalesce with the stop or wait in progress (#103191)
			return s, f, nil
		}
		f.wantUp = true
		return StateCleaning, f, []Effect{DoCleanup} // down, failed, backoff
	case EvSpawned:
		if s == StateStarting {
			return StateUp, f, nil
		}
		return s, f, nil
	case EvSpawnFailed:
		if s != StateStarting {
			return s, f, nil
		}
		if in.GiveUp {
			return StateFailed, f, []Effect{DoLogGiveUp}
		}
		return StateBackoff, f, []Effect{DoArmBackoff}
	case EvExit:
		return onExit(s, f, in)
	case EvFinished:
		if s != StateFinishing {
			return s, f, nil
		}
		stopped := f.stopped
		f.stopped = false
		switch {
		case f.wantUp && !f.shutdown:
			return StateCleaning, f, []Effect{DoCleanup} // a restart, or a start that came meanwhile
		case stopped:
			return StateDraining, f, []Effect{DoDrain}
		}
		return policy(f, in)
	case EvTimeout:
		switch s {
		case StateBackoff:
			f.wantUp = true
			return StateCleaning, f, []Effect{DoCleanup}
		case StateStopping:
			return s, f, []Effect{DoKill} // the grace is over
		case StateFinishing:
			return s, f, []Effect{DoKillFinish}
		case StateDraining:
			return StateCleaning, f, []Effect{DoCleanup} // the grace is over for the leftovers too
		case StateCleaning:
			if f.wantUp && !f.shutdown {
				f.wantUp = false
				return StateStarting, f, []Effect{DoWarnNotEmpty, DoSpawn}
			}
			return StateDown, f, []Effect{DoWarnNotEmpty}
		}
		return s, f, nil // no deadline in the other states
	case EvEmpty:
		switch s {
		case StateDraining:
			if f.wantUp && !f.shutdown {
				return StateCleaning, f, []Effect{DoCleanup} // a start came during the drain
			}
			return StateDown, f, nil
		case StateCleaning:
			if f.wantUp && !f.shutdown {
				f.wantUp = false
				return StateStarting, f, []Effect{DoSpawn}
			}
			return StateDown, f, nil
		}
		return s, f, nil // nobody waits for it in the other states
	}
	return s, f, nil
}

// onExit: the process exited. A ./finish runs first; a stop in progress
// decides instead of the exit policy.
func onExit(s State, f flags, in Input) (State, flags, []Effect) {
	switch s {
	case StateStopping:
		if in.Finish {
			f.stopped = true
			return StateFinishing, f, []Effect{DoFinish}
		}
		if f.wantUp && !f.shutdown {
			return StateCleaning, f, []Effect{DoCleanup} // a restart is not held back
		}
		return StateDraining, f, []Effect{DoDrain}
	case StateUp, StateStarting:
		if in.Finish {
			return StateFinishing, f, []Effect{DoFinish}
		}
		return policy(f, in)
	}
	return s, f, nil // no process in the other states
}

// policy applies the exit policy (gateway.ClassifyExit) to an exit of the
// process's own, or to ./finish's verdict on it: 0 stays down, 78 fails, 75
// restarts at once, anything else restarts with backoff. What the process
// left is killed at once; the wait for it to go comes before the next spawn
// (cleaning).
func policy(f flags, in Input) (State, flags, []Effect) {
	if f.shutdown || f.once {
		f.once = false
		return StateDown, f, []Effect{DoKillLeftovers}
	}
	switch in.Verdict {
	case gateway.VerdictStop:
		return StateDown, f, []Effect{DoKillLeftovers}
	case gateway.VerdictFail:
		return StateFailed, f, []Effect{DoKillLeftovers}
	}
	if in.GiveUp {
		return StateFailed, f, []Effect{DoKillLeftovers, DoLogGiveUp}
	}
	if in.Verdict == gateway.VerdictRestartNow && !in.Fast {
		return StateBackoff, f, []Effect{DoKillLeftovers, DoArmRestartNow}
	}
	// A 75 right after the previous start is a restart storm (#89034): it
	// backs off like a crash.
	return StateBackoff, f, []Effect{DoKillLeftovers, DoArmBackoff}
}

// RestartPolicy holds the restart numbers (configuration [restart]).
type RestartPolicy struct {
	BackoffMin   time.Duration // delay after a stable run, and the first step after a fast death
	BackoffMax   time.Duration // cap of the exponential backoff
	StableAfter  time.Duration // a run this long resets the fast-death count
	CrashLoopMax int           // fast deaths in a row before failed; 0 never gives up
}

// Backoff is the delay before the next start after fastDeaths deaths in a row
// that each came before StableAfter: BackoffMin after a stable run (0), then
// doubling from BackoffMin up to BackoffMax.
func (p RestartPolicy) Backoff(fastDeaths int) time.Duration {
	d := p.BackoffMin
	for i := 1; i < fastDeaths && d < p.BackoffMax; i++ {
		d *= 2
	}
	return min(d, p.BackoffMax)
}

package supervisor

import (
	"fmt"
	"time"

	"github.com/hermes-init/hermes-init/gateway"
)

// State is where a supervised service is in its life.
type State int

// The states (s6's up/down plus what a restart policy needs).
const (
	StateDown     State = iota // not running and not wanted (exit 0, operator stop, registered down)
	StateStarting              // leftovers of the last run are being killed and the process spawned
	StateUp                    // the process runs
	StateStopping              // a stop signal was sent; waiting for the exit, then the grace
	StateBackoff               // exited; a restart is scheduled
	StateFailed                // will not restart until an explicit start (78, crash loop, spawn failure)
)

var stateNames = [...]string{"down", "starting", "up", "stopping", "backoff", "failed"}

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
	EvExit                     // the process exited (see Input.Verdict, Input.Fast)
	EvTimer                    // the backoff delay or the stop grace ran out
	numEvents
)

var eventNames = [...]string{"start", "stop", "restart", "shutdown", "spawned", "spawn-failed", "exit", "timer"}

func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// Input is an event with what the transition needs to know about it.
type Input struct {
	Event   Event
	Verdict gateway.Verdict // EvExit: what the exit means (gateway.ClassifyExit)
	Fast    bool            // EvExit, EvSpawnFailed: before the run counted as stable
	// GiveUp is true when this fast death reaches the crash-loop cap.
	GiveUp bool
}

// Effect is something the service runtime must do after a transition.
type Effect int

// The actions, executed in the order the transition lists them.
const (
	DoSpawn         Effect = iota // kill leftovers in the cgroup, then start the process
	DoSignalStop                  // SIGTERM (+SIGCONT) to the process group, arm the stop grace
	DoKill                        // SIGKILL everything in the cgroup
	DoArmBackoff                  // arm the restart delay (computed by Backoff)
	DoArmRestartNow               // arm a zero delay: restart now, but through the timer
	DoCancelTimer                 // the pending backoff is void
	DoCleanup                     // kill whatever the exited process left in the cgroup
	DoDrain                       // after a stop: SIGTERM the leftovers, wait out the stop's grace, then kill
	DoLogGiveUp                   // say why the service turned failed
)

// Flags carried beside the state.
type flags struct {
	wantUp   bool // after the current stop, start again (restart)
	shutdown bool // the container is stopping: never start again
	once     bool // run once: whatever the exit, stay down (s6-svc -o)
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
		case StateDown, StateFailed:
			return StateStarting, f, []Effect{DoSpawn}
		case StateBackoff:
			return StateStarting, f, []Effect{DoCancelTimer, DoSpawn}
		case StateStopping:
			f.wantUp = true // start again once the stop completes
			return s, f, nil
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
			return StateDown, f, []Effect{DoCancelTimer}
		case StateFailed:
			if in.Event == EvStop {
				return StateDown, f, nil // an operator stop also clears failed
			}
		}
		return s, f, nil // down, stopping (already), failed on shutdown
	case EvRestart:
		switch s {
		case StateUp, StateStarting:
			f.wantUp = true
			return StateStopping, f, []Effect{DoSignalStop}
		case StateStopping:
			f.wantUp = true // coalesce with the stop in progress (#103191)
			return s, f, nil
		case StateBackoff:
			return StateStarting, f, []Effect{DoCancelTimer, DoSpawn}
		}
		return StateStarting, f, []Effect{DoSpawn} // down, failed
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
	case EvTimer:
		switch s {
		case StateBackoff:
			return StateStarting, f, []Effect{DoSpawn}
		case StateStopping:
			return s, f, []Effect{DoKill} // the grace is over
		}
		return s, f, nil // a timer that lost a race with another event
	}
	return s, f, nil
}

// onExit applies the exit policy (gateway.ClassifyExit): 0 stays down, 78
// fails, 75 restarts at once, anything else restarts with backoff; a stop in
// progress decides instead of the policy.
func onExit(s State, f flags, in Input) (State, flags, []Effect) {
	switch s {
	case StateStopping:
		if f.wantUp && !f.shutdown {
			f.wantUp = false
			return StateStarting, f, []Effect{DoCleanup, DoSpawn} // a restart is not held back
		}
		return StateDown, f, []Effect{DoDrain}
	case StateUp, StateStarting:
	default:
		return s, f, nil // no process in the other states
	}
	if f.shutdown || f.once {
		f.once = false
		return StateDown, f, []Effect{DoCleanup}
	}
	switch in.Verdict {
	case gateway.VerdictStop:
		return StateDown, f, []Effect{DoCleanup}
	case gateway.VerdictFail:
		return StateFailed, f, []Effect{DoCleanup}
	}
	if in.GiveUp {
		return StateFailed, f, []Effect{DoCleanup, DoLogGiveUp}
	}
	if in.Verdict == gateway.VerdictRestartNow && !in.Fast {
		return StateBackoff, f, []Effect{DoCleanup, DoArmRestartNow}
	}
	// A 75 right after the previous start is a restart storm (#89034): it
	// backs off like a crash.
	return StateBackoff, f, []Effect{DoCleanup, DoArmBackoff}
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

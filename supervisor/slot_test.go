package supervisor

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
	"github.com/hermes-init/hermes-init/supervisor/control"
)

// TestTransitionTable lists the outcome of every (state, event) pair, and of
// every exit verdict in every state, with and without a restart or shutdown
// pending. A pair missing from the table fails the test.
func TestTransitionTable(t *testing.T) {
	type row struct {
		s    State
		f    flags
		in   Input
		next State
		nf   flags
		do   []Effect
	}
	var (
		none        = flags{}
		want        = flags{wantUp: true}
		shut        = flags{shutdown: true}
		once        = flags{once: true}
		stopped     = flags{stopped: true}
		wantStopped = flags{wantUp: true, stopped: true}
		shutStopped = flags{shutdown: true, stopped: true}
		shutOnce    = flags{shutdown: true, once: true}
		start       = Input{Event: EvStart}
		stop        = Input{Event: EvStop}
		restart     = Input{Event: EvRestart}
		shutdown    = Input{Event: EvShutdown}
		spawned     = Input{Event: EvSpawned}
		spawnErr    = Input{Event: EvSpawnFailed, Fast: true}
		giveUpSp    = Input{Event: EvSpawnFailed, Fast: true, GiveUp: true}
		timeout     = Input{Event: EvTimeout}
		empty       = Input{Event: EvEmpty}
		exit0       = Input{Event: EvExit, Verdict: gateway.VerdictStop}
		exit78      = Input{Event: EvExit, Verdict: gateway.VerdictFail}
		exit75      = Input{Event: EvExit, Verdict: gateway.VerdictRestartNow}
		exit75f     = Input{Event: EvExit, Verdict: gateway.VerdictRestartNow, Fast: true}
		crash       = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff}
		crashF      = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff, Fast: true}
		giveUp      = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff, Fast: true, GiveUp: true}
		exitFin     = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff, Finish: true}
		fin125      = Input{Event: EvFinished, Verdict: gateway.VerdictStop}
		finAgain    = Input{Event: EvFinished, Verdict: gateway.VerdictRestartBackoff}
		finGiveUp   = Input{Event: EvFinished, Verdict: gateway.VerdictRestartBackoff, Fast: true, GiveUp: true}
	)
	rows := []row{
		// down
		{StateDown, none, start, StateCleaning, want, []Effect{DoCleanup}},
		{StateDown, none, stop, StateDown, none, nil},
		{StateDown, none, restart, StateCleaning, want, []Effect{DoCleanup}},
		{StateDown, none, shutdown, StateDown, shut, nil},
		{StateDown, none, spawned, StateDown, none, nil},
		{StateDown, none, spawnErr, StateDown, none, nil},
		{StateDown, none, exit0, StateDown, none, nil},
		{StateDown, none, timeout, StateDown, none, nil},
		{StateDown, none, fin125, StateDown, none, nil},
		{StateDown, none, empty, StateDown, none, nil},
		{StateDown, shut, start, StateDown, shut, nil},
		{StateDown, shut, restart, StateDown, shut, nil},
		// starting
		{StateStarting, none, start, StateStarting, none, nil},
		{StateStarting, none, stop, StateStopping, none, []Effect{DoSignalStop}},
		{StateStarting, none, restart, StateStopping, want, []Effect{DoSignalStop}},
		{StateStarting, none, shutdown, StateStopping, shut, []Effect{DoSignalStop}},
		{StateStarting, none, spawned, StateUp, none, nil},
		{StateStarting, none, spawnErr, StateBackoff, none, []Effect{DoArmBackoff}},
		{StateStarting, none, giveUpSp, StateFailed, none, []Effect{DoLogGiveUp}},
		{StateStarting, none, exit0, StateDown, none, []Effect{DoKillLeftovers}},
		{StateStarting, none, crashF, StateBackoff, none, []Effect{DoKillLeftovers, DoArmBackoff}},
		{StateStarting, none, exitFin, StateFinishing, none, []Effect{DoFinish}},
		{StateStarting, none, timeout, StateStarting, none, nil},
		{StateStarting, none, finAgain, StateStarting, none, nil},
		{StateStarting, none, empty, StateStarting, none, nil},
		// up
		{StateUp, none, start, StateUp, none, nil},
		{StateUp, none, stop, StateStopping, none, []Effect{DoSignalStop}},
		{StateUp, none, restart, StateStopping, want, []Effect{DoSignalStop}},
		{StateUp, none, shutdown, StateStopping, shut, []Effect{DoSignalStop}},
		{StateUp, none, spawned, StateUp, none, nil},
		{StateUp, none, spawnErr, StateUp, none, nil},
		{StateUp, none, timeout, StateUp, none, nil},
		{StateUp, none, finAgain, StateUp, none, nil},
		{StateUp, none, empty, StateUp, none, nil},
		{StateUp, none, exit0, StateDown, none, []Effect{DoKillLeftovers}},
		{StateUp, none, exit78, StateFailed, none, []Effect{DoKillLeftovers}},
		{StateUp, none, exit75, StateBackoff, none, []Effect{DoKillLeftovers, DoArmRestartNow}},
		{StateUp, none, exit75f, StateBackoff, none, []Effect{DoKillLeftovers, DoArmBackoff}},
		{StateUp, none, crash, StateBackoff, none, []Effect{DoKillLeftovers, DoArmBackoff}},
		{StateUp, none, crashF, StateBackoff, none, []Effect{DoKillLeftovers, DoArmBackoff}},
		{StateUp, none, giveUp, StateFailed, none, []Effect{DoKillLeftovers, DoLogGiveUp}},
		{StateUp, once, crash, StateDown, none, []Effect{DoKillLeftovers}},
		{StateUp, once, exit75, StateDown, none, []Effect{DoKillLeftovers}},
		{StateUp, shut, crash, StateDown, shut, []Effect{DoKillLeftovers}},
		{StateUp, none, exitFin, StateFinishing, none, []Effect{DoFinish}},
		{StateUp, once, exitFin, StateFinishing, once, []Effect{DoFinish}},
		// stopping
		{StateStopping, none, start, StateStopping, want, nil},
		{StateStopping, want, stop, StateStopping, none, nil},
		{StateStopping, none, restart, StateStopping, want, nil},
		{StateStopping, want, shutdown, StateStopping, shut, nil},
		{StateStopping, none, spawned, StateStopping, none, nil},
		{StateStopping, none, spawnErr, StateStopping, none, nil},
		{StateStopping, none, timeout, StateStopping, none, []Effect{DoKill}},
		{StateStopping, none, fin125, StateStopping, none, nil},
		{StateStopping, none, empty, StateStopping, none, nil},
		{StateStopping, none, exit0, StateDraining, none, []Effect{DoDrain}},
		{StateStopping, none, crash, StateDraining, none, []Effect{DoDrain}},
		{StateStopping, want, crash, StateCleaning, want, []Effect{DoCleanup}},
		{StateStopping, want, exit78, StateCleaning, want, []Effect{DoCleanup}},
		{StateStopping, shut, exit0, StateDraining, shut, []Effect{DoDrain}},
		{StateStopping, none, exitFin, StateFinishing, stopped, []Effect{DoFinish}},
		{StateStopping, want, exitFin, StateFinishing, wantStopped, []Effect{DoFinish}},
		// backoff
		{StateBackoff, none, start, StateCleaning, want, []Effect{DoCleanup}},
		{StateBackoff, none, stop, StateDown, none, nil},
		{StateBackoff, none, restart, StateCleaning, want, []Effect{DoCleanup}},
		{StateBackoff, none, shutdown, StateDown, shut, nil},
		{StateBackoff, none, spawned, StateBackoff, none, nil},
		{StateBackoff, none, spawnErr, StateBackoff, none, nil},
		{StateBackoff, none, exit0, StateBackoff, none, nil},
		{StateBackoff, none, timeout, StateCleaning, want, []Effect{DoCleanup}},
		{StateBackoff, none, finAgain, StateBackoff, none, nil},
		{StateBackoff, none, empty, StateBackoff, none, nil},
		// failed
		{StateFailed, none, start, StateCleaning, want, []Effect{DoCleanup}},
		{StateFailed, none, stop, StateDown, none, nil},
		{StateFailed, none, restart, StateCleaning, want, []Effect{DoCleanup}},
		{StateFailed, none, shutdown, StateFailed, shut, nil},
		{StateFailed, none, spawned, StateFailed, none, nil},
		{StateFailed, none, spawnErr, StateFailed, none, nil},
		{StateFailed, none, exit0, StateFailed, none, nil},
		{StateFailed, none, timeout, StateFailed, none, nil},
		{StateFailed, none, finAgain, StateFailed, none, nil},
		{StateFailed, none, empty, StateFailed, none, nil},
		// finishing: the requests only change flags; ./finish always ends
		{StateFinishing, none, start, StateFinishing, want, nil},
		{StateFinishing, stopped, start, StateFinishing, wantStopped, nil},
		{StateFinishing, none, stop, StateFinishing, once, nil}, // its own exit: down after ./finish
		{StateFinishing, wantStopped, stop, StateFinishing, stopped, nil},
		{StateFinishing, none, restart, StateFinishing, want, nil},
		{StateFinishing, none, shutdown, StateFinishing, shutOnce, nil},
		{StateFinishing, stopped, shutdown, StateFinishing, shutStopped, nil},
		{StateFinishing, shut, start, StateFinishing, shut, nil},
		{StateFinishing, none, spawned, StateFinishing, none, nil},
		{StateFinishing, none, spawnErr, StateFinishing, none, nil},
		{StateFinishing, none, exit0, StateFinishing, none, nil},
		{StateFinishing, none, empty, StateFinishing, none, nil},
		{StateFinishing, none, timeout, StateFinishing, none, []Effect{DoKillFinish}},
		// finished: ./finish's verdict after an exit of the process's own
		{StateFinishing, none, fin125, StateDown, none, []Effect{DoKillLeftovers}},
		{StateFinishing, none, finAgain, StateBackoff, none, []Effect{DoKillLeftovers, DoArmBackoff}},
		{StateFinishing, none, finGiveUp, StateFailed, none, []Effect{DoKillLeftovers, DoLogGiveUp}},
		{StateFinishing, once, finAgain, StateDown, none, []Effect{DoKillLeftovers}},
		{StateFinishing, shut, finAgain, StateDown, shut, []Effect{DoKillLeftovers}},
		{StateFinishing, want, fin125, StateCleaning, want, []Effect{DoCleanup}}, // a start during ./finish wins
		// finished after a stop's exit: the stop goes on
		{StateFinishing, stopped, finAgain, StateDraining, none, []Effect{DoDrain}},
		{StateFinishing, stopped, fin125, StateDraining, none, []Effect{DoDrain}},
		{StateFinishing, wantStopped, fin125, StateCleaning, want, []Effect{DoCleanup}},
		{StateFinishing, shutStopped, finAgain, StateDraining, shut, []Effect{DoDrain}},
		// draining
		{StateDraining, none, start, StateDraining, want, nil},
		{StateDraining, want, stop, StateDraining, none, nil},
		{StateDraining, none, restart, StateDraining, want, nil},
		{StateDraining, want, shutdown, StateDraining, shut, nil},
		{StateDraining, shut, start, StateDraining, shut, nil},
		{StateDraining, none, spawned, StateDraining, none, nil},
		{StateDraining, none, spawnErr, StateDraining, none, nil},
		{StateDraining, none, exit0, StateDraining, none, nil},
		{StateDraining, none, finAgain, StateDraining, none, nil},
		{StateDraining, none, empty, StateDown, none, nil},
		{StateDraining, shut, empty, StateDown, shut, nil},
		{StateDraining, want, empty, StateCleaning, want, []Effect{DoCleanup}}, // start after the drain
		{StateDraining, none, timeout, StateCleaning, none, []Effect{DoCleanup}},
		{StateDraining, want, timeout, StateCleaning, want, []Effect{DoCleanup}},
		// cleaning
		{StateCleaning, none, start, StateCleaning, want, nil},
		{StateCleaning, want, stop, StateCleaning, none, nil}, // down once the cgroup is empty
		{StateCleaning, want, restart, StateCleaning, want, nil},
		{StateCleaning, want, shutdown, StateCleaning, shut, nil},
		{StateCleaning, none, spawned, StateCleaning, none, nil},
		{StateCleaning, none, spawnErr, StateCleaning, none, nil},
		{StateCleaning, none, exit0, StateCleaning, none, nil},
		{StateCleaning, none, finAgain, StateCleaning, none, nil},
		{StateCleaning, want, empty, StateStarting, none, []Effect{DoSpawn}},
		{StateCleaning, none, empty, StateDown, none, nil},
		{StateCleaning, want, timeout, StateStarting, none, []Effect{DoWarnNotEmpty, DoSpawn}},
		{StateCleaning, none, timeout, StateDown, none, []Effect{DoWarnNotEmpty}},
		{StateCleaning, shut, timeout, StateDown, shut, []Effect{DoWarnNotEmpty}},
	}
	covered := map[[2]int]bool{}
	for _, r := range rows {
		name := fmt.Sprintf("%s+%v/%s%+v", r.s, r.f, r.in.Event, r.in)
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			next, nf, do := transition(r.s, r.f, r.in)
			is.Equal(next, r.next)          // next state
			is.Equal(nf, r.nf)              // flags
			is.True(slices.Equal(do, r.do)) // effects
		})
		covered[[2]int{int(r.s), int(r.in.Event)}] = true
	}
	for s := State(0); s < numStates; s++ {
		for e := Event(0); e < numEvents; e++ {
			if !covered[[2]int{int(s), int(e)}] {
				t.Errorf("no row for (%s, %s)", s, e)
			}
		}
	}
}

func TestBackoff(t *testing.T) {
	is := is.New(t)
	p := RestartPolicy{BackoffMin: time.Second, BackoffMax: 10 * time.Second}
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		is.Equal(p.Backoff(n), w) // 1s after a stable run, then doubling to the cap
	}
}

// TestStateNamesOnTheWire: every state goes out under a name the control
// protocol declares (control.State*), which ctl, the s6 tools and scripts
// read.
func TestStateNamesOnTheWire(t *testing.T) {
	wire := map[string]bool{}
	for _, n := range []string{control.StateDown, control.StateStarting, control.StateUp, control.StateStopping,
		control.StateBackoff, control.StateFailed, control.StateFinishing, control.StateDraining, control.StateCleaning} {
		wire[n] = true
	}
	for s := State(0); s < numStates; s++ {
		if !wire[s.String()] {
			t.Errorf("state %d is sent as %q, which control does not declare", int(s), s)
		}
	}
	if len(wire) != int(numStates) {
		t.Errorf("control declares %d states, the machine has %d", len(wire), numStates)
	}
}

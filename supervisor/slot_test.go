package supervisor

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/hermes-init/hermes-init/gateway"
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
		none     = flags{}
		want     = flags{wantUp: true}
		shut     = flags{shutdown: true}
		once     = flags{once: true}
		start    = Input{Event: EvStart}
		stop     = Input{Event: EvStop}
		restart  = Input{Event: EvRestart}
		shutdown = Input{Event: EvShutdown}
		spawned  = Input{Event: EvSpawned}
		spawnErr = Input{Event: EvSpawnFailed, Fast: true}
		giveUpSp = Input{Event: EvSpawnFailed, Fast: true, GiveUp: true}
		timer    = Input{Event: EvTimer}
		exit0    = Input{Event: EvExit, Verdict: gateway.VerdictStop}
		exit78   = Input{Event: EvExit, Verdict: gateway.VerdictFail}
		exit75   = Input{Event: EvExit, Verdict: gateway.VerdictRestartNow}
		exit75f  = Input{Event: EvExit, Verdict: gateway.VerdictRestartNow, Fast: true}
		crash    = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff}
		crashF   = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff, Fast: true}
		giveUp   = Input{Event: EvExit, Verdict: gateway.VerdictRestartBackoff, Fast: true, GiveUp: true}
	)
	rows := []row{
		// down
		{StateDown, none, start, StateStarting, none, []Effect{DoSpawn}},
		{StateDown, none, stop, StateDown, none, nil},
		{StateDown, none, restart, StateStarting, none, []Effect{DoSpawn}},
		{StateDown, none, shutdown, StateDown, shut, nil},
		{StateDown, none, spawned, StateDown, none, nil},
		{StateDown, none, spawnErr, StateDown, none, nil},
		{StateDown, none, exit0, StateDown, none, nil},
		{StateDown, none, timer, StateDown, none, nil},
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
		{StateStarting, none, exit0, StateDown, none, []Effect{DoCleanup}},
		{StateStarting, none, crashF, StateBackoff, none, []Effect{DoCleanup, DoArmBackoff}},
		{StateStarting, none, timer, StateStarting, none, nil},
		// up
		{StateUp, none, start, StateUp, none, nil},
		{StateUp, none, stop, StateStopping, none, []Effect{DoSignalStop}},
		{StateUp, none, restart, StateStopping, want, []Effect{DoSignalStop}},
		{StateUp, none, shutdown, StateStopping, shut, []Effect{DoSignalStop}},
		{StateUp, none, spawned, StateUp, none, nil},
		{StateUp, none, spawnErr, StateUp, none, nil},
		{StateUp, none, timer, StateUp, none, nil},
		{StateUp, none, exit0, StateDown, none, []Effect{DoCleanup}},
		{StateUp, none, exit78, StateFailed, none, []Effect{DoCleanup}},
		{StateUp, none, exit75, StateBackoff, none, []Effect{DoCleanup, DoArmRestartNow}},
		{StateUp, none, exit75f, StateBackoff, none, []Effect{DoCleanup, DoArmBackoff}},
		{StateUp, none, crash, StateBackoff, none, []Effect{DoCleanup, DoArmBackoff}},
		{StateUp, none, crashF, StateBackoff, none, []Effect{DoCleanup, DoArmBackoff}},
		{StateUp, none, giveUp, StateFailed, none, []Effect{DoCleanup, DoLogGiveUp}},
		{StateUp, once, crash, StateDown, none, []Effect{DoCleanup}},
		{StateUp, once, exit75, StateDown, none, []Effect{DoCleanup}},
		// stopping
		{StateStopping, none, start, StateStopping, want, nil},
		{StateStopping, want, stop, StateStopping, none, nil},
		{StateStopping, none, restart, StateStopping, want, nil},
		{StateStopping, want, shutdown, StateStopping, shut, nil},
		{StateStopping, none, spawned, StateStopping, none, nil},
		{StateStopping, none, spawnErr, StateStopping, none, nil},
		{StateStopping, none, timer, StateStopping, none, []Effect{DoKill}},
		{StateStopping, none, exit0, StateDown, none, []Effect{DoDrain}},
		{StateStopping, none, crash, StateDown, none, []Effect{DoDrain}},
		{StateStopping, want, crash, StateStarting, none, []Effect{DoCleanup, DoSpawn}},
		{StateStopping, want, exit78, StateStarting, none, []Effect{DoCleanup, DoSpawn}},
		{StateStopping, shut, exit0, StateDown, shut, []Effect{DoDrain}},
		// backoff
		{StateBackoff, none, start, StateStarting, none, []Effect{DoCancelTimer, DoSpawn}},
		{StateBackoff, none, stop, StateDown, none, []Effect{DoCancelTimer}},
		{StateBackoff, none, restart, StateStarting, none, []Effect{DoCancelTimer, DoSpawn}},
		{StateBackoff, none, shutdown, StateDown, shut, []Effect{DoCancelTimer}},
		{StateBackoff, none, spawned, StateBackoff, none, nil},
		{StateBackoff, none, spawnErr, StateBackoff, none, nil},
		{StateBackoff, none, exit0, StateBackoff, none, nil},
		{StateBackoff, none, timer, StateStarting, none, []Effect{DoSpawn}},
		// failed
		{StateFailed, none, start, StateStarting, none, []Effect{DoSpawn}},
		{StateFailed, none, stop, StateDown, none, nil},
		{StateFailed, none, restart, StateStarting, none, []Effect{DoSpawn}},
		{StateFailed, none, shutdown, StateFailed, shut, nil},
		{StateFailed, none, spawned, StateFailed, none, nil},
		{StateFailed, none, spawnErr, StateFailed, none, nil},
		{StateFailed, none, exit0, StateFailed, none, nil},
		{StateFailed, none, timer, StateFailed, none, nil},
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
	for s := StateDown; s <= StateFailed; s++ {
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

// Package supervisor is hermes-init's process side: the one reaper, the signal
// loop, spawning services into their cgroups, and the stop sequence.
//
// The rules that make a Go PID 1 correct (what they mean for users:
// docs/signals.md at the repository's root):
//
//   - One reaper. Reaper.Reap is the only caller of wait4 in the program; it
//     hands each exit status to whoever registered the pid and counts the rest
//     as orphans. Nothing here calls exec.Cmd.Wait, Run or os.Process.Wait: they
//     would race the reaper and lose statuses, as other Go inits found
//     (ramr/go-reaper#2, u-root/u-root#749, tailscale/tailscale#11897).
//   - Register before the child can exit: Reaper.Start holds the reaper's lock
//     across the fork and the map insert.
//   - A service starts inside its cgroup: clone3(CLONE_INTO_CGROUP) through
//     SysProcAttr.UseCgroupFD, or, where clone3 is refused (Docker's default
//     seccomp profile answers ENOSYS), a helper re-executed from this binary
//     joins the cgroup and then execs the service. Moving a pid after it runs
//     would let its first forks escape.
//   - Signals are caught from the first instruction (package earlysignal) and
//     handled in one switch (signals.go).
//   - One goroutine per service owns its state and blocks only in its
//     select. The transition function (slot.go) is pure and covers every
//     (state, event) pair; its effects (service.go) never wait: every wait
//     is a state whose timer or watch ends it with an event, so commands
//     and status are answered throughout. The states: down, starting, up,
//     stopping (grace, then SIGKILL), backoff, failed, finishing (./finish
//     runs), draining (a stop's leftovers have SIGTERM and the rest of the
//     grace), cleaning (leftovers had SIGKILL; the cgroup empties, at most
//     cleanupWait, before a spawn or the end of a stop).
//
// As s6-overlay's /init (Settings.Stages, stages.go) the same loop runs
// stage 2 in a goroutine while it reaps and forwards, starts the main
// program the stages give, and after a stop hands over to stage 3; the
// stages start processes only through RunOnce, AddService, StartService
// and StopService, and the stop ends with a sweep of what is left.
package supervisor

package main

import (
	"strconv"
)

// stopper is one init set up for the stop measurement: how it runs a child
// command as PID 1, and what it does on SIGTERM.
type stopper struct {
	name     string
	na       string
	ref, aux bool
	does     string
	// argv is the init's command line, as PID 1 or not (tini then gets -s).
	argv func(dir string, child []string, pid1 bool) ([]string, error)
}

func (b *bench) stoppers() []stopper {
	g := b.o.grace
	gs := g.String()
	single := func(in initSpec, does string) stopper {
		return stopper{name: in.name, ref: in.ref, na: in.missing(), does: does,
			argv: func(_ string, child []string, pid1 bool) ([]string, error) { return in.argv(pid1, child...), nil }}
	}
	inits := b.singleInits(false)
	hermes := inits[0]
	hermes.flags = []string{"--grace", gs}
	none := hermes
	none.ref, none.name, none.flags = false, "hermes-init --cgroup none", []string{"--grace", gs, "--cgroup", "none"}
	noneRow := single(none, "as hermes-init, with the command and its leftovers tracked by process group, environment tag and descendancy instead of a cgroup")
	noneRow.aux = true
	return []stopper{
		single(hermes, "forwards SIGTERM (+SIGCONT) to the command's process group; when the command has exited, SIGTERM (+SIGCONT) to everything left in its cgroup and SIGKILL after `--leftover-grace` (2s by default), never later than the stop deadline (`--grace "+gs+"`); exits with the command's status"),
		noneRow,
		{name: "hermes-init (services mode)", aux: true, does: "SIGTERM (+SIGCONT) to every service's process group; a service still running after `grace = " + gs + "` has its cgroup SIGKILLed; once a service's process has exited, what is left in its cgroup gets SIGTERM (+SIGCONT) and the rest of the grace, then SIGKILL (`Service.drain`); as PID 1 a last `kill(-1, SIGKILL)`; exits 0 (137 if it had to kill)",
			argv: func(dir string, child []string, _ bool) ([]string, error) {
				cfg, err := hermesConfig(dir, []svc{{name: "child", argv: child}}, g, restartCfg{})
				return []string{b.hermes, "--config", cfg}, err
			}},
		single(inits[1], "forwards SIGTERM to its child's pid; exits with the child's status once the child is reaped; signals nothing else"),
		single(inits[2], "forwards SIGTERM to its child's session (setsid mode, the default); exits when the child exits"),
		single(inits[3], "forwards SIGTERM to its child's pid; exits when the child exits"),
		{name: "s6-svscan", na: missing(s6Svscan, "s6"), does: "s6-svscanctl -t: every s6-supervise sends SIGTERM+SIGCONT to its service, SIGKILL after `timeout-kill` (" + gs + "); s6-svscan exits 0 when they are down; no finish script, nothing else is signalled",
			argv: func(dir string, child []string, _ bool) ([]string, error) {
				scan, err := s6Scan(dir, []svc{{name: "child", argv: child}}, s6Opts{timeoutKill: g})
				return []string{s6Svscan, scan}, err
			}},
		{name: "s6-svscan + s6-overlay stage 3", na: missing(s6Svscan, "s6"), does: "as s6-svscan, then PID 1 becomes `.s6-svscan/finish` = s6-overlay's stage 3 (s6-linux-init-shutdownd) as `$X " + helperStage3 + "`: `kill(-1, SIGTERM)`, `kill(-1, SIGCONT)`, sleep the whole grace (" + gs + ", S6_KILL_GRACETIME), `kill(-1, SIGKILL)`",
			argv: func(dir string, child []string, _ bool) ([]string, error) {
				scan, err := s6Scan(dir, []svc{{name: "child", argv: child}}, s6Opts{timeoutKill: g, finish: []string{b.self, helperStage3, "-grace", gs}})
				return []string{s6Svscan, scan}, err
			}},
		{name: "runsvdir", na: missing(runsvdir, "runit"), does: "exits 0 at once; runsv and the services get nothing from runit: the kernel SIGKILLs them when PID 1 exits",
			argv: func(dir string, child []string, _ bool) ([]string, error) {
				sv, err := runitDir(dir, []svc{{name: "child", argv: child}})
				return []string{runsvdir, sv}, err
			}},
		{name: "runit stage 3 (sh + runsvdir)", na: firstOf(missing(runsvdir, "runit"), missing(svBin, "runit")), does: "a PID 1 script as runit's stage 3: `sv -w " + strconv.FormatFloat(g.Seconds(), 'f', -1, 64) + " force-shutdown` every service (SIGTERM+SIGCONT to the service pid, SIGKILL after the wait, runsv exits), SIGHUP to runsvdir, exit 0",
			argv: func(dir string, child []string, _ bool) ([]string, error) {
				sv, err := runitDir(dir, []svc{{name: "child", argv: child}})
				if err != nil {
					return nil, err
				}
				script, err := runitStage3(dir, sv, g)
				return []string{script}, err
			}},
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serviceLife is how long the restarted service runs: longer than every
// supervisor's stability threshold (hermes-init's stable_after below, s6's
// and runit's 1 s), so each restart is the one after a stable run.
const serviceLife = 1200 * time.Millisecond

type restarter struct {
	name     string
	na       string
	ref, aux bool
	policy   string
	argv     func(dir string, svc []string) ([]string, error)
}

func (b *bench) restarters() []restarter {
	hermes := func(rc restartCfg) func(dir string, argv []string) ([]string, error) {
		return func(dir string, argv []string) ([]string, error) {
			cfg, err := hermesConfig(dir, []svc{{name: "svc", argv: argv}}, b.o.grace, rc)
			return []string{b.hermes, "--config", cfg}, err
		}
	}
	fast := restartCfg{backoffMin: 10 * time.Millisecond, backoffMax: time.Second, stableAfter: time.Second}
	def := restartCfg{backoffMin: time.Second, backoffMax: 60 * time.Second, stableAfter: time.Second}
	return []restarter{
		{name: "hermes-init, backoff_min 10ms", ref: true, argv: hermes(fast),
			policy: "`[restart] backoff_min = \"10ms\"`, `backoff_max = \"1s\"`, `stable_after = \"1s\"`, `crash_loop_max = 0`: after a run of at least stable_after, restart after backoff_min"},
		{name: "hermes-init, backoff_min 1s (default)", aux: true, argv: hermes(def),
			policy: "as above with the default `backoff_min = \"1s\"` (and `backoff_max = \"60s\"`); the default `stable_after` is 30s, set to 1s here"},
		{name: "s6-supervise", na: missing(s6Svscan, "s6"),
			policy: "s6-supervise has no restart setting; it waits 1 s before each restart, here also after a 1.2 s run",
			argv: func(dir string, argv []string) ([]string, error) {
				scan, err := s6Scan(dir, []svc{{name: "svc", argv: argv}}, s6Opts{})
				return []string{s6Svscan, scan}, err
			}},
		{name: "runsv", na: missing(runsvdir, "runit"),
			policy: "runit 2.1.2: restart at once, or after 1 s when `run` ran for less than 1 s",
			argv: func(dir string, argv []string) ([]string, error) {
				sv, err := runitDir(dir, []svc{{name: "svc", argv: argv}})
				return []string{runsvdir, sv}, err
			}},
	}
}

// measureRestart is item 5: a service that exits 1 after a stable run; the
// time from its exit until its replacement runs.
func measureRestart(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(5, 1)
	var rows []*row
	for _, rs := range b.restarters() {
		r := &row{name: rs.name, ref: rs.ref, aux: rs.aux, na: firstOf(b.noNS(), rs.na)}
		if argv, err := rs.argv(b.displayDir(), b.serviceArgv("$T/log")); err == nil {
			r.cmd = b.display(b.nsArgv(argv...)) + "   # service: " + b.display(b.serviceArgv("$T/log"))
		}
		rs := rs
		r.run = func(ctx context.Context) (sample, error) { return b.restartOnce(ctx, rs) }
		rows = append(rows, r)
	}
	interleave(ctx, b, "restart", rounds, false, rows)

	s := section{title: "Restart",
		text: []string{
			fmt.Sprintf("One supervised service (`$X %s`) appends `start T` to a file as the first thing it does, runs %v, appends `exit T` and exits 1. "+
				"The time is from its `exit` line to the `start` line of its replacement (CLOCK_MONOTONIC; both include a Go program's start-up and exit, alike for every supervisor). "+
				"Each supervisor runs as PID 1 of a new namespace.", helperService, serviceLife),
		}}
	for _, r := range rows {
		s.commands = append(s.commands, r.cmd)
	}
	s.files = b.showFiles(func(dir string) error {
		for _, rs := range b.restarters()[0:1] {
			if _, err := rs.argv(dir, b.serviceArgv("$T/log")); err != nil {
				return err
			}
		}
		for _, rs := range b.restarters()[2:] {
			if _, err := rs.argv(dir, b.serviceArgv("$T/log")); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	policies := b.restarters()
	s.tables = append(s.tables, buildTable("Exit → replacement running", rows, append(metricCols("ms", "ms", rows), column{"policy", func(r *row) string {
		for _, p := range policies {
			if p.name == r.name {
				return p.policy
			}
		}
		return ""
	}})))
	s.notes = failNotes(rows)
	if ref := reference(rows); ref != nil && len(ref.samples) > 0 {
		b.reading = append(b.reading, fmt.Sprintf("**Restart:** hermes-init (backoff_min 10ms) brings the replacement up %s ms after the exit%s.",
			num(ref.dist("ms").med), peersRatios(rows, "ms")))
	}
	b.reading = append(b.reading, restartWhy(rows)...)
	return s
}

func (b *bench) serviceArgv(log string) []string {
	return []string{b.self, helperService, "-log", log, "-life", serviceLife.String(), "-code", "1"}
}

func (b *bench) restartOnce(ctx context.Context, rs restarter) (sample, error) {
	dir, err := b.dir("restart")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	log := filepath.Join(dir, "log")
	argv, err := rs.argv(dir, b.serviceArgv(log))
	if err != nil {
		return nil, err
	}
	p, err := b.launch(ctx, b.nsArgv(argv...), true)
	if err != nil {
		return nil, err
	}
	defer p.finish()
	var events []string
	restarted := func() bool {
		data, _ := os.ReadFile(log)
		events = strings.Split(strings.TrimSpace(string(data)), "\n")
		return len(events) >= 3
	}
	if err := waitFor(p, 15*time.Second, "a restart", restarted); err != nil {
		return nil, err
	}
	exit, err1 := eventTime(events[1], "exit")
	start, err2 := eventTime(events[2], "start")
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad service log %q", events)
	}
	return sample{"ms": float64(start-exit) / 1e6}, nil
}

func eventTime(line, kind string) (int64, error) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != kind {
		return 0, fmt.Errorf("want %s, got %q", kind, line)
	}
	return strconv.ParseInt(f[1], 10, 64)
}

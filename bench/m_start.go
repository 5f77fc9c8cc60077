package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// measureStart is item 1: `INIT -- /bin/true` from fork to wait, as PID 1 of
// a fresh PID namespace and not, against a bare /bin/true run the same way.
func measureStart(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(30, 8)
	pid1 := b.startRows(true)
	plain := b.startRows(false)
	interleave(ctx, b, "start", rounds, true, append(append([]*row{}, pid1...), plain...))

	s := section{title: "Start + exit overhead",
		text: []string{
			"`INIT -- /bin/true`, timed by the driver from just before the fork to just after `wait` returns (CLOCK_MONOTONIC). " +
				"As PID 1 every command runs under `unshare --pid --fork --mount-proc`, whose own cost is in the baseline row. " +
				"\"added\" is the row's median minus the baseline's median; its ratio compares what each init adds. " +
				"hermes-init runs with its defaults (cgroup mode `auto`, which on this machine creates and removes a cgroup per run); " +
				"the `--cgroup none` row shows what that costs. Not as PID 1, tini gets `-s` (subreaper) so that it would reap; " +
				"catatonit and hermes-init become subreapers by themselves, dumb-init does not.",
		}}
	for _, r := range append(append([]*row{}, pid1...), plain...) {
		s.commands = append(s.commands, r.cmd)
	}
	s.tables = append(s.tables,
		buildTable("As PID 1 of a new PID namespace", pid1, startCols(pid1)),
		buildTable("Not as PID 1", plain, startCols(plain)))
	s.notes = failNotes(append(pid1, plain...))
	if ctx.Err() == nil {
		tr, err := b.traceInit(ctx, 9)
		if err != nil {
			s.notes = append(s.notes, "inittrace: "+b.scrub(err.Error()))
		} else {
			s.commands = append(s.commands, "GODEBUG=inittrace=1 $B/hermes-init -- /bin/true   # 9 runs, not timed: where the start goes before main")
			s.notes = append(s.notes, fmt.Sprintf("Before `main`: hermes-init's package initialisation ends %s ms (median of %d runs, %s–%s) after the process starts, "+
				"as `GODEBUG=inittrace=1` reports it; %s ms of it is `supervisor/earlysignal`'s `init`, which enables every signal one by one through `os/signal` "+
				"(each a round trip to the runtime's signal-mask thread, as its comment says).",
				num(tr.done.med), tr.done.n, num(tr.done.min), num(tr.done.max), num(tr.early.med)))
			b.initTrace = &tr
		}
	}
	b.reading = append(b.reading, startReading(pid1, plain)...)
	b.reading = append(b.reading, startWhy(b, pid1, plain)...)
	return s
}

// startRows are the rows of one mode: the baseline first, then the inits.
func (b *bench) startRows(pid1 bool) []*row {
	wrap := func(argv ...string) []string {
		if pid1 {
			return b.nsArgv(argv...)
		}
		return argv
	}
	naNS := ""
	if pid1 {
		naNS = b.noNS()
	}
	rows := []*row{b.startRow("/bin/true (baseline)", wrap("/bin/true"), pid1, naNS)}
	rows[0].aux = true
	if !pid1 {
		floor := b.startRow("a Go program that only exits (Go runtime floor)", []string{b.self, helperTrue}, false, "")
		floor.aux = true
		rows = append(rows, floor)
	}
	for _, in := range b.singleInits(true) {
		name := in.name
		if !pid1 && len(in.notPID1) > 0 {
			name += " -s"
		}
		r := b.startRow(name, wrap(in.argv(pid1, "/bin/true")...), pid1, firstOf(naNS, in.missing()))
		r.ref = in.ref
		rows = append(rows, r)
		if in.ref {
			none := in
			none.flags = []string{"--cgroup", "none"}
			v := b.startRow("hermes-init --cgroup none", wrap(none.argv(pid1, "/bin/true")...), pid1, naNS)
			v.aux = true
			rows = append(rows, v)
		}
	}
	return rows
}

func (b *bench) startRow(name string, argv []string, ns bool, na string) *row {
	return &row{name: name, cmd: b.display(argv), na: na, run: func(ctx context.Context) (sample, error) {
		d, err := b.runOnce(ctx, argv, ns, 20*time.Second)
		if err != nil {
			return nil, err
		}
		return sample{"ms": float64(d) / 1e6}, nil
	}}
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// startCols adds "added over the baseline" and its ratio to the usual
// columns; the baseline is the first row.
func startCols(rows []*row) []column {
	cols := metricCols("ms", "ms", rows)
	base, ref := rows[0], reference(rows)
	added := func(r *row) float64 { return r.dist("ms").med - base.dist("ms").med }
	ok := func(r *row) bool { return r != nil && len(r.samples) > 0 && len(base.samples) > 0 }
	return append(cols[:3:3],
		column{"added (ms)", func(r *row) string {
			if !ok(r) || r == base {
				return "–"
			}
			return num(added(r))
		}},
		column{"ratio of added", func(r *row) string {
			switch {
			case !ok(r) || !ok(ref) || r == base:
				return "–"
			case r == ref:
				return "1 (ref)"
			}
			return ratio(added(r), added(ref))
		}},
		cols[3])
}

func failNotes(rows []*row) []string {
	var notes []string
	for _, r := range rows {
		if n := failNote(r); n != "" {
			notes = append(notes, n)
		}
	}
	return notes
}

func startReading(pid1, plain []*row) []string {
	ref := reference(pid1)
	if ref == nil || len(ref.samples) == 0 {
		return nil
	}
	line := fmt.Sprintf("**Start + exit:** as PID 1, hermes-init takes %s ms median against %s ms for `unshare … /bin/true` alone",
		num(ref.dist("ms").med), num(pid1[0].dist("ms").med))
	line += peersRatios(pid1, "ms") + "."
	if pr := reference(plain); pr != nil && len(pr.samples) > 0 {
		line += fmt.Sprintf(" Not as PID 1: %s ms against %s ms for /bin/true", num(pr.dist("ms").med), num(plain[0].dist("ms").med))
		line += peersRatios(plain, "ms") + "."
	}
	return []string{line}
}

// peersRatios lists "; ratio peer/hermes-init: tini 0.80, …" for the peers.
func peersRatios(rows []*row, metric string) string {
	ref := reference(rows)
	s := ""
	for _, r := range rows {
		if r.ref || r.aux || len(r.values(metric)) == 0 || ref == nil || len(ref.values(metric)) == 0 {
			continue
		}
		if s == "" {
			s = "; ratio peer/hermes-init: "
		} else {
			s += ", "
		}
		s += r.name + " " + ratio(r.dist(metric).med, ref.dist(metric).med)
	}
	return s
}

// initTrace is where hermes-init's start goes before main, from the Go
// runtime's GODEBUG=inittrace=1 lines: "init PKG @START ms, CLOCK ms clock, …".
type initTrace struct {
	done  dist // when the last package init ended, from the process start
	early dist // supervisor/earlysignal's init
}

var inittraceLine = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock`)

// traceInit runs `hermes-init -- /bin/true` n times with inittrace on.
func (b *bench) traceInit(ctx context.Context, n int) (initTrace, error) {
	var done, early []float64
	for range n {
		cmd := exec.CommandContext(ctx, b.hermes, "--", "/bin/true")
		cmd.Env = append(childEnv[:len(childEnv):len(childEnv)], "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return initTrace{}, fmt.Errorf("hermes-init with GODEBUG=inittrace=1: %w", err)
		}
		end, e := 0.0, 0.0
		for _, line := range strings.Split(stderr.String(), "\n") {
			m := inittraceLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			at, _ := strconv.ParseFloat(m[2], 64)
			clock, _ := strconv.ParseFloat(m[3], 64)
			end = max(end, at+clock)
			if strings.HasSuffix(m[1], "/supervisor/earlysignal") {
				e = clock
			}
		}
		done, early = append(done, end), append(early, e)
	}
	return initTrace{done: summarize(done), early: summarize(early)}, nil
}

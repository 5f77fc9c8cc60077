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

// measureReap is item 2: the init's child makes N orphans that all exit at
// once; how long until the last zombie is reaped, and until the init has
// exited (for the inits that exit with their child).
func measureReap(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(7, 2)
	n := strconv.Itoa(b.o.orphans)
	var rows []*row
	for _, in := range b.singleInits(false) {
		r := b.reapSingle(in, n)
		rows = append(rows, r)
	}
	rows = append(rows, b.reapSupervised("s6-svscan", s6Svscan, "s6", n), b.reapSupervised("runsvdir", runsvdir, "runit", n))
	interleave(ctx, b, "reap", rounds, false, rows)

	s := section{title: fmt.Sprintf("Reaping %s orphans", commas(n)),
		text: []string{
			fmt.Sprintf("The init's child (`$X %s`) forks a process that forks %s children and exits, so the %s become orphans of the init (PID 1 of a new namespace). "+
				"It then releases them all at once (it closes the pipe they block on) and polls `kill(pid, 0)` until every one is gone, zombie included: "+
				"\"all reaped\" is the time from the release until then. The child then exits; \"init exited\" is the time from the release until `wait` on "+
				"`unshare` returns, which for a PID 1 also includes the kernel emptying the namespace. s6-svscan and runsvdir do not exit with a service: for them "+
				"the child is a supervised service that sleeps after reporting, and the namespace is killed afterwards.", helperOrphans, commas(n), commas(n)),
		}}
	for _, r := range rows {
		s.commands = append(s.commands, r.cmd)
	}
	s.files = b.showFiles(func(dir string) error {
		maker := []svc{{name: "maker", argv: []string{b.self, helperOrphans, "-n", n, "-report", "$T/report", "-stay"}}}
		if _, err := s6Scan(dir, maker, s6Opts{}); err != nil {
			return err
		}
		_, err := runitDir(dir, maker)
		return err
	}, nil)
	cols := metricCols("reaped", "ms", rows)
	for i := range cols {
		cols[i].head = "all reaped: " + cols[i].head
	}
	exitCols := metricCols("exit", "ms", rows)
	for i := range exitCols {
		exitCols[i].head = "init exited: " + exitCols[i].head
		inner := exitCols[i].cell
		exitCols[i].cell = func(r *row) string {
			if len(r.values("exit")) == 0 {
				return "–"
			}
			return inner(r)
		}
	}
	s.tables = append(s.tables, buildTable("Release → all reaped, and release → init exited", rows, append(cols[:3:3], exitCols[:3]...)))
	s.notes = append(failNotes(rows), fmt.Sprintf("runs per row: %d", rounds),
		"10,000 processes runnable at once push the load average into the hundreds for a minute after this measurement, which is why it runs last.")
	if ref := reference(rows); ref != nil && len(ref.samples) > 0 {
		b.reading = append(b.reading, fmt.Sprintf("**Reaping:** hermes-init reaps %s orphans in %s ms median (%s µs each)%s.",
			commas(n), num(ref.dist("reaped").med), num(ref.dist("reaped").med*1000/float64(b.o.orphans)), peersRatios(rows, "reaped")))
	}
	b.reading = append(b.reading, reapWhy(rows, commas(n))...)
	return s
}

func (b *bench) reapSingle(in initSpec, n string) *row {
	r := &row{name: in.name, ref: in.ref, na: firstOf(b.noNS(), in.missing())}
	r.cmd = b.display(b.nsArgv(in.argv(true, b.self, helperOrphans, "-n", n, "-report", "$T/report")...))
	r.run = func(ctx context.Context) (sample, error) {
		dir, err := b.dir("reap")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		report := filepath.Join(dir, "report")
		cmd := b.nsArgv(in.argv(true, b.self, helperOrphans, "-n", n, "-report", report)...)
		p, err := b.launch(ctx, cmd, true)
		if err != nil {
			return nil, err
		}
		defer p.finish()
		if !p.waitFor(120 * time.Second) {
			return nil, fmt.Errorf("still running after 120 s")
		}
		if err := p.failure(); err != nil {
			return nil, err
		}
		t0, t1, err := readReport(report)
		if err != nil {
			return nil, err
		}
		return sample{"reaped": float64(t1-t0) / 1e6, "exit": float64(p.end-t0) / 1e6}, nil
	}
	return r
}

// reapSupervised runs the orphan maker as the one service of a supervisor
// that is PID 1.
func (b *bench) reapSupervised(name, bin, pkg, n string) *row {
	r := &row{name: name + " (child is a service)", na: firstOf(b.noNS(), missing(bin, pkg))}
	maker := func(report string) []svc {
		return []svc{{name: "maker", argv: []string{b.self, helperOrphans, "-n", n, "-report", report, "-stay"}}}
	}
	r.cmd = b.display(b.nsArgv(bin, "$T/"+map[string]string{"s6": "scan", "runit": "service"}[pkg])) +
		"   # one service: " + b.display(maker("$T/report")[0].argv)
	r.run = func(ctx context.Context) (sample, error) {
		dir, err := b.dir("reap")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		report := filepath.Join(dir, "report")
		var sdir string
		if pkg == "s6" {
			sdir, err = s6Scan(dir, maker(report), s6Opts{})
		} else {
			sdir, err = runitDir(dir, maker(report))
		}
		if err != nil {
			return nil, err
		}
		p, err := b.launch(ctx, b.nsArgv(bin, sdir), true)
		if err != nil {
			return nil, err
		}
		defer p.finish()
		exists := func() bool { _, err := os.Stat(report); return err == nil }
		if err := waitFor(p, 120*time.Second, "report", exists); err != nil {
			return nil, err
		}
		t0, t1, err := readReport(report)
		if err != nil {
			return nil, err
		}
		p.kill()
		return sample{"reaped": float64(t1-t0) / 1e6}, nil
	}
	return r
}

func readReport(path string) (release, reaped int64, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("no report from the orphan maker: %w", err)
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("bad report %q", data)
	}
	release, err1 := strconv.ParseInt(f[0], 10, 64)
	reaped, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad report %q", data)
	}
	return release, reaped, nil
}

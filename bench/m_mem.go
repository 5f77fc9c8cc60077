package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// settle is how long an init runs before its memory is read.
const settle = time.Second

// supervisorComms are the processes counted as "the supervisor" in the
// 10-service sums; the services (sleep) are not.
var supervisorComms = map[string]bool{
	"hermes-init": true, "s6-svscan": true, "s6-supervise": true, "runsvdir": true, "runsv": true,
}

// memSetup is one init running sleeping children, for the memory tables.
type memSetup struct {
	name     string
	na       string
	ref, aux bool
	children int // how many `sleep` processes mean it has settled
	argv     func(dir string) ([]string, error)
}

// measureMemory is item 4: RSS of PID 1 with one child, and the sum over the
// supervisor's processes with 10 services.
func measureMemory(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(3, 1)
	sleep := []string{"/bin/sleep", "1000"}
	one, ten := b.memRows(b.memSetups(1, sleep), false), b.memRows(b.memSetups(10, sleep), true)
	interleave(ctx, b, "memory", rounds, false, append(append([]*row{}, one...), ten...))

	s := section{title: "Memory",
		text: []string{
			fmt.Sprintf("Each init runs as PID 1 of a new namespace with `/bin/sleep 1000` as its child or services; %v after the children are running the driver reads "+
				"`VmRSS`, `RssAnon` and `RssFile` from `/proc/PID/status` and `Pss` from `/proc/PID/smaps_rollup`. RSS counts every resident page the process maps, shared "+
				"libraries included; RssAnon is its private heap and stacks, RssFile the pages of its binary and libraries; Pss divides shared pages among the processes that map them, so the sum over a "+
				"supervisor's processes counts libc and libskarnet once. With 10 services the sum is over the supervisor processes only "+
				"(hermes-init; s6-svscan and its s6-supervise; runsvdir and its runsv), not the services. The files below are those of the 10-service runs (service directories svc0 to svc9 alike; the one-service runs have svc0 only).", settle),
		}}
	for _, r := range append(append([]*row{}, one...), ten...) {
		s.commands = append(s.commands, r.cmd)
	}
	s.files = b.showFiles(func(dir string) error {
		for _, m := range b.memSetups(10, sleep) {
			if _, err := m.argv(dir); err != nil {
				return err
			}
		}
		return nil
	}, func(rel string) bool { return !strings.Contains(rel, "/svc") || strings.Contains(rel, "/svc0/") })
	memCols := func(rows []*row) []column {
		var cols []column
		for _, m := range []string{"VmRSS", "RssAnon", "RssFile", "Pss"} {
			c := metricCols(m, "kB", rows)
			c[0].head, c[2].head = m+" "+c[0].head, m+" ratio"
			cols = append(cols, c[0])
			if m != "RssFile" {
				cols = append(cols, c[2])
			}
		}
		return cols
	}
	tenCols := append(memCols(ten), column{"supervisor processes", func(r *row) string { return fmt.Sprintf("%.0f", r.dist("procs").med) }})
	s.tables = append(s.tables,
		buildTable("PID 1 with one child: the PID 1 process alone", one, memCols(one)),
		buildTable("10 supervised services: sum over the supervisor's processes", ten, tenCols))
	s.notes = append(failNotes(append(one, ten...)), fmt.Sprintf("runs per row: %d; the spreads are left out: the widest, (max − min) / median of VmRSS, is %s%%",
		rounds, num(widestSpread(append(one, ten...), "VmRSS"))))
	b.reading = append(b.reading, memReading(one, ten)...)
	b.reading = append(b.reading, memWhy(one, ten)...)
	return s
}

func (b *bench) memSetups(n int, child []string) []memSetup {
	var list []memSetup
	if n == 1 {
		for _, in := range b.singleInits(true) {
			list = append(list, memSetup{name: in.name, ref: in.ref, na: in.missing(), children: 1,
				argv: func(string) ([]string, error) { return in.argv(true, child...), nil }})
		}
		list = append(list, memSetup{name: "a Go program that only sleeps (Go runtime floor)", aux: true, children: 0,
			argv: func(string) ([]string, error) { return []string{b.self, helperSleep}, nil }})
	}
	svcs := services(n, child...)
	label := func(pid1, all string) string {
		if n == 1 {
			return pid1 + " (1 service)"
		}
		return all
	}
	list = append(list,
		memSetup{name: label("hermes-init, services mode", "hermes-init (services mode)"), ref: n > 1, aux: n == 1, children: n,
			argv: func(dir string) ([]string, error) {
				cfg, err := hermesConfig(dir, svcs, b.o.grace, restartCfg{})
				return []string{b.hermes, "--config", cfg}, err
			}},
		memSetup{name: label("s6-svscan", fmt.Sprintf("s6-svscan + %d s6-supervise", n)), na: missing(s6Svscan, "s6"), children: n,
			argv: func(dir string) ([]string, error) {
				scan, err := s6Scan(dir, svcs, s6Opts{})
				return []string{s6Svscan, scan}, err
			}},
		memSetup{name: label("runsvdir", fmt.Sprintf("runsvdir + %d runsv", n)), na: missing(runsvdir, "runit"), children: n,
			argv: func(dir string) ([]string, error) {
				sv, err := runitDir(dir, svcs)
				return []string{runsvdir, sv}, err
			}})
	return list
}

func (b *bench) memRows(setups []memSetup, sum bool) []*row {
	var rows []*row
	for _, m := range setups {
		r := &row{name: m.name, ref: m.ref, aux: m.aux, na: firstOf(b.noNS(), m.na)}
		if argv, err := m.argv(b.displayDir()); err == nil {
			r.cmd = b.display(b.nsArgv(argv...))
		}
		m := m
		r.run = func(ctx context.Context) (sample, error) { return b.memOnce(ctx, m, sum) }
		rows = append(rows, r)
	}
	return rows
}

func (b *bench) memOnce(ctx context.Context, m memSetup, sum bool) (sample, error) {
	dir, err := b.dir("mem")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	argv, err := m.argv(dir)
	if err != nil {
		return nil, err
	}
	p, err := b.launch(ctx, b.nsArgv(argv...), true)
	if err != nil {
		return nil, err
	}
	defer p.finish()
	running := func() bool { return countComm(p.initPid, "sleep") >= m.children }
	if err := waitFor(p, 30*time.Second, fmt.Sprintf("%d children running", m.children), running); err != nil {
		return nil, err
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	pids := []int{p.initPid}
	if sum {
		for _, d := range descendants(p.initPid) {
			if supervisorComms[comm(d)] {
				pids = append(pids, d)
			}
		}
	}
	s := sample{"procs": float64(len(pids))}
	for _, pid := range pids {
		st := statusKB(pid)
		s["VmRSS"] += st["VmRSS"]
		s["RssAnon"] += st["RssAnon"]
		s["RssFile"] += st["RssFile"]
		s["Pss"] += pssKB(pid)
	}
	return s, nil
}

func memReading(one, ten []*row) []string {
	var out []string
	if ref := reference(one); ref != nil && len(ref.samples) > 0 {
		out = append(out, fmt.Sprintf("**Memory, PID 1 with one child:** hermes-init VmRSS %s kB, RssAnon %s kB%s (VmRSS).",
			num(ref.dist("VmRSS").med), num(ref.dist("RssAnon").med), peersRatios(one, "VmRSS")))
	}
	if ref := reference(ten); ref != nil && len(ref.samples) > 0 {
		out = append(out, fmt.Sprintf("**Memory, 10 services:** hermes-init Pss %s kB, VmRSS %s kB%s (on Pss)%s (on VmRSS).",
			num(ref.dist("Pss").med), num(ref.dist("VmRSS").med), peersRatios(ten, "Pss"), peersRatios(ten, "VmRSS")))
	}
	return out
}

// widestSpread is the largest (max - min) / median of metric over the rows,
// in percent.
func widestSpread(rows []*row, metric string) float64 {
	w := 0.0
	for _, r := range rows {
		if d := r.dist(metric); d.n > 0 && d.med > 0 {
			w = max(w, 100*(d.max-d.min)/d.med)
		}
	}
	return w
}

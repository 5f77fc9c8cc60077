package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// measureStop is item 3: SIGTERM to PID 1 until `unshare` returns, which is
// when the namespace is empty; with a child that exits on SIGTERM, and with a
// child that also leaves strays that ignore it. One more run per init, with
// the init not PID 1, shows whether the init kills the strays itself.
func measureStop(ctx context.Context, b *bench) section {
	rounds := b.o.roundsFor(3, 1)
	prompt, strays := b.stopRows(false), b.stopRows(true)
	interleave(ctx, b, "stop (prompt child)", rounds, false, prompt)
	interleave(ctx, b, fmt.Sprintf("stop (%d strays)", b.o.strays), rounds, false, strays)
	left := b.attribute(ctx, strays)

	total := commas(strconv.Itoa(b.o.strays + 1))
	s := section{title: "Stop",
		text: []string{
			"SIGTERM from the host to PID 1 of the namespace once the child runs; the time is from the kill until `wait` on `unshare` returns. " +
				"When PID 1 exits the kernel SIGKILLs everything left in the namespace, and `unshare` returns only once it is empty: this is the time until the namespace is empty, measured from outside.",
			fmt.Sprintf("With strays, the child (`$X %s`) forks %s processes that call `setsid` and ignore SIGTERM, plus one observer, also in a session of its own, "+
				"that ignores SIGTERM too but reports it to the driver over a socket (\"strays got SIGTERM\"). hermes-init, s6 and runit get the same grace, %v. "+
				"Whether the init kills the strays itself or they only die because PID 1 exits cannot be told apart from outside when the init is PID 1, "+
				"so each init runs once more as the child of a bare PID 1 (`$X %s`), which counts the strays still alive when the init has exited "+
				"(\"left when not PID 1\": out of %s, one more when the child itself survives): 0 means the init killed them itself; otherwise, in a container, only the kernel does, when PID 1 exits.",
				helperStrays, commas(strconv.Itoa(b.o.strays)), b.o.grace, helperPID1, total),
		}}
	for _, r := range strays {
		s.commands = append(s.commands, r.cmd)
	}
	s.commands = append(s.commands, "# attribution: "+b.display(b.nsArgv(b.self, helperPID1, "-report", "$T/left", "--", "INIT", "…")))
	s.files = b.showFiles(func(dir string) error {
		for _, st := range b.stoppers() {
			if _, err := st.argv(dir, b.straysChild("$T"), true); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	noteCol := func(key string) column { return column{key, func(r *row) string { return r.noteCell(key) }} }
	leftCol := column{"left when not PID 1", func(r *row) string { return left[r.name] }}
	s.tables = append(s.tables,
		buildTable("Child exits promptly on SIGTERM (`/bin/sleep 1000`)", prompt, append(metricCols("ms", "ms", prompt), noteCol("exit status"))),
		buildTable(fmt.Sprintf("Child exits on SIGTERM and leaves %s strays that ignore it", commas(strconv.Itoa(b.o.strays))), strays,
			append(metricCols("ms", "ms", strays), noteCol("strays got SIGTERM"), leftCol, noteCol("exit status"))))
	var does []string
	for _, st := range b.stoppers() {
		does = append(does, fmt.Sprintf("**%s** on SIGTERM: %s.", st.name, st.does))
	}
	s.notes = append(does, failNotes(append(prompt, strays...))...)
	b.reading = append(b.reading, stopReading(prompt, strays, b.o.grace)...)
	b.reading = append(b.reading, stopWhy(prompt, strays, left)...)
	return s
}

func (b *bench) straysChild(dir string) []string {
	return []string{b.self, helperStrays, "-n", strconv.Itoa(b.o.strays), "-ready", filepath.Join(dir, "ready"), "-observer", filepath.Join(dir, "obs.sock")}
}

var promptChild = []string{"/bin/sleep", "1000"}

func (b *bench) stopRows(strays bool) []*row {
	var rows []*row
	for _, st := range b.stoppers() {
		r := &row{name: st.name, ref: st.ref, aux: st.aux, na: firstOf(b.noNS(), st.na)}
		child := promptChild
		if strays {
			child = b.straysChild("$T")
		}
		if argv, err := st.argv(b.displayDir(), child, true); err == nil {
			r.cmd = b.display(b.nsArgv(argv...))
			if !strings.Contains(r.cmd, b.display(child)) {
				r.cmd += "   # service: " + b.display(child)
			}
		}
		st := st
		r.run = func(ctx context.Context) (sample, error) { return b.stopOnce(ctx, r, st, strays) }
		rows = append(rows, r)
	}
	return rows
}

// stopRun is one init started for a stop: the proc, and how to tell that its
// child runs.
type stopRun struct {
	p       *proc
	obs     *observer
	running func() bool
}

// startStop starts st as PID 1 (or, with pid1 false, as the child of the
// bare PID 1 helper writing to report) with the prompt child or the strays.
func (b *bench) startStop(ctx context.Context, dir string, st stopper, strays, pid1 bool, report string) (*stopRun, error) {
	child := promptChild
	run := &stopRun{}
	if strays {
		obs, err := newObserver(filepath.Join(dir, "obs.sock"))
		if err != nil {
			return nil, err
		}
		run.obs = obs
		child = b.straysChild(dir)
	}
	argv, err := st.argv(dir, child, pid1)
	if err == nil && !pid1 {
		argv = append([]string{b.self, helperPID1, "-report", report, "--"}, argv...)
	}
	if err == nil {
		run.p, err = b.launch(ctx, b.nsArgv(argv...), true)
	}
	if err != nil {
		run.close()
		return nil, err
	}
	ready := filepath.Join(dir, "ready")
	run.running = func() bool { return countComm(run.p.initPid, "sleep") > 0 }
	if strays {
		run.running = func() bool {
			_, err := os.Stat(ready)
			return err == nil && run.obs.waitConnected(0)
		}
	}
	return run, nil
}

func (r *stopRun) close() {
	if r.p != nil {
		r.p.finish()
	}
	if r.obs != nil {
		r.obs.close()
	}
}

func (b *bench) stopOnce(ctx context.Context, r *row, st stopper, strays bool) (sample, error) {
	dir, err := b.dir("stop")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	run, err := b.startStop(ctx, dir, st, strays, true, "")
	if err != nil {
		return nil, err
	}
	defer run.close()
	p := run.p
	if err := waitFor(p, 60*time.Second, "child running", run.running); err != nil {
		return nil, err
	}
	p.noteCgroups()
	t0 := mono()
	if err := unix.Kill(p.initPid, unix.SIGTERM); err != nil {
		return nil, fmt.Errorf("signal PID 1: %w", err)
	}
	if !p.waitFor(b.o.grace + 20*time.Second) {
		return nil, fmt.Errorf("namespace not empty %v after SIGTERM", b.o.grace+20*time.Second)
	}
	r.note("exit status", exitString(p.state))
	if run.obs != nil {
		r.note("strays got SIGTERM", map[bool]string{true: "yes", false: "no"}[run.obs.gotTERM()])
	}
	return sample{"ms": float64(p.end-t0) / 1e6}, nil
}

// attribute runs each init once with the strays, not as PID 1, and returns
// by row name how many strays were left when the init had exited.
func (b *bench) attribute(ctx context.Context, rows []*row) map[string]string {
	left := map[string]string{}
	stoppers := b.stoppers()
	for i, r := range rows {
		if ctx.Err() != nil {
			break
		}
		if r.na != "" {
			continue
		}
		n, err := b.attributeOnce(ctx, stoppers[i])
		if err != nil {
			left[r.name] = "n/a: " + b.scrub(err.Error())
			continue
		}
		left[r.name] = commas(strconv.Itoa(n))
	}
	b.progress("stop: attribution runs done")
	return left
}

func (b *bench) attributeOnce(ctx context.Context, st stopper) (int, error) {
	dir, err := b.dir("attr")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	report := filepath.Join(dir, "left")
	run, err := b.startStop(ctx, dir, st, true, false, report)
	if err != nil {
		return 0, err
	}
	defer run.close()
	p := run.p
	if err := waitFor(p, 60*time.Second, "child running", run.running); err != nil {
		return 0, err
	}
	p.noteCgroups()
	kids := children(p.initPid) // the bare PID 1's child: the init under test
	if len(kids) == 0 {
		return 0, fmt.Errorf("no init under the bare PID 1")
	}
	if err := unix.Kill(kids[0], unix.SIGTERM); err != nil {
		return 0, fmt.Errorf("signal the init: %w", err)
	}
	if !p.waitFor(b.o.grace + 20*time.Second) {
		return 0, fmt.Errorf("the init did not exit %v after SIGTERM", b.o.grace+20*time.Second)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return 0, fmt.Errorf("no count from the bare PID 1: %v", p.failure())
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// exitString is "143" for an exit status, "signal: killed" for a death by
// signal.
func exitString(st *os.ProcessState) string {
	if st == nil {
		return "?"
	}
	if ws, ok := st.Sys().(interface{ Signaled() bool }); ok && ws.Signaled() {
		return st.String()
	}
	return strconv.Itoa(st.ExitCode())
}

func stopReading(prompt, strays []*row, grace time.Duration) []string {
	var out []string
	if ref := reference(prompt); ref != nil && len(ref.samples) > 0 {
		out = append(out, fmt.Sprintf("**Stop, prompt child:** hermes-init %s ms median%s.", num(ref.dist("ms").med), peersRatios(prompt, "ms")))
	}
	if ref := reference(strays); ref != nil && len(ref.samples) > 0 {
		out = append(out, fmt.Sprintf("**Stop with strays:** hermes-init %s ms median (grace %v)%s.", num(ref.dist("ms").med), grace, peersRatios(strays, "ms")))
	}
	return out
}
